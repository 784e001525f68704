import CutoverCore
import Logging

extension ExchangeRecord {
    /// What every log line about this exchange carries, so a line can be found from the caller's correlation id
    /// and the audit row from the line.
    var logMetadata: Logger.Metadata {
        var metadata: Logger.Metadata = [
            "cutover.correlation_id": "\(correlationID)", "cutover.flow": "\(flow)", "cutover.mode": "\(mode.rawValue)",
        ]
        if let traceID { metadata["cutover.trace_id"] = "\(traceID)" }
        if let servedBy { metadata["cutover.served_by"] = "\(servedBy.rawValue)" }
        return metadata
    }

    /// `logMetadata` with `extra` added.
    func logMetadata(_ extra: Logger.Metadata) -> Logger.Metadata {
        logMetadata.merging(extra) { _, new in new }
    }
}
