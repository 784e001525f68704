import Foundation

/// Debian's chromium, which `.ci/run` installs; nil when the machine has none.
public var chromiumPath: String? {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }
}

/// The Python interpreter for the test scripts under `Tests/` (`CUTOVER_PYTHON`, else `python3` on the PATH), as an
/// executable and the arguments that come before the script.
public var pythonCommand: (executable: String, prefix: [String]) {
    if let python = ProcessInfo.processInfo.environment["CUTOVER_PYTHON"] { return (python, []) }
    return ("/usr/bin/env", ["python3"])
}
