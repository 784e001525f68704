import AsyncHTTPClient
import CutoverAdapters
import CutoverConfig
import CutoverCore
import CutoverHTTP
import CutoverStore
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOSSL
import OTel
import PostgresNIO
import ServiceLifecycle
import Synchronization
import UnixSignals

/// The `cutover serve` process: one service group, dependencies first — the PostgreSQL pool, start-up and upkeep,
/// the audit writer, the flow-state watcher, the off-path calls — then the HTTP server. Graceful shutdown
/// (SIGTERM, SIGINT) stops the server first, then lets off-path calls finish, and stops the pool last, so every
/// audit record reaches the writer while its database is still there.
public struct CutoverServer: Sendable {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var database: DatabaseURL
        /// Cutover's working directory (the audit spool lives in `home/spool`).
        public var home: String
        public var flows: [FlowDefinition]
        /// The key behind redaction tokens (see ``RedactionKey``); dashboard sessions are signed with a key
        /// derived from it, so every instance sharing it accepts the others' sessions.
        public var redactionKey: [UInt8]
        /// How often the auto-rollback guard looks besides after this instance's own verdicts.
        public var guardInterval: Duration = .seconds(1)
        /// How often due scheduled changes are looked for.
        public var scheduleInterval: Duration = .milliseconds(500)
        /// How long a graceful shutdown (SIGTERM) may take before the services still running are cancelled; a
        /// service still running `shutdownGrace / 3` after the request is named in an error log line.
        public var shutdownGrace: Duration = .seconds(30)
        /// Spans for exchanges and side calls. When nil: exported over OTLP/HTTP (swift-otel, configured by the
        /// standard `OTEL_*` variables) if `exportTraces`, else not recorded.
        public var tracing: ExchangeTracing?
        /// Export spans over OTLP (the CLI sets it when `OTEL_EXPORTER_OTLP_ENDPOINT` is set).
        public var exportTraces = false
        /// Serve HTTPS with this certificate chain and key (PEM files); plain HTTP when nil. The SOAP facades, the
        /// admin API and the dashboard share the one listener.
        public var tls: TLSFiles?
        /// This instance's name, recorded as who applied a scheduled change.
        public var instanceName: String =
            "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"

