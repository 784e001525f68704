import Yams

/// Collects the problems found while reading one adapter file.
///
/// Used by one loader on one task; never shared.
final class DiagnosticSink {
    let file: String
    private(set) var diagnostics: [ConfigDiagnostic] = []

    init(file: String) {
        self.file = file
    }

    func error(_ message: String, at mark: Mark?, hint: String? = nil) {
        diagnostics.append(
            ConfigDiagnostic(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, message: message, hint: hint)
        )
    }
}
