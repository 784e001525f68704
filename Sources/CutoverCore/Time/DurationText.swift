/// Durations as operators write them: `30s`, `5m`, `1h`, `400d`, `13w`, or bare seconds.
public enum DurationText {
    /// Whole seconds, or nil when the text is not a positive duration.
    public static func seconds(_ text: String) -> Int? {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800]
        if let unit = text.last, let factor = units[unit] {
            guard let value = Int(text.dropLast()), value > 0 else { return nil }
            return value * factor
        }
        return Int(text).flatMap { $0 > 0 ? $0 : nil }
    }
}
