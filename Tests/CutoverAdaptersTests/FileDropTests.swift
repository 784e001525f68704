import CutoverAdapters
import CutoverCore
import CutoverSimulators
import CutoverStore
import CutoverTesting
import Foundation
import Testing

/// The file-drop adapter on real files, a real PostgreSQL and the ERP simulator: each mode's routing, duplicates,
/// broken files, canary parts and dead letters.
@Suite("File-drop adapter", .timeLimit(.minutes(3)))
struct FileDropTests {
    static func records(_ bytes: [UInt8]) -> [String] {
        String(decoding: bytes, as: UTF8.self).split(separator: "\n").dropFirst().map(String.init)
    }

    @Test("legacy: the inbox gets the file byte for byte, the ERP nothing; the file is audited and settled in done/")
    func legacyMode() async throws {
        try await FileDropFixture.run { fixture in
            let bytes = FileDropFixture.stockCSV(25, lineEnd: "\r\n")
            let result = try #require(try await fixture.process("STOCK_1.csv", bytes, .legacy))
            #expect(result.recordsSeen == 25)
            #expect(result.deliveredToLegacy == 25)
            #expect(result.sent == 0)
            #expect(fixture.files(fixture.flow.inbox) == ["STOCK_1.csv": bytes], "whole, unchanged, no temporary left")
            #expect(await fixture.ledger().isEmpty)
            let done = fixture.files(fixture.flow.doneDirectory)
            #expect(done["STOCK_1.csv"] == bytes)
            let stored = try #require(done["STOCK_1.csv.result.json"])
            #expect(FileResult.decode(String(decoding: stored, as: UTF8.self))?.recordsSeen == 25)
            #expect(fixture.files(fixture.flow.processingDirectory).isEmpty)
            #expect(
                try await fixture.count(
                    "SELECT count(*) FROM cutover.exchanges WHERE kind = 'file' AND payload_sha256 = '\(result.sha256)'"
                )
                    == 1)
        }
    }

    @Test("new: every record reaches the ERP once, with its idempotency key; the inbox gets nothing")
    func newMode() async throws {
        try await FileDropFixture.run { fixture in
            let bytes = FileDropFixture.stockCSV(35)
            let result = try #require(try await fixture.process("STOCK_2.csv", bytes, ModeSetting(mode: .new)))
            #expect(result.sent == 35)
            #expect(result.failed == 0)
            #expect(fixture.files(fixture.flow.inbox).isEmpty)
            let ledger = await fixture.ledger()
            #expect(ledger.count == 35)
            let expected = Self.records(bytes).map { $0.split(separator: ",")[1] }
            #expect(
                Set(ledger.compactMap { $0.value(at: "/itemNumber")?.scalarText }) == Set(expected.map(String.init)))
            #expect(await fixture.simulators.erp.stats.idempotentReplays == 0)
            #expect(
                try await fixture.count(
                    "SELECT count(*) FROM cutover.exchanges WHERE kind = 'record' AND served_by = 'new'") == 35)
        }
    }

    @Test("shadow: both sides; records compared with what the ERP made of them, a planted divergence named")
    func shadowMode() async throws {
        try await FileDropFixture.run { fixture in
            var knobs = ERPSimulatorKnobs()
            knobs.divergences = ["quantity": "+1"]
            knobs.divergeVendors = ["EAST"]
            await fixture.simulators.erp.setKnobs(knobs)
            let bytes = FileDropFixture.stockCSV(20)
            let result = try #require(try await fixture.process("STOCK_3.csv", bytes, ModeSetting(mode: .shadow)))
            #expect(fixture.files(fixture.flow.inbox)["STOCK_3.csv"] == bytes)
            #expect(await fixture.ledger().count == 20)
            #expect(result.compared == 20)
            #expect(result.mismatches == 5, "the EAST records (one in four)")
            let mismatched = try await fixture.count(
                """
                SELECT count(*) FROM cutover.comparisons c JOIN cutover.exchanges e ON e.id = c.exchange_id
                WHERE c.verdict = 'mismatch' AND e.routing_key = 'EAST' AND c.diff::text LIKE '%quantity%'
                """)
            #expect(mismatched == 5)
            #expect(try await fixture.count("SELECT count(*) FROM cutover.comparisons WHERE verdict = 'match'") == 15)
        }
    }

    @Test("canary: the legacy part and the ERP's records together are the file; the part is a valid CSV")
    func canarySplit() async throws {
        try await FileDropFixture.run { fixture in
            let bytes = FileDropFixture.stockCSV(200)
            let setting = ModeSetting(mode: .canary, percent: 50)
            let result = try #require(try await fixture.process("STOCK_4.csv", bytes, setting))
            let part = try #require(fixture.files(fixture.flow.inbox)["STOCK_4.csv"])
            let partRecords = Self.records(part)
            #expect(String(decoding: part, as: UTF8.self).hasPrefix("site,ndc,qty_on_hand,uom\n"))
            let ledger = await fixture.ledger()
            let sent = ledger.map { entry in
                ["/locationCode", "/itemNumber"].compactMap { entry.value(at: $0)?.scalarText }.joined(separator: ",")
            }
            let original = Self.records(bytes)
            #expect(partRecords.count + ledger.count == original.count)
            #expect(result.deliveredToLegacy == partRecords.count)
            #expect(result.sent == ledger.count)
            #expect(!partRecords.isEmpty && !ledger.isEmpty, "both sides got some at 50 %")
            let partKeys = partRecords.map { $0.split(separator: ",").prefix(2).joined(separator: ",") }
            #expect(
                Set(partKeys + sent) == Set(original.map { $0.split(separator: ",").prefix(2).joined(separator: ",") }))
            #expect(Set(partKeys).isDisjoint(with: Set(sent)))
            // Each site's records all went one way: the split is by routing key.
            let partSites = Set(partRecords.map { $0.split(separator: ",")[0] })
            let sentSites = Set(ledger.compactMap { $0.value(at: "/locationCode")?.scalarText })
            #expect(partSites.isDisjoint(with: Set(sentSites.map { Substring($0) })))
        }
    }

    @Test("canary on fixed-width: the legacy part has the header and a trailer recomputed for its records")
    func canaryFixedWidth() async throws {
        let format = """
              type: fixed-width
              record_types:
                header: { prefix: "H", columns: { run_date: { start: 2, length: 8 } } }
                detail:
                  prefix: "D"
                  columns:
                    site: { start: 2, length: 6 }
                    ndc: { start: 8, length: 13 }
                    qty_on_hand: { start: 21, length: 8, type: decimal }
                    uom: { start: 29, length: 2 }
                trailer: { prefix: "T", columns: { record_count: { start: 2, length: 6 }, total_qty: { start: 8, length: 10 } } }
              control_totals: { record_count: count, total_qty: { sum: qty_on_hand } }
            """
        try await FileDropFixture.run(format: format, pattern: "STOCK_*.dat") { fixture in
            let sites = ["NORTH", "SOUTH", "EAST", "WEST"]
            var details: [String] = []
            var total = Decimal(0)
            for number in 1...40 {
                let quantity = "\(number).50"
                total += Decimal(string: quantity)!
                details.append(
                    "D" + sites[number % 4].padding(toLength: 6, withPad: " ", startingAt: 0)
                        + String(format: "%013d", number) + String(repeating: " ", count: 8 - quantity.count) + quantity
                        + "EA")
            }
            func file(_ details: [String], _ sum: Decimal) -> String {
                let totalText = "\(sum)".contains(".") ? "\(sum)" : "\(sum).00"
                let padded =
                    totalText.split(separator: ".").count == 2 && totalText.split(separator: ".")[1].count == 1
                    ? totalText + "0" : totalText
                return
                    (["H20261124"] + details
                    + [
                        "T" + String(format: "%06d", details.count) + String(repeating: "0", count: 10 - padded.count)
                            + padded
                    ])
                    .joined(separator: "\n") + "\n"
            }
            let setting = ModeSetting(mode: .canary, percent: 50)
            let result = try #require(
                try await fixture.process("STOCK_5.dat", Array(file(details, total).utf8), setting))
            #expect(result.error == nil)
            let part = String(decoding: try #require(fixture.files(fixture.flow.inbox)["STOCK_5.dat"]), as: UTF8.self)
            let partDetails = part.split(separator: "\n").filter { $0.hasPrefix("D") }.map(String.init)
            let partTotal = partDetails.reduce(Decimal(0)) {
                $0 + Decimal(string: String($1.dropFirst(20).prefix(8)).trimmingCharacters(in: .whitespaces))!
            }
            #expect(part == file(partDetails, partTotal), "header kept, trailer count and sum recomputed")
            #expect(partDetails.count + result.sent == 40)
            #expect(result.deliveredToLegacy == partDetails.count)
        }
    }

    @Test("the same bytes dropped again are a recorded duplicate: nothing is delivered or sent twice")
    func duplicateDrop() async throws {
        try await FileDropFixture.run { fixture in
            let bytes = FileDropFixture.stockCSV(12)
            let first = try #require(try await fixture.process("STOCK_6.csv", bytes, ModeSetting(mode: .shadow)))
            #expect(!first.duplicate)
            try FileManager.default.removeItem(atPath: fixture.flow.inbox + "/STOCK_6.csv")  // the consumer took it
            let second = try #require(try await fixture.process("STOCK_6.csv", bytes, ModeSetting(mode: .shadow)))
            #expect(second.duplicate)
            #expect(second.duplicateOf?.contains("STOCK_6.csv") == true)
            #expect(fixture.files(fixture.flow.inbox).isEmpty, "not delivered a second time")
            #expect(await fixture.ledger().count == 12)
            let done = fixture.files(fixture.flow.doneDirectory)
            #expect(done.keys.filter { $0.hasSuffix(".result.json") }.count == 2, "both drops settled with a result")
            #expect(
                try await fixture.count(
                    "SELECT count(*) FROM cutover.exchanges WHERE kind = 'file' AND attributes->>'duplicate' = 'true'")
                    == 1)
        }
    }

    @Test("a broken file goes to failed/ with the reason and reaches neither side")
    func brokenFile() async throws {
        try await FileDropFixture.run { fixture in
            var bytes = FileDropFixture.stockCSV(30)
            bytes += Array("NORTH,\"00001,3,EA\n".utf8)  // an unterminated quote on the last line
            let result = try #require(try await fixture.process("STOCK_7.csv", bytes, ModeSetting(mode: .shadow)))
            #expect(result.error?.contains("STOCK_7.csv line 32") == true)
            #expect(result.error?.contains("never closed") == true)
            #expect(fixture.files(fixture.flow.inbox).isEmpty)
            #expect(await fixture.ledger().isEmpty)
            let failed = fixture.files(fixture.flow.failedDirectory)
            #expect(failed["STOCK_7.csv"] == bytes)
            let reason = String(decoding: try #require(failed["STOCK_7.csv.result.json"]), as: UTF8.self)
            #expect(reason.contains("never closed"))
        }
    }

    @Test("records the ERP refuses become dead letters with their requests; the rest of the file goes on")
    func deadLetters() async throws {
        try await FileDropFixture.run { fixture in
            var knobs = ERPSimulatorKnobs()
            knobs.failNext = 3 * 4  // three records' worth of attempts (the client retries 5xx)
            await fixture.simulators.erp.setKnobs(knobs)
            let bytes = FileDropFixture.stockCSV(10)
            let result = try #require(
                try await fixture.process("STOCK_8.csv", bytes, ModeSetting(mode: .new), concurrency: 1))
            #expect(result.failed == result.deadLetters)
            #expect(result.failed >= 1)
            #expect(result.sent + result.failed == 10)
            #expect(await fixture.ledger().count == result.sent)
            #expect(
                try await fixture.count(
                    "SELECT count(*) FROM cutover.dead_letters WHERE idempotency_key LIKE '\(result.sha256):%'")
                    == result.failed)
            let pending = try await DeadLetterStore(client: fixture.client, logger: TestPostgres.logger)
                .pending(flow: FileDropFixture.name)
            #expect(
                pending.allSatisfy {
                    $0.record.body.contains("itemNumber") && $0.record.input?.contains("site") == true
                })
        }
    }
}
