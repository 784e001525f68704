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

/// A page rendered by headless Chromium: the DOM it built, and a PNG screenshot of it.
public struct RenderedPage: Sendable {
    public var dom: String
    public var png: [UInt8]

    /// Renders the file at `path` (its DOM, then a screenshot `size` wide by high, kept at `screenshot`). Throws
    /// when Chromium is missing or fails.
    public static func render(_ path: String, size: (width: Int, height: Int), screenshot: String) async throws
        -> RenderedPage
    {
        guard let browser = chromiumPath else { throw BrowserError(description: "chromium is not installed") }
        let flags = ["--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
        let dom = try await CutoverProcess.run(executable: browser, flags + ["--dump-dom", "file://" + path])
        guard dom.status == 0 else { throw BrowserError(description: "--dump-dom failed: \(dom.stderr)") }
        let shot = try await CutoverProcess.run(
            executable: browser,
            flags + ["--window-size=\(size.width),\(size.height)", "--screenshot=\(screenshot)", "file://" + path])
        guard shot.status == 0 else { throw BrowserError(description: "--screenshot failed: \(shot.stderr)") }
        return RenderedPage(dom: dom.stdout, png: try [UInt8](Data(contentsOf: URL(fileURLWithPath: screenshot))))
    }

    /// The PNG signature leads the screenshot.
    public var isPNG: Bool { png.starts(with: [0x89, 0x50, 0x4E, 0x47]) }

    /// How many times `fragment` occurs in the DOM.
    public func count(_ fragment: String) -> Int { dom.components(separatedBy: fragment).count - 1 }

    public struct BrowserError: Error, CustomStringConvertible {
        public var description: String
    }
}
