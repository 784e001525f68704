import CutoverCore
import Foundation

/// The key behind redaction tokens. Every instance serving a flow must use the same key, or the same MRN would
/// give different tokens on different instances: set `CUTOVER_REDACTION_KEY` (64 hex digits) for a fleet. A lone
/// instance without it keeps a random key in `CUTOVER_HOME/redaction.key` (mode 0600), made on first start.
public enum RedactionKey {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public static func load(environmentValue: String?, home: String) throws(Failure) -> [UInt8] {
        if let environmentValue, !environmentValue.isEmpty {
            guard let key = hexBytes(environmentValue), key.count >= 32 else {
                throw Failure(description: "CUTOVER_REDACTION_KEY must be at least 64 hex digits")
            }
            return key
        }
        let path = home + "/redaction.key"
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            guard let key = hexBytes(text.trimmingCharacters(in: .whitespacesAndNewlines)), key.count >= 32 else {
                throw Failure(description: "\(path) does not hold a key of 64 hex digits")
            }
            return key
        }
        let key = secureRandomBytes(32)
        do {
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
            let text = Digest.hex(key) + "\n"
            guard
                FileManager.default.createFile(
                    atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
            else { throw Failure(description: "cannot write \(path)") }
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(description: "cannot write \(path): \(error.localizedDescription)")
        }
        return key
    }

    static func hexBytes(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
