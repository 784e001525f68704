import Crypto
import Foundation

extension UUID {
    /// A version 4 UUID from the system's random generator (`getrandom`). Foundation's `UUID()` on Linux opens and
    /// reads `/dev/urandom` for every id, which shows on a busy facade.
    public static func random() -> UUID {
        var generator = SystemRandomNumberGenerator()
        var bytes = (generator.next() as UInt64, generator.next() as UInt64)
        return withUnsafeMutableBytes(of: &bytes) { raw in
            raw[6] = (raw[6] & 0x0F) | 0x40
            raw[8] = (raw[8] & 0x3F) | 0x80
            return UUID(
                uuid: (
                    raw[0], raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[7], raw[8], raw[9], raw[10], raw[11],
                    raw[12], raw[13], raw[14], raw[15]
                ))
        }
    }
}

extension UUID {
    /// A name-based UUID (version 5 layout over SHA-256): the same name always gives the same id, so work redone
    /// after a crash writes records the audit store already holds, and they are stored once.
    public static func derived(from name: String) -> UUID {
        let digest = Array(SHA256.hash(data: Array(name.utf8)))
        var bytes = Array(digest[0..<16])
        bytes[6] = (bytes[6] & 0x0F) | 0x50
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9],
                bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            ))
    }
}
