/// Turns legacy text into canonical typed values: the mapping engine sends them, the comparator compares them.
///
/// - decimal: `+0012.500` → `12.5` (scale-insensitive; exact, never through a double)
/// - integer: `007` → `7`
/// - date: `2026-11-25`, `20261125`, `11/25/2026` (US order, as healthcare back offices write it),
///   `2026-11-25T10:00:00Z` → `2026-11-25`
/// - datetime: ISO 8601 with `Z` or an offset, or without one (taken as UTC) → UTC `2026-11-25T09:00:00Z`
/// - boolean: `Y`/`N`, `YES`/`NO`, `1`/`0`, `true`/`false`, `T`/`F` in any case
public enum ValueNormalizer {
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var value: String
        public var type: ValueType
        public var description: String { "'\(value)' is not a valid \(type.rawValue)" }
    }

    public static func normalize(_ raw: String, as type: ValueType) throws(Failure) -> JSONValue {
        let text = raw.trimmingWhitespace()
        switch type {
        case .string:
            return .string(raw)
        case .decimal:
            guard let canonical = canonicalDecimal(text) else { throw Failure(value: raw, type: type) }
            return .number(canonical)
        case .integer:
            guard let canonical = canonicalDecimal(text), !canonical.contains(".") else {
                throw Failure(value: raw, type: type)
            }
            return .number(canonical)
        case .date:
            guard let date = canonicalDate(text) else { throw Failure(value: raw, type: type) }
            return .string(date)
        case .datetime:
            guard let datetime = canonicalDateTime(text) else { throw Failure(value: raw, type: type) }
            return .string(datetime)
        case .boolean:
            switch text.uppercased() {
            case "Y", "YES", "1", "TRUE", "T": return .bool(true)
            case "N", "NO", "0", "FALSE", "F": return .bool(false)
            default: throw Failure(value: raw, type: type)
            }
        }
    }

    /// `[+-]digits[.digits]` → minimal text: no leading zeros, no trailing fractional zeros, no `-0`.
    public static func canonicalDecimal(_ text: String) -> String? {
        var chars = Substring(text)
        var negative = false
        if let first = chars.first, first == "+" || first == "-" {
            negative = first == "-"
            chars = chars.dropFirst()
        }
        let parts = chars.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first else { return nil }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard !(whole.isEmpty && fraction.isEmpty), whole.allSatisfy(\.isASCIIDigit),
            fraction.allSatisfy(\.isASCIIDigit),
            parts.count == 1 || !fraction.isEmpty
        else { return nil }
        let integer = whole.drop { $0 == "0" }
        var decimals = fraction
        while decimals.last == "0" { decimals = decimals.dropLast() }
        let magnitude = (integer.isEmpty ? "0" : String(integer)) + (decimals.isEmpty ? "" : "." + decimals)
        return negative && magnitude != "0" ? "-" + magnitude : magnitude
    }

    static func canonicalDate(_ text: String) -> String? {
        let digits = text.filter(\.isASCIIDigit)
        if text.count >= 10, text.dropFirst(4).first == "-", text.dropFirst(7).first == "-" {
            return validDate(
                String(text.prefix(4)), String(text.dropFirst(5).prefix(2)), String(text.dropFirst(8).prefix(2)))
        }
        if text.count == 8, digits.count == 8 {
            return validDate(String(text.prefix(4)), String(text.dropFirst(4).prefix(2)), String(text.suffix(2)))
        }
        let slashes = text.split(separator: "/")
        if slashes.count == 3, slashes[2].count == 4 {
            return validDate(String(slashes[2]), pad(slashes[0]), pad(slashes[1]))
        }
        return nil
    }

    static func canonicalDateTime(_ text: String) -> String? {
        guard text.count >= 19, let date = canonicalDate(String(text.prefix(10))),
            ["T", " "].contains(text.dropFirst(10).first)
        else { return nil }
        let clock = text.dropFirst(11).prefix(8)
        let pieces = clock.split(separator: ":").compactMap { Int($0) }
        guard clock.count == 8, pieces.count == 3, pieces[0] < 24, pieces[1] < 60, pieces[2] < 61 else { return nil }
        var rest = text.dropFirst(19)
        var fraction = ""
        if rest.first == "." {
            let digits = rest.dropFirst().prefix { $0.isASCIIDigit }
            guard !digits.isEmpty else { return nil }
            var trimmed = Substring(digits)
            while trimmed.last == "0" { trimmed = trimmed.dropLast() }
            fraction = trimmed.isEmpty ? "" : "." + trimmed
            rest = rest.dropFirst(1 + digits.count)
        }
        var offsetMinutes = 0
        if rest == "Z" || rest.isEmpty {
            offsetMinutes = 0
        } else if let sign = rest.first, sign == "+" || sign == "-", rest.count == 6, rest.dropFirst(3).first == ":",
            let hours = Int(rest.dropFirst().prefix(2)), let minutes = Int(rest.suffix(2))
        {
            offsetMinutes = (sign == "-" ? -1 : 1) * (hours * 60 + minutes)
        } else {
            return nil
        }
        // Shift to UTC through days since the epoch.
        let ymd = date.split(separator: "-").compactMap { Int($0) }
        let midnight = Int(CivilCalendar.days(year: Int64(ymd[0]), month: Int64(ymd[1]), day: Int64(ymd[2])))
        var total = midnight * 1440 + pieces[0] * 60 + pieces[1] - offsetMinutes
        let day = Int((Double(total) / 1440).rounded(.down))
        total -= day * 1440
        let (y, m, d) = CivilCalendar.date(fromDays: Int64(day))
        return
            "\(pad(Int(y), 4))-\(pad(Int(m), 2))-\(pad(Int(d), 2))T\(pad(total / 60, 2)):\(pad(total % 60, 2)):\(pad(pieces[2], 2))\(fraction)Z"
    }

    private static func validDate(_ year: String, _ month: String, _ day: String) -> String? {
        guard let y = Int(year), let m = Int(month), let d = Int(day), year.count == 4, (1...12).contains(m), d >= 1
        else { return nil }
        let lengths = [
            31, (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
        ]
        guard d <= lengths[m - 1] else { return nil }
        return "\(year)-\(pad(m, 2))-\(pad(d, 2))"
    }

    private static func pad(_ part: Substring) -> String { part.count == 1 ? "0" + part : String(part) }
    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

extension String {
    /// The string without leading and trailing white space (Foundation-free).
    public func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        return String(scalars)
    }
}
