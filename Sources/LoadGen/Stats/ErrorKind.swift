/// Why an event failed at the transport level (not an answer's rcode or status: those are completions).
enum ErrorKind: Int, CaseIterable, Sendable {
    /// The peer refused: ICMP port unreachable on UDP, RST on connect.
    case refused
    /// The connection was reset or closed before the answer was complete.
    case reset
    /// A send or write failed locally.
    case sendFailed
    /// The answer could not be parsed.
    case badResponse
    /// An answer arrived that belongs to another query (never expected; counted so it cannot hide).
    case idMismatch
    /// Out of memory or another local failure.
    case other

    /// The key used in reports and JSON.
    var name: String {
        switch self {
        case .refused: "refused"
        case .reset: "reset"
        case .sendFailed: "send_failed"
        case .badResponse: "bad_response"
        case .idMismatch: "id_mismatch"
        case .other: "other"
        }
    }
}
