import CutoverTesting
import Foundation
import Testing

/// Every `cutover …` command line in the runbooks' command blocks exists and parses (subcommand, options, values,
/// validation), as an on-call engineer would type it.
@Suite("Runbook commands")
struct RunbookCommandTests {
    /// The `cutover …` lines inside fenced code blocks of `runbooks/*.md`, with their file.
    static func commands() throws -> [(file: String, line: String)] {
        let directory = packageRoot() + "/runbooks"
        var found: [(String, String)] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: directory).sorted() where name.hasSuffix(".md")
        {
            let text = try String(contentsOfFile: directory + "/" + name, encoding: .utf8)
            var inBlock = false
            for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
                let line = raw.trimmingCharacters(in: .whitespaces)
                if line.hasPrefix("```") {
                    inBlock.toggle()
                    continue
                }
                if inBlock, line.hasPrefix("cutover ") { found.append((name, line)) }
            }
        }
        return found
    }

    @Test("every runbook command parses")
    func runbookCommandsParse() async throws {
        let commands = try Self.commands()
        #expect(commands.count >= 40, "the runbooks' commands were found (\(commands.count))")
        let directory = TemporaryDirectory()
        let list = directory.write("commands.txt", commands.map(\.line).joined(separator: "\n") + "\n")
        let output = try await CutoverProcess.run(["check-commands", list])
        let failures = output.stdout.split(separator: "\n").filter { $0.hasPrefix("error") }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        #expect(output.status == 0)
        #expect(output.stdout.split(separator: "\n").filter { $0.hasPrefix("ok") }.count == commands.count)
    }

    @Test("the checker itself refuses an unknown subcommand, an unknown option and a bad value")
    func checkerRefuses() async throws {
        let directory = TemporaryDirectory()
        let list = directory.write(
            "bad.txt",
            """
            cutover flow frobnicate purchase-order-create
            cutover rollback purchase-order-create --reason "x" --with-feeling
            cutover flow set purchase-order-create --mode sideways --reason "x"
            cutover flow show purchase-order-create   # a comment
            """)
        let output = try await CutoverProcess.run(["check-commands", list])
        #expect(output.status == 1)
        #expect(output.stdout.split(separator: "\n").filter { $0.hasPrefix("error") }.count == 3)
        #expect(output.stdout.contains("ok     cutover flow show purchase-order-create"))
    }
}
