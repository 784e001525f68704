/// Waits until `condition` holds, checking every `interval`, failing after `deadline`: the way tests wait for an
/// event that has no notification of its own.
public func poll(
    every interval: Duration = .milliseconds(20), for deadline: Duration, until condition: () async throws -> Bool
) async throws -> Bool {
    let clock = ContinuousClock()
    let end = clock.now + deadline
    while clock.now < end {
        if try await condition() { return true }
        try await Task.sleep(for: interval)
    }
    return try await condition()
}
