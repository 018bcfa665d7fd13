/// One URL of an HTTP run with its request prebuilt.
struct HTTPTarget: Sendable {
    let url: HTTPURL
    let method: String
    /// The whole request (head and body), built once; with placeholders, the head as written by the user.
    let request: [UInt8]
    /// The body (appended after an expanded head).
    var body: [UInt8] = []
    /// Set when the URL path or a header value has placeholders: the request head, expanded per request.
    var headTemplate: NameTemplate?
    /// Set when the URL has placeholders: the URL as event records show it.
    var urlTemplate: NameTemplate?
    /// The URL as event records show it.
    var urlText: String { url.description }
    /// Head requests get no body in the response whatever its headers say (decided once, read per request).
    let isHead: Bool

    init(url: HTTPURL, method: String, request: [UInt8], body: [UInt8] = []) {
        self.url = url
        self.method = method
        self.request = request
        self.body = body
        isHead = method == "HEAD"
    }
}
