// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

// Products several targets use.
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
let nioCore: Target.Dependency = .product(name: "NIOCore", package: "swift-nio")
let serviceLifecycle: Target.Dependency = .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let asyncHTTPClient: Target.Dependency = .product(name: "AsyncHTTPClient", package: "async-http-client")
let postgresNIO: Target.Dependency = .product(name: "PostgresNIO", package: "postgres-nio")
let hummingbird: Target.Dependency = .product(name: "Hummingbird", package: "hummingbird")
let httpTypes: Target.Dependency = .product(name: "HTTPTypes", package: "swift-http-types")
let crypto: Target.Dependency = .product(name: "Crypto", package: "swift-crypto")
let tracing: Target.Dependency = .product(name: "Tracing", package: "swift-distributed-tracing")
let instrumentation: Target.Dependency = .product(name: "Instrumentation", package: "swift-distributed-tracing")

let package = Package(
    name: "Cutover",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "cutover", targets: ["cutover"]),
        .library(name: "CutoverCore", targets: ["CutoverCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.21.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.65.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.0.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.27.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.0.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        // Pure domain: flows, modes, routing, exchanges, canonical values, comparison. No I/O.
        .target(
            name: "CutoverCore",
            dependencies: [
                crypto,
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            swiftSettings: swiftSettings
        ),
        // Adapter YAML loading and validation, with file:line errors.
        .target(
            name: "CutoverConfig",
            dependencies: ["CutoverCore", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        // PostgreSQL: migrations, audit writer with spool, flow state, embedded cluster.
        .target(
            name: "CutoverStore",
            dependencies: [
                "CutoverCore",
                postgresNIO,
                logging,
                crypto,
                nioCore,
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                serviceLifecycle,
            ],
            resources: [.copy("Migrations")],
            swiftSettings: swiftSettings
        ),
        // Outbound REST client for the ERP: OAuth2 client credentials, timeouts, retries, rate limits, typed errors.
        .target(
            name: "CutoverHTTP",
            dependencies: [
                "CutoverCore",
                asyncHTTPClient,
                nioCore,
                .product(name: "NIOHTTP1", package: "swift-nio"),
                logging,
            ],
            swiftSettings: swiftSettings
        ),
        // The adapters: the SOAP facade, the file-drop adapter and reconciliation; the database-job adapter next.
        .target(
            name: "CutoverAdapters",
            dependencies: [
                "CutoverCore", "CutoverConfig", "CutoverStore", "CutoverXML", "CutoverHTTP",
                crypto,
                postgresNIO,
                asyncHTTPClient,
                tracing,
                instrumentation,
                nioCore,
                logging,
                serviceLifecycle,
            ],
            swiftSettings: swiftSettings
        ),
        // Parallel-run reports: aggregated in SQL, written as JSON, Markdown, CSV (HTML next).
        .target(
            name: "CutoverReports",
            dependencies: ["CutoverCore", "CutoverStore", postgresNIO, logging],
            swiftSettings: swiftSettings
        ),
        // A legacy SOAP service over a legacy PostgreSQL schema, and a Business Central-shaped ERP REST API.
        .target(
            name: "CutoverSimulators",
            dependencies: [
                "CutoverCore", "CutoverXML", "CutoverStore",
                hummingbird,
                httpTypes,
                asyncHTTPClient,
                postgresNIO,
                logging,
                serviceLifecycle,
            ],
            swiftSettings: swiftSettings
        ),
        // Hummingbird app and service lifecycle: SOAP routes, admin API, dashboard, metrics, health and readiness;
        // the auto-rollback guard and the scheduled-change runner.
        .target(
            name: "CutoverServer",
            dependencies: [
                "CutoverCore", "CutoverConfig", "CutoverStore", "CutoverAdapters", "CutoverHTTP", "CutoverReports",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                tracing,
                crypto,
                hummingbird,
                httpTypes,
                asyncHTTPClient,
                postgresNIO,
                logging,
                serviceLifecycle,
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // libxml2 from the system (Debian libxml2-dev).
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        // Hardened XML parsing, namespace-aware XPath, documents and SOAP envelopes over libxml2.
        .target(name: "CutoverXML", dependencies: ["CLibXML2", "CutoverCore"], swiftSettings: swiftSettings),
        // Test support: PostgreSQL test databases, processes, temporary directories.
        .target(
            name: "CutoverTesting",
            dependencies: [
                "CutoverCore", "CutoverStore", "CutoverSimulators", "CutoverServer", "CutoverConfig", "CutoverAdapters",
                "CutoverHTTP",
                serviceLifecycle,
                postgresNIO,
                logging,
                asyncHTTPClient,
                nioCore,
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The CLI: parses, then calls the modules.
        .executableTarget(
            name: "cutover",
            dependencies: [
                "CutoverCore", "CutoverConfig", "CutoverStore", "CutoverServer", "CutoverSimulators",
                "CutoverAdapters", "CutoverHTTP", "CutoverReports",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                postgresNIO,
                logging,
                serviceLifecycle,
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "CutoverCoreTests", dependencies: ["CutoverCore"], swiftSettings: swiftSettings),
        .testTarget(name: "CutoverXMLTests", dependencies: ["CutoverXML"], swiftSettings: swiftSettings),
        .testTarget(
            name: "CutoverConfigTests",
            dependencies: ["CutoverConfig", "CutoverTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CutoverStoreTests",
            dependencies: ["CutoverStore", "CutoverTesting", postgresNIO],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CutoverHTTPTests",
            dependencies: ["CutoverHTTP", "CutoverSimulators", "CutoverTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CutoverAdaptersTests",
            dependencies: [
                "CutoverAdapters", "CutoverSimulators", "CutoverTesting", "CutoverConfig", "CutoverServer",
                postgresNIO,
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CutoverReportsTests",
            dependencies: ["CutoverReports", "CutoverTesting", "CutoverStore", postgresNIO],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CutoverServerTests",
            dependencies: [
                "CutoverServer", "CutoverSimulators", "CutoverTesting", "CutoverConfig", "CutoverStore",
                "CutoverAdapters",
                postgresNIO,
                asyncHTTPClient,
                nioCore,
                .product(name: "NIOHTTP1", package: "swift-nio"),
                tracing,
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                serviceLifecycle,
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CutoverCLITests",
            dependencies: ["CutoverTesting", "CutoverStore", postgresNIO],
            swiftSettings: swiftSettings
        ),
    ]
)
