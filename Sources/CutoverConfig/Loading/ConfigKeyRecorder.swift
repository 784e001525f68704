import Synchronization

/// Every key path the parser was asked to accept while reading adapters (the `allowed` keys of each mapping it
/// read or looked for), for the test that holds `docs/configuration.md` to the parser: no key goes undocumented.
public enum ConfigKeyRecorder {
    private static let seen = Mutex<Set<String>>([])

    /// Dotted paths such as `watch.stable_for_ms` or `new.auth.token_url`.
    public static var keyPaths: Set<String> { seen.withLock { $0 } }

    static func record(context: String, allowed: [String]) {
        let prefix = context == "top level" ? "" : context + "."
        seen.withLock { seen in
            for key in allowed { seen.insert(prefix + key) }
        }
    }
}
