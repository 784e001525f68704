import CoreMetrics
import CutoverAdapters
import CutoverCore
import CutoverHTTP
import CutoverStore
import Foundation
import Prometheus
import Synchronization

/// DESIGN.md's Prometheus series, kept through swift-metrics on a registry of this server's own (no global
/// bootstrap, so several servers may share a process, as tests do) and rendered by swift-prometheus at `/metrics`.
///
/// - `cutover_exchanges_total{flow,mode,served_by,verdict}`: counted when the exchange's verdict is known — with its
///   record when final, else when its comparison is written (the exchange's labels are held until then).
/// - `cutover_side_latency_seconds{flow,side}`: every side call's latency.
/// - `cutover_flow_mode{flow,mode}`: 1 for the flow's current mode, 0 for the others, as this instance sees it.
/// - `cutover_rollbacks_total{flow,cause}`: rollbacks this instance made, `cause` `auto` or `manual`.
/// - `cutover_audit_queue_depth`, `cutover_audit_spool_bytes`: the audit writer, read at each scrape.
/// - `cutover_dead_letters{flow}`: dead letters waiting for replay.
/// - `cutover_circuit_state{flow,host,state}`: 1 for the state of the flow's ERP circuit breaker, 0 for the others.
public final class CutoverMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    /// Exchanges whose verdict comes later, by id: their labels. Bounded; beyond it the labels are `unknown`.
    private let pending = Mutex<[UUID: (flow: String, mode: String, servedBy: String)]>([:])
    private static let pendingLimit = 100_000

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["cutover_side_latency_seconds"] = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30),
        ]
        self.factory = factory
    }

    /// Counts and times what the audit store received. A side call finds its flow through its exchange, written in
    /// the same batch or still waiting for its verdict; comparisons are taken last, as they settle the wait.
    func observe(_ records: [AuditRecord]) {
        var flows: [UUID: String] = [:]
        for case .exchange(let exchange) in records {
            flows[exchange.id] = exchange.flow
            guard Self.countedKinds.contains(exchange.kind) else { continue }
            let served = exchange.servedBy?.rawValue ?? "none"
            if let verdict = exchange.verdict {
                countExchange(
                    flow: exchange.flow, mode: exchange.mode.rawValue, servedBy: served, verdict: verdict.rawValue)
            } else {
                pending.withLock { pending in
                    if pending.count < Self.pendingLimit {
                        pending[exchange.id] = (exchange.flow, exchange.mode.rawValue, served)
                    }
                }
            }
        }
        for case .sideCall(let call) in records {
            guard let latency = call.latencySeconds,
                let flow = flows[call.exchangeID] ?? pending.withLock({ $0[call.exchangeID]?.flow })
            else { continue }
            let key = HandleKey(labels: [flow, call.side.rawValue])
            let timer = handle(key, in: timers) {
                Timer(
                    label: "cutover_side_latency_seconds", dimensions: [("flow", flow), ("side", call.side.rawValue)],
                    factory: factory)
            }
            timer.recordNanoseconds(Int64(latency * 1e9))
        }
        for case .comparison(let comparison) in records where comparison.replayOf == nil {
            let labels = pending.withLock { $0.removeValue(forKey: comparison.exchangeID) }
            countExchange(
                flow: comparison.flow, mode: labels?.mode ?? "unknown", servedBy: labels?.servedBy ?? "unknown",
                verdict: comparison.verdict.rawValue)
        }
    }

    private func countExchange(flow: String, mode: String, servedBy: String, verdict: String) {
        let key = HandleKey(labels: [flow, mode, servedBy, verdict])
        handle(key, in: exchangeCounters) {
            Counter(
                label: "cutover_exchanges_total",
                dimensions: [("flow", flow), ("mode", mode), ("served_by", servedBy), ("verdict", verdict)],
                factory: factory)
        }.increment()
    }

    /// The label values a per-exchange series is kept under.
    private struct HandleKey: Hashable {
        var labels: [String]
    }

    /// The per-exchange series' handles, made once per label set: building one goes through the registry's lock
    /// and the label checks, which the exchange path need not pay every time.
    private let exchangeCounters = Mutex<[HandleKey: CoreMetrics.Counter]>([:])
    private let timers = Mutex<[HandleKey: CoreMetrics.Timer]>([:])

    private func handle<Handle: AnyObject & Sendable>(
        _ key: HandleKey, in cache: borrowing Mutex<[HandleKey: Handle]>, make: () -> Handle
    ) -> Handle {
        if let found = cache.withLock({ $0[key] }) { return found }
        let made = make()
        return cache.withLock { cache in
            if let found = cache[key] { return found }
            cache[key] = made
            return made
        }
    }

    /// A rollback this instance made: `auto` by the guard, `manual` through the admin API or dashboard.
    func countRollback(flow: String, cause: String) {
        Counter(label: "cutover_rollbacks_total", dimensions: [("flow", flow), ("cause", cause)], factory: factory)
            .increment()
    }

    /// The `/metrics` page: gauges refreshed from their sources, then every series in Prometheus text format.
    func render(
        states: [FlowState], flows: [String], writer: AuditWriter, deadLetters: [String: Int]?,
        circuits: [CircuitReading]
    ) async -> [UInt8] {
        for circuit in circuits {
            for state in CircuitBreaker.State.allCases {
                Gauge(
                    label: "cutover_circuit_state",
                    dimensions: [("flow", circuit.flow), ("host", circuit.host), ("state", state.rawValue)],
                    factory: factory
                ).record(circuit.state == state ? 1 : 0)
            }
        }
        for state in states {
            for mode in Mode.allCases {
                Gauge(
                    label: "cutover_flow_mode", dimensions: [("flow", state.flow), ("mode", mode.rawValue)],
                    factory: factory
                ).record(state.setting.mode == mode ? 1 : 0)
            }
        }
        Gauge(label: "cutover_audit_queue_depth", factory: factory).record(await writer.queueDepth)
        Gauge(label: "cutover_audit_spool_bytes", factory: factory).record(await writer.spoolBytes)
        for flow in flows {
            // Counted in PostgreSQL; when it cannot be asked the last known value stays.
            if let deadLetters {
                Gauge(label: "cutover_dead_letters", dimensions: [("flow", flow)], factory: factory)
                    .record(deadLetters[flow, default: 0])
            }
            // Shown at 0 before the first rollback, so an alert on their increase has a series to start from.
            for cause in ["auto", "manual"] {
                _ = Counter(
                    label: "cutover_rollbacks_total", dimensions: [("flow", flow), ("cause", cause)], factory: factory)
            }
        }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 * 1024)
        registry.emit(into: &buffer)
        return buffer
    }

    /// Units of traffic: a file or a job run is a container of records or rows, counted through them.
    private static let countedKinds: Set<ExchangeKind> = [.call, .record, .row]
}

/// The audit sink the adapters write to: the writer, observed by the metrics and the auto-rollback guard.
struct ObservedAuditSink: AuditSink {
    let writer: AuditWriter
    let metrics: CutoverMetrics
    let onVerdict: @Sendable () -> Void

    func write(_ records: [AuditRecord]) async throws {
        try await writer.write(records)
        metrics.observe(records)
        if records.contains(where: \.carriesVerdict) { onVerdict() }
    }
}

extension AuditRecord {
    fileprivate var carriesVerdict: Bool {
        switch self {
        case .exchange(let exchange): exchange.verdict != nil
        case .comparison: true
        case .sideCall, .deadLetter: false
        }
    }
}

/// One flow's ERP circuit breaker as read now.
struct CircuitReading: Sendable {
    var flow: String
    var host: String
    var state: CircuitBreaker.State

    static func of(_ holders: [any ERPCircuitHolder]) -> [CircuitReading] {
        holders.compactMap { holder in
            holder.circuit.map { CircuitReading(flow: holder.flowName, host: $0.host, state: $0.state) }
        }
    }
}
