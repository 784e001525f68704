import CutoverCore
import Foundation
import Testing

@Suite("Cron expressions")
struct CronExpressionTests {
    static let utc = TimeZone(identifier: "UTC")!

    static func date(_ text: String) -> Date {
        ISO8601DateFormatter().date(from: text)!
    }

    static func next(_ expression: String, _ after: String) -> String? {
        CronExpression(expression)?.next(after: date(after), timeZone: utc).map {
            ISO8601DateFormatter().string(from: $0)
        }
    }

    @Test("next run times for steps, lists, ranges and both day fields")
    func nextTimes() {
        #expect(Self.next("*/5 * * * *", "2026-11-25T10:02:30Z") == "2026-11-25T10:05:00Z")
        #expect(Self.next("*/5 * * * *", "2026-11-25T10:05:00Z") == "2026-11-25T10:10:00Z", "strictly after")
        #expect(Self.next("0 2 * * *", "2026-11-25T10:00:00Z") == "2026-11-26T02:00:00Z")
        #expect(Self.next("30 1,13 * * *", "2026-11-25T10:00:00Z") == "2026-11-25T13:30:00Z")
        #expect(Self.next("0 9-17/4 * * *", "2026-11-25T13:10:00Z") == "2026-11-25T17:00:00Z")
        // 2026-11-25 is a Wednesday; 0 = Sunday, 1-5 = weekdays, 7 = Sunday too.
        #expect(Self.next("0 6 * * 0", "2026-11-25T10:00:00Z") == "2026-11-29T06:00:00Z")
        #expect(Self.next("0 6 * * 7", "2026-11-25T10:00:00Z") == "2026-11-29T06:00:00Z")
        #expect(Self.next("0 0 1 * *", "2026-11-25T10:00:00Z") == "2026-12-01T00:00:00Z")
        // Both day fields restricted: either matches (the 1st, or a Friday).
        #expect(Self.next("0 0 1 * 5", "2026-11-25T10:00:00Z") == "2026-11-27T00:00:00Z")
        #expect(Self.next("0 0 29 2 *", "2026-03-01T00:00:00Z") == "2028-02-29T00:00:00Z")
    }

    @Test("malformed expressions are refused")
    func refused() {
        for bad in ["* * * *", "60 * * * *", "* 24 * * *", "*/0 * * * *", "5-1 * * * *", "a * * * *", "* * 0 * *"] {
            #expect(CronExpression(bad) == nil, "\(bad)")
        }
    }
}
