import CutoverConfig
import CutoverStore
import Foundation

/// Commands that touch flow state first seed flows seen for the first time from the adapters' YAML.
enum FlowSeeding {
    /// The adapters of `directory` when it exists (exit 2 when they are invalid); none when it does not.
    static func definitionsIfPresent(_ context: CLIContext, _ directory: String) throws -> [FlowDefinition] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            return []
        }
        return try context.loadAdapters(directory)
    }

    static func seed(_ definitions: [FlowDefinition], store: FlowStateStore) async throws {
        guard !definitions.isEmpty else { return }
        try await store.seed(definitions.map { ($0.flow, $0.initialMode, $0.sourceFile) })
    }
}
