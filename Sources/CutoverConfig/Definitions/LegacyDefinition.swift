/// The legacy side of a flow, by adapter kind.
public enum LegacyDefinition: Sendable, Hashable {
    case soap(SOAPLegacy)
    case fileDrop(FileDropLegacy)
    case dbJob(DBJobLegacy)
}

/// SOAP: where the real legacy service lives, and where callers reach the facade.
public struct SOAPLegacy: Sendable, Hashable {
    public var endpoint: String
    public var timeoutMilliseconds: Int
    /// The path the facade serves, usually the legacy path unchanged.
    public var listenPath: String
    /// Where the legacy WSDL comes from: an http(s) URL, or a file (resolved against the adapter file); nil means
    /// `endpoint?wsdl`.
    public var wsdl: String?

    public init(endpoint: String, timeoutMilliseconds: Int = 5000, listenPath: String, wsdl: String? = nil) {
        self.endpoint = endpoint
        self.timeoutMilliseconds = timeoutMilliseconds
        self.listenPath = listenPath
        self.wsdl = wsdl
    }
}

/// File drop: where files come from, what they look like, and the legacy consumer's inbox.
public struct FileDropLegacy: Sendable, Hashable {
    public var watch: WatchDefinition
    public var inbox: String
    public var format: FileFormatDefinition

    public init(watch: WatchDefinition, inbox: String, format: FileFormatDefinition) {
        self.watch = watch
        self.inbox = inbox
        self.format = format
    }
}

/// Database job: the job as it runs today, when it runs, and where the new side's rows come from.
public struct DBJobLegacy: Sendable, Hashable {
    public var databaseURL: String
    public var sql: String
    /// Optional query run after the legacy job, whose result is audited as what the job did.
    public var captureSQL: String?
    public var schedule: Schedule
    public var source: SourceDefinition
    /// How long a run's hold lasts without renewal (renewed every third of it): after a crash, the next run starts
    /// once it lapses.
    public var leaseMilliseconds: Int

    public init(
        databaseURL: String, sql: String, captureSQL: String? = nil, schedule: Schedule, source: SourceDefinition,
        leaseMilliseconds: Int = 30_000
    ) {
        self.leaseMilliseconds = leaseMilliseconds
        self.databaseURL = databaseURL
        self.sql = sql
        self.captureSQL = captureSQL
        self.schedule = schedule
        self.source = source
    }
}
