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
    /// TLS (DESIGN.md §4: connection failures by kind): the server's certificate is not signed by a trusted CA.
    case tlsUnknownCA
    /// TLS: the certificate is not for the name or address checked.
    case tlsNameMismatch
    /// TLS: the certificate is out of its validity period.
    case tlsExpired
    /// TLS: the peer does not speak TLS (a plain-text port).
    case tlsNotTLS
    /// TLS: the peer sent a fatal alert.
    case tlsAlert
    /// TLS: the peer closed the connection during the handshake.
    case tlsClosed
    /// TLS: the server selected another application protocol by ALPN (or none) than the one asked for.
    case tlsALPN
    /// TLS: any other TLS failure.
    case tlsOther

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
        case .tlsUnknownCA: "tls_unknown_ca"
        case .tlsNameMismatch: "tls_name_mismatch"
        case .tlsExpired: "tls_expired"
        case .tlsNotTLS: "tls_not_tls"
        case .tlsAlert: "tls_alert"
        case .tlsClosed: "tls_closed"
        case .tlsALPN: "tls_alpn"
        case .tlsOther: "tls_other"
        }
    }

    /// True for every TLS kind.
    var isTLS: Bool { name.hasPrefix("tls_") }

    /// True for the TLS kinds whose cause does not go away by retrying (the certificate, the port, the
    /// server's policy): a run none of whose connections came up stops at once with the failure's message.
    var isDeterministicTLS: Bool {
        switch self {
        case .tlsUnknownCA, .tlsNameMismatch, .tlsExpired, .tlsNotTLS, .tlsAlert, .tlsALPN: true
        default: false
        }
    }
}

extension ErrorKind {
    /// The kind a TLS failure counts as (its `TLSFailure.kind` is the same name).
    init(tls failure: TLSFailure) {
        switch failure {
        case .unknownCA: self = .tlsUnknownCA
        case .nameMismatch: self = .tlsNameMismatch
        case .expired: self = .tlsExpired
        case .notTLS: self = .tlsNotTLS
        case .alert: self = .tlsAlert
        case .closedDuringHandshake: self = .tlsClosed
        case .other: self = .tlsOther
        }
    }
}
