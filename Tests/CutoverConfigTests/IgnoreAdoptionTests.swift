import CutoverConfig
import CutoverCore
import CutoverTesting
import Foundation
import Testing

@Suite("Adopting noisy fields into compare.ignore")
struct IgnoreAdoptionTests {
    let head = """
        flow: po
        kind: soap
        compare:
          # the fields that matter
          fields:
            total: { legacy: "//Total", new: "/total", type: decimal }

        """

    @Test("a one-line list gets the entries before its bracket, comments kept")
    func flowList() throws {
        let text =
            head.replacingOccurrences(of: "\n\n", with: "\n") + "  ignore: [ \"/etag\" ]  # keep me\nrollout: {}\n"
        let adopted = try IgnoreAdoption.adopt(["retrieved_at", "lines.qty"], into: text, note: "n")
        #expect(adopted.contains(#"  ignore: [ "/etag", "retrieved_at", "lines.qty" ]  # keep me"#))
        #expect(adopted.contains("# the fields that matter"))
        #expect(adopted.hasSuffix("rollout: {}\n"))
    }

    @Test("a block list gets new items at its indentation")
    func blockList() throws {
        let text = head + "  ignore:\n    - \"/etag\"\n\nrollout: {}\n"
        let adopted = try IgnoreAdoption.adopt(["retrieved_at"], into: text, note: "noise calibration")
        #expect(adopted.contains("    - \"/etag\"\n    - \"retrieved_at\"  # noise calibration\n"))
    }

    @Test("without ignore, a new line goes at the end of compare, before the next section")
    func absent() throws {
        let text = head + "rollout: {}\n"
        let adopted = try IgnoreAdoption.adopt(["retrieved_at"], into: text, note: "noise calibration")
        #expect(
            adopted.contains(
                "    total: { legacy: \"//Total\", new: \"/total\", type: decimal }\n  ignore: [ \"retrieved_at\" ]  # noise calibration\n"
            ))
        #expect(adopted.hasSuffix("\nrollout: {}\n"))
        #expect(throws: IgnoreAdoption.Failure.self) { try IgnoreAdoption.adopt(["x"], into: "flow: po\n", note: "") }
    }

    @Test("the shipped purchase-order adapter still loads after adoption, with the entries in its ignore list")
    func shippedAdapter() throws {
        let directory = TemporaryDirectory("adopt")
        let shipped = CutoverProcess.repositoryRoot + "/adapters"
        try FileManager.default.copyItem(atPath: shipped + "/templates", toPath: directory.file("templates"))
        let text = try String(contentsOfFile: shipped + "/purchase-order-create.yaml", encoding: .utf8)
        let path = directory.write(
            "purchase-order-create.yaml", try IgnoreAdoption.adopt(["retrieved_at"], into: text, note: "test"))
        let (flow, diagnostics) = AdapterLoader(environment: [:]).loadFile(path)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        #expect(flow?.compare.ignore == ["/lastModifiedDateTime", "retrieved_at"])
    }
}
