/// One URL of an HTTP run with its request prebuilt.
struct HTTPTarget: Sendable {
    let url: HTTPURL
    let method: String
    /// The whole request (head and body), built once.
    let request: [UInt8]
    /// Head requests get no body in the response whatever its headers say.
    var isHead: Bool { method == "HEAD" }
}
