import CutoverCore
import Testing

@Suite("Value normalisation")
struct ValueNormalizerTests {
    @Test(
        "decimals are exact and scale-insensitive",
        arguments: [
            ("12.50", "12.5"), ("+0012.500", "12.5"), ("-0.0", "0"), ("007", "7"), (".5", "0.5"), ("1000", "1000"),
            ("123456789012345678901.10", "123456789012345678901.1"),
        ])
    func decimals(raw: String, canonical: String) throws {
        #expect(try ValueNormalizer.normalize(raw, as: .decimal) == .number(canonical))
    }

    @Test("text that is not a decimal is refused", arguments: ["", "1,5", "1.2.3", "12a", "5.", "--1", "NaN"])
    func notDecimal(raw: String) {
        #expect(throws: ValueNormalizer.Failure.self) { try ValueNormalizer.normalize(raw, as: .decimal) }
    }

    @Test("integers refuse fractions")
    func integers() throws {
        #expect(try ValueNormalizer.normalize(" 0042 ", as: .integer) == .number("42"))
        #expect(throws: ValueNormalizer.Failure.self) { try ValueNormalizer.normalize("4.2", as: .integer) }
    }

    @Test(
        "dates in the formats back offices write become ISO dates",
        arguments: [
            ("2026-11-25", "2026-11-25"), ("20261125", "2026-11-25"), ("11/25/2026", "2026-11-25"),
            ("1/5/2026", "2026-01-05"),
            ("2026-11-25T23:59:00+05:00", "2026-11-25"), ("2024-02-29", "2024-02-29"),
        ])
    func dates(raw: String, canonical: String) throws {
        #expect(try ValueNormalizer.normalize(raw, as: .date) == .string(canonical))
    }

    @Test("impossible dates are refused", arguments: ["2026-02-29", "2026-13-01", "25/11/2026", "yesterday"])
    func badDates(raw: String) {
        #expect(throws: ValueNormalizer.Failure.self) { try ValueNormalizer.normalize(raw, as: .date) }
    }

    @Test(
        "datetimes become UTC, across midnight and time zones",
        arguments: [
            ("2026-11-25T10:00:00Z", "2026-11-25T10:00:00Z"), ("2026-11-25T01:30:00+02:00", "2026-11-24T23:30:00Z"),
            ("2026-12-31T22:00:00-05:00", "2027-01-01T03:00:00Z"),
            ("2026-11-25 10:00:00.500", "2026-11-25T10:00:00.5Z"),
        ])
    func datetimes(raw: String, canonical: String) throws {
        #expect(try ValueNormalizer.normalize(raw, as: .datetime) == .string(canonical))
    }

    @Test(
        "booleans accept Y/N, 1/0, true/false",
        arguments: [("Y", true), ("n", false), ("1", true), ("FALSE", false), ("t", true)])
    func booleans(raw: String, value: Bool) throws {
        #expect(try ValueNormalizer.normalize(raw, as: .boolean) == .bool(value))
    }
}
