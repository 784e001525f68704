/// What one exchange is: the unit of traffic differs per adapter kind.
public enum ExchangeKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// One SOAP call through the facade.
    case call
    /// One dropped file (its records are exchanges of kind `record` with the file as parent).
    case file
    /// One record of a dropped file.
    case record
    /// One run of a database job (its rows are exchanges of kind `row` with the run as parent).
    case jobRun = "job_run"
    /// One source row of a database job.
    case row
    /// A replay of an earlier exchange's input to the new side.
    case replay
}
