/// `count` bytes from the system's cryptographically secure generator (`getrandom` on Linux): keys and tokens.
public func secureRandomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
}
