import CutoverConfig
import CutoverCore
import CutoverServer
import CutoverSimulators
import CutoverStore
import CutoverTesting
import Foundation
import Testing

@Suite("Noise calibration", .timeLimit(.minutes(3)))
struct CalibrationTests {
    static let flow = FacadeFixture.flow

    /// The purchase-order flow also comparing the legacy answer's `RetrievedAt` (stamped at each read), with
    /// GetPurchaseOrder calibrated on every call.
    static let calibrated: @Sendable (inout FlowDefinition) -> Void = { flow in
        flow.compare.fields.append(
            CompareField(name: "retrieved_at", legacy: "//po:RetrievedAt", new: "/lastModifiedDateTime"))
        flow.compare.calibrate = CalibrationSpec(operations: ["GetPurchaseOrder"], sample: 1)
    }

    @Test(
        "read-only calls go to legacy twice off the path; only the field that differs between legacy answers is noise")
    func findsNoise() async throws {
        try await FacadeFixture.run(configure: Self.calibrated) { fixture in
            let created = try await fixture.call(purchaseOrderEnvelope(requestID: "CAL-1", supplier: "SUP-1003"))
            #expect(created.status == 200)
            let legacyCalls = fixture.simulators.legacy.calls
            for _ in 0..<5 {
                let read = try await fixture.call(PurchaseOrderTraffic.lookupEnvelope(orderNumber: "CAL-1"))
                #expect(read.status == 200)
                #expect(read.body.contains("<po:RetrievedAt>"))
            }
            await fixture.server.offPath.waitUntilIdle()
            #expect(fixture.simulators.legacy.calls == legacyCalls + 10, "each read went to legacy twice")

            let noise = try await CalibrationStore(client: fixture.client, logger: TestPostgres.logger)
                .noise(flow: Self.flow, since: Date().addingTimeInterval(-600))
            #expect(noise.map(\.ignoreEntry) == ["retrieved_at"], "total, status, order number are stable")
            #expect(noise.first?.occurrences == 5)
            #expect(noise.first?.runs == 5, "the create was not calibrated")
            #expect(noise.first?.examples.first?.count == 2)
            #expect(noise.first?.examples.first?.first??.contains("T") == true)
        }
    }

    @Test("cutover calibrate lists the noise and --adopt writes it into the adapter's compare.ignore")
    func adopt() async throws {
        let url = try await TestPostgres.makeDatabase("calibrate")
        let home = TemporaryDirectory("home")
        let adapters = TemporaryDirectory("adapters")
        let shipped = packageRoot() + "/adapters"
        for name in try FileManager.default.contentsOfDirectory(atPath: shipped) {
            try FileManager.default.copyItem(atPath: shipped + "/" + name, toPath: adapters.file(name))
        }
        let path = adapters.file(Self.flow + ".yaml")
        let original = try String(contentsOfFile: path, encoding: .utf8)
        let withCalibration = original.replacingOccurrences(
            of: "  reverse_shadow: false\n",
            with: "  reverse_shadow: false\n  calibrate: { operations: [GetPurchaseOrder], sample: 0.1 }\n")
        try withCalibration.write(toFile: path, atomically: true, encoding: .utf8)
        try await TestPostgres.withClient(url) { client in
            _ = try await Migrator(client: client, migrations: try Migration.bundled(), logger: TestPostgres.logger)
                .migrate()
            let store = CalibrationStore(client: client, logger: TestPostgres.logger)
            for index in 0..<4 {
                let diff =
                    index < 3
                    ? [
                        FieldDiff(
                            path: "retrieved_at", legacy: "2026-11-25T09:00:0\(index)Z",
                            new: "2026-11-25T09:00:0\(index + 1)Z", rule: "string")
                    ]
                    : []
                try await store.record(
                    flow: Self.flow, exchangeID: UUID(), exchangeStartedAt: Date(), operation: "GetPurchaseOrder",
                    diff: diff)
            }
        }
        let environment = ["DATABASE_URL": url.connectionString, "CUTOVER_HOME": home.path]
        let listed = try await CutoverProcess.run(
            ["calibrate", Self.flow, "--config", adapters.path], environment: environment)
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains("retrieved_at") && listed.stdout.contains("3 of 4 runs"))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == withCalibration, "listing changes nothing")

        let adopted = try await CutoverProcess.run(
            ["calibrate", Self.flow, "--config", adapters.path, "--adopt"], environment: environment)
        #expect(adopted.status == 0, "\(adopted.stderr)")
        #expect(adopted.stdout.contains("added to compare.ignore"))
        let edited = try String(contentsOfFile: path, encoding: .utf8)
        #expect(edited.contains(#"ignore: [ "/lastModifiedDateTime", "retrieved_at" ]"#))
        #expect(edited.contains("# order lines, paired by item code (never by position)"), "comments are kept")
        let validate = try await CutoverProcess.run(["validate", adapters.path], environment: environment)
        #expect(validate.status == 0, "\(validate.stderr)")
        let again = try await CutoverProcess.run(
            ["calibrate", Self.flow, "--config", adapters.path, "--adopt"], environment: environment)
        #expect(again.stdout.contains("nothing to adopt"))
    }
}
