import Foundation

/// A standard five-field cron expression (minute hour day-of-month month day-of-week): `*`, numbers, lists `1,15`,
/// ranges `1-5` and steps `*/5`, `10-40/10`; day-of-week 0–7 with 0 and 7 both Sunday. As in cron, when both
/// day fields are restricted a day matching either runs. Times are read in `timeZone` (the server's by default).
public struct CronExpression: Sendable, Hashable {
    public let text: String
    let minutes: Set<Int>
    let hours: Set<Int>
    let daysOfMonth: Set<Int>
    let months: Set<Int>
    let daysOfWeek: Set<Int>
    let dayOfMonthRestricted: Bool
    let dayOfWeekRestricted: Bool

    public init?(_ text: String) {
        let fields = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard fields.count == 5,
            let minutes = Self.parse(fields[0], 0...59), let hours = Self.parse(fields[1], 0...23),
            let daysOfMonth = Self.parse(fields[2], 1...31), let months = Self.parse(fields[3], 1...12),
            let daysOfWeek = Self.parse(fields[4], 0...7)
        else { return nil }
        self.text = text
        self.minutes = minutes
        self.hours = hours
        self.daysOfMonth = daysOfMonth
        self.months = months
        self.daysOfWeek = Set(daysOfWeek.map { $0 % 7 })
        self.dayOfMonthRestricted = fields[2] != "*"
        self.dayOfWeekRestricted = fields[4] != "*"
    }

    static func parse(_ field: String, _ range: ClosedRange<Int>) -> Set<Int>? {
        var values = Set<Int>()
        for part in field.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { return nil }
            let step = pieces.count == 2 ? Int(pieces[1]) : 1
            guard let step, step > 0 else { return nil }
            let span: ClosedRange<Int>
            if pieces[0] == "*" {
                span = range
            } else if let dash = pieces[0].firstIndex(of: "-") {
                guard let low = Int(pieces[0][..<dash]), let high = Int(pieces[0][pieces[0].index(after: dash)...]),
                    low <= high
                else { return nil }
                span = low...high
            } else {
                guard let value = Int(pieces[0]) else { return nil }
                span = value...(pieces.count == 2 ? range.upperBound : value)
            }
            guard range.contains(span.lowerBound), range.contains(span.upperBound) else { return nil }
            values.formUnion(stride(from: span.lowerBound, through: span.upperBound, by: step))
        }
        return values.isEmpty ? nil : values
    }

    /// The first minute strictly after `date` that the expression matches (within the next five years).
    public func next(after date: Date, timeZone: TimeZone = .current) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        guard var candidate = calendar.date(bySetting: .second, value: 0, of: date.addingTimeInterval(60)) else {
            return nil
        }
        // `bySetting` may move forward a minute; never go back before the next whole minute.
        if candidate <= date { candidate = candidate.addingTimeInterval(60) }
        let limit = date.addingTimeInterval(5 * 366 * 86_400)
        while candidate < limit {
            let parts = calendar.dateComponents([.minute, .hour, .day, .month, .weekday], from: candidate)
            guard let minute = parts.minute, let hour = parts.hour, let day = parts.day, let month = parts.month,
                let weekday = parts.weekday
            else { return nil }
            if !months.contains(month) || !dayMatches(day: day, weekday: weekday - 1) {
                // Skip to the next day's midnight.
                guard let nextDay = calendar.date(byAdding: .day, value: 1, to: calendar.startOfDay(for: candidate))
                else { return nil }
                candidate = nextDay
                continue
            }
            if !hours.contains(hour) {
                guard let nextHour = calendar.date(byAdding: .minute, value: 60 - minute, to: candidate) else {
                    return nil
                }
                candidate = nextHour
                continue
            }
            if minutes.contains(minute) { return candidate }
            candidate = candidate.addingTimeInterval(60)
        }
        return nil
    }

    func dayMatches(day: Int, weekday: Int) -> Bool {
        switch (dayOfMonthRestricted, dayOfWeekRestricted) {
        case (true, true): daysOfMonth.contains(day) || daysOfWeek.contains(weekday)
        case (true, false): daysOfMonth.contains(day)
        case (false, true): daysOfWeek.contains(weekday)
        case (false, false): true
        }
    }
}
