import CutoverCore
import Foundation

/// One numbered SQL file of `migrations/`.
public struct Migration: Sendable, Hashable {
    public var version: Int
    public var name: String
    public var sql: String
    /// SHA-256 of the file's text: an applied migration must never change.
    public var checksum: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
        self.checksum = Digest.sha256Hex(sql)
    }

    /// The migrations shipped with this build, in version order.
    public static func bundled() throws -> [Migration] {
        guard let directory = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
            throw MigrationError(code: .missingFiles, message: "the bundled migrations are missing from this build")
        }
        return try load(directory: directory.path)
    }

    /// Migrations from a directory of `NNNN_name.sql` files.
    public static func load(directory: String) throws -> [Migration] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".sql") }
            .sorted()
        var migrations: [Migration] = []
        for name in names {
            let stem = name.dropLast(4)
            guard let version = Int(stem.prefix { $0.isNumber }) else {
                throw MigrationError(code: .badFileName, message: "migration file \(name) does not start with a number")
            }
            let sql = try String(contentsOfFile: (directory as NSString).appendingPathComponent(name), encoding: .utf8)
            migrations.append(Migration(version: version, name: String(stem), sql: sql))
        }
        let versions = migrations.map(\.version)
        if Set(versions).count != versions.count {
            throw MigrationError(code: .badFileName, message: "two migration files share a version number")
        }
        return migrations.sorted { $0.version < $1.version }
    }
}

/// A migration problem an operator must resolve by hand.
public struct MigrationError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case missingFiles, badFileName, changedAfterApply, unknownApplied, failed
    }
    public var code: Code
    public var message: String
    public var description: String { message }
}
