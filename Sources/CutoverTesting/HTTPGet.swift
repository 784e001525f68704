/// A plain GET against a server the test started on loopback; nil when nothing answers.
public func httpGet(_ url: String) async -> (status: Int, body: String)? {
    await httpRequest("GET", url).map { ($0.status, $0.body) }
}