        public init(
            host: String, port: Int, database: DatabaseURL, home: String, flows: [FlowDefinition],
            redactionKey: [UInt8]
        ) {
            self.host = host
            self.port = port
            self.database = database
            self.home = home
            self.flows = flows
            self.redactionKey = redactionKey
        }
    }

    public let configuration: Configuration
    public let logger: Logger

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// A server that accepts connections, as its start callback sees it.
    public struct Running: Sendable {
        /// The bound port (useful when configured with port 0).
        public var port: Int
        /// Shut the server down gracefully with `group.triggerGracefulShutdown()`.
        public var group: ServiceGroup
        /// The modes as this server sees them (its flow-state watcher).
        public var modes: any ModeSource
        /// Calls made off the callers' path; `waitUntilIdle()` returns when all have been audited.
        public var offPath: OffPathCalls
    }

    /// Runs until one of `gracefulShutdownSignals`, or until the running group is told to shut down.
    public func run(
        gracefulShutdownSignals: [UnixSignal] = [.sigterm, .sigint],
        onRunning: @escaping @Sendable (Running) async -> Void = { _ in }
    ) async throws {
        let client = PostgresClient(
            configuration: try configuration.database.clientConfiguration(), backgroundLogger: logger)
        let httpClient = HTTPClient.cutover()
        do {
            try await run(
                client: client, httpClient: httpClient, gracefulShutdownSignals: gracefulShutdownSignals,
                onRunning: onRunning)
        } catch {
            try? await httpClient.shutdown()
            throw error
        }
        try await httpClient.shutdown()
    }

    private func run(
        client: PostgresClient, httpClient: HTTPClient, gracefulShutdownSignals: [UnixSignal],
        onRunning: @escaping @Sendable (Running) async -> Void
    ) async throws {
        let readiness = Readiness()
        let store = FlowStateStore(client: client, logger: logger)
        let watcher = FlowStateWatcher(
            store: store, database: configuration.database, startWhen: { await readiness.waitUntilReady() },
            logger: logger)
        let writer = AuditWriter(
            client: client, configuration: AuditWriterConfiguration(spoolDirectory: configuration.home + "/spool"),
            logger: logger
        )
        let offPath = OffPathCalls(logger: logger)
        let (tracing, tracingService) = try makeTracing()
        let metrics = CutoverMetrics()
        let startWhen: @Sendable () async -> Void = { await readiness.waitUntilReady() }
        let rollbackGuard = RollbackGuard(
            policies: Dictionary(
                configuration.flows.compactMap { flow in flow.rollout.autoRollback.map { (flow.flow, $0) } },
                uniquingKeysWith: { first, _ in first }),
            watcher: watcher, store: GuardStore(client: client, logger: logger), metrics: metrics,
            interval: configuration.guardInterval, startWhen: startWhen, logger: logger)
        let audit = ObservedAuditSink(writer: writer, metrics: metrics, onVerdict: { rollbackGuard.nudge() })
        let quotas = ERPQuotas()
        let facades = try soapFacades(
            httpClient: httpClient, modes: watcher, audit: audit, offPath: offPath, tracing: tracing,
            calibration: CalibrationStore(client: client, logger: logger), quotas: quotas)
        let processors = try fileDropProcessors(
            httpClient: httpClient, modes: watcher, audit: audit,
            claims: FileClaimStore(client: client, logger: logger),
            quotas: quotas)
        let fileDrops = FileDropWatcher(processors: processors, startWhen: startWhen, logger: logger)
        let runners = try dbJobRunners(
            httpClient: httpClient, modes: watcher, audit: audit, client: client, quotas: quotas)
        let jobs = DBJobScheduler(
            runners: runners, store: JobStore(client: client, logger: logger), startWhen: startWhen, logger: logger)
        // Every adapter's breaker, as /metrics and the admin API read them.
        let holders: [any ERPCircuitHolder] = facades + processors + runners
        let control = FlowControl(client: client, definitions: configuration.flows, logger: logger)
        let scheduledChanges = ScheduledChangeRunner(
            control: control, watcher: watcher, instance: configuration.instanceName,
            interval: configuration.scheduleInterval, startWhen: startWhen, logger: logger)
        let tokens = TokenStore(client: client, logger: logger)
        let admin = AdminService(
            control: control, watcher: watcher, metrics: metrics,
            circuits: { Dictionary(CircuitReading.of(holders).map { ($0.flow, $0.state) }) { first, _ in first } },
            logger: logger)
        let router = Router()
        HealthRoutes(client: client, readiness: readiness, watcher: watcher, logger: logger).register(on: router)
        let circuits: @Sendable () -> [CircuitReading] = { CircuitReading.of(holders) }
        MetricsRoutes(
            metrics: metrics, watcher: watcher, writer: writer, flows: configuration.flows.map(\.flow),
            circuits: circuits, deadLetters: DeadLetterStore(client: client, logger: logger)
        ).register(on: router)
        AdminRoutes(
            service: admin, authenticator: AdminAuthenticator(tokens: tokens),
            schedule: ScheduleStore(client: client, logger: logger),
            guardStore: GuardStore(client: client, logger: logger),
            tokens: tokens, logger: logger
        ).register(on: router)
        DashboardRoutes(
            service: admin, tokens: tokens, sessions: DashboardSessions(key: configuration.redactionKey),
            logger: logger
        ).register(on: router)
        SOAPRoutes(facades: facades, readiness: readiness).register(on: router)
        let groupBox = GroupBox()
        let app = Application(
            router: router,
            server: try serverBuilder(),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "cutover"),
            onServerRunning: { [logger, configuration] channel in
                let port = channel.localAddress?.port ?? configuration.port
                logger.notice("listening", metadata: ["address": "\(configuration.host):\(port)"])
                if let group = groupBox.group {
                    await onRunning(Running(port: port, group: group, modes: watcher, offPath: offPath))
                }
            },
            logger: logger
        )
        // A group stops its services in reverse order: the span exporter outlives everything that makes spans.
        let named: [(String, any Service)] = [
            ("postgres-client", client),
            (
                "startup-and-upkeep",
                StartupAndUpkeep(client: client, flows: configuration.flows, readiness: readiness, logger: logger)
            ),
            ("audit-writer", writer), ("flow-state-watcher", watcher), ("off-path-calls", offPath),
            ("rollback-guard", rollbackGuard), ("scheduled-changes", scheduledChanges), ("file-drops", fileDrops),
            ("db-jobs", jobs),
        ]
        let watched = named.map { name, service in
            ServiceGroupConfiguration.ServiceConfiguration(
                service: WatchedService(
                    name: name, service: service, reportAfter: configuration.shutdownGrace / 3, logger: logger))
        }
        var groupConfiguration = ServiceGroupConfiguration(
            services: (tracingService.map { [ServiceGroupConfiguration.ServiceConfiguration(service: $0)] } ?? [])
                + watched + [.init(service: app, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: gracefulShutdownSignals,
            logger: logger)
        // Past the grace, what still runs is cancelled rather than waited for without end.
        groupConfiguration.maximumGracefulShutdownDuration = configuration.shutdownGrace
        let group = ServiceGroup(configuration: groupConfiguration)
        groupBox.group = group
        try await group.run()
    }

    /// HTTP/1.1, over TLS when certificate files are configured.
    func serverBuilder() throws -> HTTPServerBuilder {
        guard let tls = configuration.tls else { return .http1() }
        let chain = try NIOSSLCertificate.fromPEMFile(tls.certificatePath).map {
            NIOSSLCertificateSource.certificate($0)
        }
        let key = try NIOSSLPrivateKey(file: tls.keyPath, format: .pem)
        var settings = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        settings.minimumTLSVersion = .tlsv12
        return try .tls(.http1(), tlsConfiguration: settings)
    }

    /// The configured tracing, or OTLP export through swift-otel, or none; with the service that exports.
    func makeTracing() throws -> (ExchangeTracing, (any Service)?) {
        if let tracing = configuration.tracing { return (tracing, nil) }
        guard configuration.exportTraces else { return (ExchangeTracing(), nil) }
        var otel = OTel.Configuration.default
        otel.serviceName = "cutover"
        otel.diagnosticLogger = .custom(logger)
        otel.traces.enabled = true
        otel.traces.exporter = .otlp
        otel.traces.otlpExporter.protocol = .httpProtobuf
        otel.metrics.enabled = false
        otel.logs.enabled = false
        let backend = try OTel.makeTracingBackend(configuration: otel)
        logger.notice("exporting spans over OTLP/HTTP")
        return (ExchangeTracing(tracer: backend.factory), backend.service)
    }

    /// One facade per soap flow, each with its own ERP token cache.
    func soapFacades(
        httpClient: HTTPClient, modes: any ModeSource, audit: any AuditSink, offPath: OffPathCalls,
        tracing: ExchangeTracing, calibration: (any CalibrationSink)? = nil, quotas: ERPQuotas = ERPQuotas()
    ) throws -> [SOAPFacade] {
        let redactor = Redactor(key: configuration.redactionKey)
        return try configuration.flows.filter { $0.kind == .soap }.map { definition in
            let flow = try SOAPFlow(definition)
            let erp = definition.new.map { new in
                ERPClient(httpClient: httpClient, credentials: new.auth, logger: logger)
            }
            return SOAPFacade(
                flow: flow, modes: modes, httpClient: httpClient, erp: erp, audit: audit, offPath: offPath,
                redactor: redactor, tracing: tracing, calibration: calibration, quotas: quotas, logger: logger)
        }
    }
}

