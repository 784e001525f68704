import ArgumentParser
import Foundation

/// Hidden: `cutover check-commands FILE` parses each `cutover …` line of FILE as the CLI would (subcommands, options,
/// values, validation) without running anything, and prints one result per line. The runbooks' test uses it.
struct CheckCommandsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-commands",
        abstract: "Parse the cutover command lines of a file without running them.",
        shouldDisplay: false
    )

    @Argument(help: "A file with one `cutover …` command per line.") var file: String

    func run() throws {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        var failures = 0
        for line in text.split(separator: "\n").map(String.init)
        where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let words = ShellWords.split(line)
            guard words.first == "cutover" else { continue }
            do {
                _ = try Cutover.parseAsRoot(Array(words.dropFirst()))
                print("ok     \(line)")
            } catch {
                let exit = Cutover.exitCode(for: error)
                if exit == .success {
                    print("ok     \(line)")  // --help
                } else {
                    failures += 1
                    let message = Cutover.message(for: error).replacingOccurrences(of: "\n", with: " ")
                    print("error  \(line)  ->  \(message)")
                }
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }
}

/// A command line split as a POSIX shell would for the simple cases runbooks use: words, '…' and "…" quoting,
/// backslash escapes; the line ends at an unquoted `#` (a comment) or `|` (a pipe into another program).
enum ShellWords {
    static func split(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
                continue
            }
            if let open = quote {
                if character == open {
                    quote = nil
                } else if character == "\\" && open == "\"" {
                    escaped = true
                } else {
                    current.append(character)
                }
                continue
            }
            switch character {
            case "\\": escaped = true; inWord = true
            case "'", "\"": quote = character; inWord = true
            case " ", "\t":
                if inWord { words.append(current) }
                current = ""
                inWord = false
            case "#" where !inWord, "|":
                if inWord { words.append(current) }
                return words
            default:
                current.append(character)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }
}
