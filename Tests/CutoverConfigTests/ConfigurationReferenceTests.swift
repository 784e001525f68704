import CutoverConfig
import CutoverTesting
import Foundation
import Testing

/// `docs/configuration.md` against the parser: every key the parser accepts in the shipped adapters and the test
/// adapters of each format is documented there.
@Suite("Configuration reference")
struct ConfigurationReferenceTests {
    @Test("every key the parser accepts is documented in docs/configuration.md")
    func everyKeyDocumented() throws {
        let root = TemporaryDirectory("configref")
        let environment = [
            "LEGACY_DATABASE_URL": "postgres://u@127.0.0.1/x", "ERP_BASE_URL": "http://127.0.0.1:1",
            "ERP_TOKEN_URL": "http://127.0.0.1:1/token",
        ]
        _ = try AdapterLoader(environment: environment).load(directory: packageRoot() + "/adapters")
        // One adapter per file-drop format, so that each format's keys are read.
        for (name, format) in Self.formats {
            root.write(
                "\(name)/stock.yaml",
                FileDropFixture.adapterYAML(root: root.path, format: format, extra: Self.extra))
            _ = try AdapterLoader(environment: environment).load(directory: root.file(name))
        }
        let documentation = try String(contentsOfFile: packageRoot() + "/docs/configuration.md", encoding: .utf8)
        let undocumented = ConfigKeyRecorder.keyPaths.map(Self.generic).filter { path in
            !Self.documented(path, in: documentation)
        }
        #expect(ConfigKeyRecorder.keyPaths.count > 80, "the parser's keys were recorded")
        #expect(Set(undocumented).sorted() == [], "undocumented keys")
    }

    /// User-chosen names (a field, a column, a record type, a body member) become `NAME`.
    static func generic(_ path: String) -> String {
        var parts = path.split(separator: ".").map(String.init)
        let named = ["fields", "columns", "groups", "units", "record_types"]
        let bodySpecKeys: Set<String> = ["each", "fields", "path", "const", "type", "map"]
        var inBody = false
        for index in parts.indices {
            if index > 0, named.contains(parts[index - 1]), index < parts.count - 1 { parts[index] = "NAME" }
            if inBody, !bodySpecKeys.contains(parts[index]) { parts[index] = "NAME" }
            if parts[index] == "body" { inBody = true }
        }
        return parts.joined(separator: ".")
    }

    /// Documented when the path, or the path without its first one or two sections (tables per section list keys
    /// relative to it), appears in backticks; a section when documented keys start with it; a key inside a named
    /// structure (a field rule, a body spec) when its own name is in backticks where that structure is described.
    static func documented(_ path: String, in documentation: String) -> Bool {
        let parts = path.split(separator: ".").map(String.init)
        var candidates = [path]
        for drop in 1...2 where parts.count - drop >= 1 {
            candidates.append(parts.dropFirst(drop).joined(separator: "."))
        }
        if candidates.contains(where: { documentation.contains("`\($0)`") || documentation.contains("`\($0).") }) {
            return true
        }
        if parts.contains("NAME"), let last = parts.last, last != "NAME" {
            return documentation.contains("`\(last)`") || documentation.contains(" \(last),")
                || documentation.contains(", \(last) ") || documentation.contains("{ \(last),")
                || documentation.contains(", \(last) }") || documentation.contains(", \(last):")
        }
        return false
    }

    static let extra = """
        rollout:
          auto_rollback: { window: 100, max_new_error_rate: 0.05, max_mismatch_rate: 0.01 }
          promote_when: { min_exchanges: 500, min_match_rate: 0.999 }
        redact: [ ndc ]
        """

    static let formats: [(String, String)] = [
        ("csv", FileDropFixture.csvFormat),
        (
            "fixed",
            """
              type: fixed-width
              encoding: windows-1252
              record_types:
                header: { prefix: "H", columns: { run_date: { start: 2, length: 8 } } }
                detail: { prefix: "D", columns: { site: { start: 2, length: 6 }, qty: { start: 8, length: 8, type: decimal } } }
                trailer: { prefix: "T", columns: { record_count: { start: 2, length: 6 } } }
              control_totals: { record_count: count }
            """
        ),
        (
            "xml",
            """
              type: xml
              record: "//Item"
              fields: { site: "Site", qty: { path: "Qty", type: decimal } }
            """
        ),
    ]
}
