import Foundation

/// Splits a SQL script into statements at top-level semicolons.
///
/// PostgresNIO speaks only the extended query protocol, which takes one statement at a time. Quotes ('…', "…"),
/// dollar-quoted bodies ($$…$$, $tag$…$tag$) and comments (-- and /* */) are kept whole.
public enum SQLScript {
    public static func statements(in script: String) -> [String] {
        let chars = Array(script.unicodeScalars)
        var statements: [String] = []
        var current = String.UnicodeScalarView()
        var index = 0
        var meaningful = false

        func flush() {
            let text = String(current).trimmingCharacters(in: .whitespacesAndNewlines)
            if meaningful, !text.isEmpty { statements.append(text) }
            current = String.UnicodeScalarView()
            meaningful = false
        }
        func copy(until end: Int) {
            current.append(contentsOf: chars[index..<min(end, chars.count)])
            index = min(end, chars.count)
        }
        func find(_ needle: [Unicode.Scalar], from start: Int) -> Int? {
            guard !needle.isEmpty, chars.count >= needle.count else { return nil }
            var i = start
            while i + needle.count <= chars.count {
                if Array(chars[i..<i + needle.count]) == needle { return i }
                i += 1
            }
            return nil
        }

        while index < chars.count {
            let c = chars[index]
            let next: Unicode.Scalar? = index + 1 < chars.count ? chars[index + 1] : nil
            switch c {
            case "-" where next == "-":
                let end = find(["\n"], from: index) ?? chars.count
                copy(until: end)
            case "/" where next == "*":
                let end = find(["*", "/"], from: index + 2).map { $0 + 2 } ?? chars.count
                copy(until: end)
            case "'", "\"":
                meaningful = true
                var i = index + 1
                while i < chars.count {
                    if chars[i] == c {
                        if i + 1 < chars.count, chars[i + 1] == c { i += 2; continue }
                        break
                    }
                    i += 1
                }
                copy(until: i + 1)
            case "$":
                meaningful = true
                if let tagEnd = dollarTagEnd(chars, from: index) {
                    let tag = Array(chars[index...tagEnd])
                    let close = find(tag, from: tagEnd + 1).map { $0 + tag.count } ?? chars.count
                    copy(until: close)
                } else {
                    copy(until: index + 1)
                }
            case ";":
                index += 1
                flush()
            default:
                if !c.properties.isWhitespace { meaningful = true }
                current.append(c)
                index += 1
            }
        }
        flush()
        return statements
    }

    /// The index of the closing `$` of a dollar-quote tag starting at `start`, if one starts there.
    private static func dollarTagEnd(_ chars: [Unicode.Scalar], from start: Int) -> Int? {
        var i = start + 1
        while i < chars.count {
            let c = chars[i]
            if c == "$" { return i }
            guard c == "_" || c.properties.isAlphabetic || (i > start + 1 && c.properties.numericType != nil) else {
                return nil
            }
            i += 1
        }
        return nil
    }
}
