/// One completed handshake as reports and event records use it.
struct TLSHandshakeSummary: Sendable, Equatable {
    /// "TLSv1.2" or "TLSv1.3".
    var version: String
    var cipher: String
    /// The protocol the server selected by ALPN; nil: none.
    var alpn: String?
    var resumed: Bool
    var nanos: UInt64
}
