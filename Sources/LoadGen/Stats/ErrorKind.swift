/// Why an event failed at the transport level (not an answer's rcode or status: those are completions).
enum ErrorKind: Int, CaseIterable, Sendable {
    /// The peer refused: ICMP port unreachable on UDP, RST on connect.
    case refused
    /// The connection was reset (RST) before the answer was complete.
    case reset
    /// The peer closed the connection (EOF) before the answer was complete.
    case closed
    /// A connection could not be established in time.
    case connectTimeout
    /// A send or write failed locally.
    case sendFailed
    /// The server reset the stream (HTTP/2 RST_STREAM), or refused it twice.
    case streamReset
    /// The answer could not be parsed, or the peer broke the protocol.
    case badResponse
    /// The answer's header section or a line in it exceeded the limits.
    case headerTooLarge
    /// An answer arrived that belongs to another query (never expected; counted so it cannot hide).
    case idMismatch
    /// The destination could not be reached: no route (ENETUNREACH, EHOSTUNREACH); nothing left the host.
    case unreachable
    /// Out of memory or another local failure.
    case other

    /// The key used in reports and JSON.
    var name: String {
        switch self {
        case .refused: "refused"
        case .reset: "reset"
        case .closed: "closed"
        case .connectTimeout: "connect_timeout"
        case .sendFailed: "send_failed"
        case .streamReset: "stream_reset"
        case .badResponse: "bad_response"
        case .headerTooLarge: "header_too_large"
        case .idMismatch: "id_mismatch"
        case .unreachable: "unreachable"
        case .other: "other"
        }
    }
}