extension CutoverServer {
    /// One processor per file-drop flow, each with its own ERP token cache; the ERP hosts' quotas are shared with
    /// the SOAP facades.
    func fileDropProcessors(
        httpClient: HTTPClient, modes: any ModeSource, audit: any AuditSink, claims: FileClaimStore, quotas: ERPQuotas
    ) throws -> [FileDropProcessor] {
        let redactor = Redactor(key: configuration.redactionKey)
        return try configuration.flows.filter { $0.kind == .fileDrop }.map { definition in
            FileDropProcessor(
                flow: try FileDropFlow(definition), modes: modes,
                erp: definition.new.map { ERPClient(httpClient: httpClient, credentials: $0.auth, logger: logger) },
                audit: audit, claims: claims, redactor: redactor, instance: configuration.instanceName, quotas: quotas,
                logger: logger)
        }
    }
}

extension CutoverServer {
    /// One runner per db-job flow, each with its own ERP token cache.
    func dbJobRunners(
        httpClient: HTTPClient, modes: any ModeSource, audit: any AuditSink, client: PostgresClient, quotas: ERPQuotas
    ) throws -> [DBJobRunner] {
        let redactor = Redactor(key: configuration.redactionKey)
        return try configuration.flows.filter { $0.kind == .dbJob }.map { definition in
            DBJobRunner(
                flow: try DBJobFlow(definition), modes: modes,
                erp: definition.new.map { ERPClient(httpClient: httpClient, credentials: $0.auth, logger: logger) },
                audit: audit, client: client, redactor: redactor, instance: configuration.instanceName,
                quotas: quotas, logger: logger)
        }
    }
}

/// Hands the service group to the server's start callback, which is created before the group.
private final class GroupBox: Sendable {
    private let stored = Mutex<ServiceGroup?>(nil)
    var group: ServiceGroup? {
        get { stored.withLock { $0 } }
        set { stored.withLock { $0 = newValue } }
    }
}

/// PEM files for the listener's TLS.
public struct TLSFiles: Sendable, Hashable {
    public var certificatePath: String
    public var keyPath: String

    public init(certificatePath: String, keyPath: String) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
    }
}
