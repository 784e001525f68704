import CutoverCore
import CutoverStore

/// Where adapters send audit records. `write` returns once the records are durable (committed, or fsync'ed to
/// the spool); it throws only when neither was possible.
public protocol AuditSink: Sendable {
    func write(_ records: [AuditRecord]) async throws
}

extension AuditWriter: AuditSink {}

extension DirectAuditWrite: AuditSink {}
