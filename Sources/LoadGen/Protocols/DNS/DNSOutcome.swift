/// How one DNS query ended, as the resolver reports it.
enum DNSOutcome: Sendable, Equatable {
    case answered
    case timedOut
    case cancelled
    case failed(ErrorKind)
}

/// How DNS queries travel (`loadgen dns --transport`).
enum DNSTransport: String, Sendable, CaseIterable {
    /// Through c-ares: datagrams, or one pipelined TCP connection per server (`--tcp`).
    case udp, tcp
    /// DNS over TLS (RFC 7858) and DNS over HTTPS (RFC 8484), on the connection pool.
    case tls, https

    /// The port a server without one is asked on.
    var defaultPort: Int {
        switch self {
        case .udp, .tcp: 53
        case .tls: 853
        case .https: 443
        }
    }
}
