import CAres

/// A c-ares status code with its name and `ares_strerror` description.
struct AresError: Error, CustomStringConvertible {
    let code: Int32

    var description: String { String(cString: ares_strerror(code)) }

    static func check(_ result: Int32, _ what: String) throws(AresError) {
        if result != ARES_SUCCESS { throw AresError(code: result) }
    }
}

extension DNSOutcome {
    /// Maps a c-ares completion status onto the outcome loadgen counts.
    init(aresStatus status: Int32) {
        switch status {
        case ARES_SUCCESS: self = .answered
        case ARES_ETIMEOUT: self = .timedOut
        case ARES_ECANCELLED, ARES_EDESTRUCTION: self = .cancelled
        // 1.18.1 ends every query whose socket failed with ECONNREFUSED (ICMP unreachable, TCP RST or EOF).
        case ARES_ECONNREFUSED: self = .failed(.refused)
        case ARES_EBADRESP, ARES_EFORMERR: self = .failed(.badResponse)
        case ARES_EOF: self = .failed(.reset)
        case ARES_EBADQUERY: self = .failed(.sendFailed)
        default: self = .failed(.other)
        }
    }
}
