import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A plain GET against a server the test started on loopback; nil when nothing answers.
public func httpGet(_ url: String) async -> (status: Int, body: String)? {
    guard let url = URL(string: url) else { return nil }
    var request = URLRequest(url: url)
    request.timeoutInterval = 5
    do {
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    } catch {
        return nil
    }
}
