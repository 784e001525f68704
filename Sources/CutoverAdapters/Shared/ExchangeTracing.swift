import CutoverCore
import Instrumentation
import Tracing

/// Spans for exchanges and their side calls (swift-distributed-tracing): one server span per exchange, continuing
/// the caller's W3C trace, and one client span per call to a side, whose context goes out in that call's
/// `traceparent`. With the default no-op tracer nothing is recorded and the sides get Cutover's own child of the
/// caller's trace (see ``TraceContext``), so the trace id in the audit store always matches the caller's.
public struct ExchangeTracing: Sendable {
    let tracer: any Tracer

    public init(tracer: any Tracer = NoOpTracer()) {
        self.tracer = tracer
    }

    /// The caller's trace as the parent of the exchange's span.
    func parent(_ trace: TraceContext, tracestate: String?) -> InstrumentationContext {
        var context = InstrumentationContext.topLevel
        var headers = ["traceparent": trace.header]
        if let tracestate { headers["tracestate"] = tracestate }
        tracer.extract(headers, into: &context, using: HeaderLookup())
        return context
    }

    /// Runs `body` in a span named `name` under `context`.
    func span<R: Sendable>(
        _ name: String, context: InstrumentationContext, kind: SpanKind,
        _ body: (any Span) async -> R
    ) async -> R {
        await Self.span(tracer, name, context: context, kind: kind, body)
    }

    private static func span<T: Tracer, R: Sendable>(
        _ tracer: T, _ name: String, context: InstrumentationContext, kind: SpanKind,
        _ body: (any Span) async -> R
    ) async -> R {
        await tracer.withSpan(name, context: context, ofKind: kind) { span in await body(span) }
    }

    /// `headers` with `span`'s trace context in place of the `traceparent` (and `tracestate`) they carry, when the
    /// tracer writes one.
    func headers(_ headers: [(String, String)], for span: any Span) -> [(String, String)] {
        var injected: [(String, String)] = []
        tracer.inject(span.context, into: &injected, using: HeaderPairs())
        guard !injected.isEmpty else { return headers }
        let names = Set(injected.map { $0.0.lowercased() })
        return headers.filter { !names.contains($0.0.lowercased()) } + injected
    }
}

private struct HeaderLookup: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? {
        carrier[key.lowercased()]
    }
}

private struct HeaderPairs: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [(String, String)]) {
        carrier.append((key, value))
    }
}
