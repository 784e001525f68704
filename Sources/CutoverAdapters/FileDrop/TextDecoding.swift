import CutoverConfig

extension TextEncoding {
    /// Decodes one field or line. Single-byte encodings cannot fail; UTF-8 that is not valid returns nil.
    func decode(_ bytes: some Collection<UInt8>) -> String? {
        switch self {
        case .utf8:
            return String(validating: bytes, as: UTF8.self)
        case .iso88591:
            if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
            var scalars = String.UnicodeScalarView()
            for byte in bytes { scalars.append(Unicode.Scalar(byte)) }
            return String(scalars)
        case .windows1252:
            if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
            var scalars = String.UnicodeScalarView()
            for byte in bytes {
                if (0x80...0x9F).contains(byte), let mapped = Unicode.Scalar(Self.windows1252High[Int(byte - 0x80)]) {
                    scalars.append(mapped)
                } else {
                    scalars.append(Unicode.Scalar(byte))
                }
            }
            return String(scalars)
        }
    }

    /// Windows-1252's 0x80–0x9F (the five unassigned bytes map to the C1 controls, as WHATWG does).
    static let windows1252High: [UInt32] = [
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D,
        0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A,
        0x0153, 0x009D, 0x017E, 0x0178,
    ]

    /// Encodes text for a file written in this encoding (a canary part's recomputed trailer); characters the
    /// encoding lacks become '?'.
    func encode(_ text: String) -> [UInt8] {
        switch self {
        case .utf8:
            return Array(text.utf8)
        case .iso88591, .windows1252:
            return text.unicodeScalars.map { scalar in
                if scalar.value < 0x80 || (self == .iso88591 && scalar.value < 0x100) { return UInt8(scalar.value) }
                if self == .windows1252 {
                    if let index = Self.windows1252High.firstIndex(of: scalar.value) { return UInt8(0x80 + index) }
                    if scalar.value >= 0xA0 && scalar.value < 0x100 { return UInt8(scalar.value) }
                }
                return UInt8(ascii: "?")
            }
        }
    }
}
