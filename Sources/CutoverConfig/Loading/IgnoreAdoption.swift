/// Adds entries to a flow's `compare.ignore` in its adapter file's text, leaving everything else — comments, order,
/// layout — as written: a one-line `ignore: [ … ]` gets them before its `]`, a block list gets `- …` lines, and a
/// `compare` without `ignore` gets a new `ignore: [ … ]` line at its end. The caller validates the result.
public enum IgnoreAdoption {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static func adopt(_ entries: [String], into text: String, note: String) throws(Failure) -> String {
        guard !entries.isEmpty else { return text }
        var lines = text.components(separatedBy: "\n")
        guard let compare = lines.firstIndex(where: { isKey($0, "compare", indent: 0) }) else {
            throw Failure(description: "the adapter has no top-level compare section to add ignore entries to")
        }
        // The compare block: every following line that is indented, blank or a comment.
        var end = compare + 1
        while end < lines.count, lines[end].isEmpty || lines[end].first == " " || lines[end].first == "#" {
            end += 1
        }
        while end > compare + 1, lines[end - 1].trimmingCharacters(in: .whitespaces).isEmpty { end -= 1 }
        let childIndent =
            lines[(compare + 1)..<end].first { !$0.trimmingCharacters(in: .whitespaces).isEmpty && $0.first == " " }
            .map { $0.prefix { $0 == " " }.count } ?? 2
        let quoted = entries.map(quote)
        if let ignore = (compare + 1..<end).first(where: { isKey(lines[$0], "ignore", indent: childIndent) }) {
            let line = lines[ignore]
            let value = line[line.index(after: line.firstIndex(of: ":")!)...].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("[") {
                guard let close = line.lastIndex(of: "]") else {
                    throw Failure(description: "compare.ignore spans several lines; add the entries by hand")
                }
                let inside = line[line.index(after: line.firstIndex(of: "[")!)..<close]
                let separator = inside.trimmingCharacters(in: .whitespaces).isEmpty ? "" : ", "
                let trimmedInside = inside.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
                lines[ignore] =
                    String(line[...line.firstIndex(of: "[")!]) + trimmedInside + separator
                    + quoted.joined(separator: ", ") + " " + String(line[close...])
                return lines.joined(separator: "\n")
            }
            guard value.isEmpty || value.hasPrefix("#") else {
                throw Failure(description: "compare.ignore is not a list; add the entries by hand")
            }
            var last = ignore
            var itemIndent = childIndent + 2
            for index in (ignore + 1)..<end {
                let trimmed = lines[index].trimmingCharacters(in: .whitespaces)
                if trimmed.hasPrefix("- ") || trimmed == "-" {
                    last = index
                    itemIndent = lines[index].prefix { $0 == " " }.count
                } else if !trimmed.isEmpty, !trimmed.hasPrefix("#") {
                    break
                }
            }
            let pad = String(repeating: " ", count: itemIndent)
            lines.insert(contentsOf: quoted.map { pad + "- " + $0 + "  # " + note }, at: last + 1)
            return lines.joined(separator: "\n")
        }
        let pad = String(repeating: " ", count: childIndent)
        lines.insert(pad + "ignore: [ " + quoted.joined(separator: ", ") + " ]  # " + note, at: end)
        return lines.joined(separator: "\n")
    }

    static func isKey(_ line: String, _ key: String, indent: Int) -> Bool {
        let spaces = line.prefix { $0 == " " }.count
        return spaces == indent && line.dropFirst(spaces).hasPrefix(key + ":")
    }

    /// A double-quoted YAML scalar.
    static func quote(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
