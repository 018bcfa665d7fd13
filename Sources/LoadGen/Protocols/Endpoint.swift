import Glibc

/// An IP literal and port: `127.0.0.1`, `127.0.0.1:5353`, `[::1]:53`, `::1`.
struct Endpoint: Sendable, Hashable, CustomStringConvertible {
    enum Family: Sendable { case ipv4, ipv6 }

    let host: String
    let port: UInt16
    let family: Family

    init(host: String, port: UInt16) throws(EndpointError) {
        self.host = host
        self.port = port
        if Endpoint.isIPv4(host) {
            family = .ipv4
        } else if Endpoint.isIPv6(host) {
            family = .ipv6
        } else {
            throw .notAnAddress(host)
        }
    }

    /// Parses `ADDR`, `ADDR:PORT`, `[V6]`, `[V6]:PORT` or a bare IPv6 literal.
    init(parsing text: String, defaultPort: UInt16) throws(EndpointError) {
        var host = Substring(text)
        var portText: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw .malformed(text) }
            let rest = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { throw .malformed(text) }
                portText = rest.dropFirst()
            }
        } else if host.filter({ $0 == ":" }).count == 1, let colon = host.firstIndex(of: ":") {
            portText = host[host.index(after: colon)...]
            host = host[..<colon]
        }
        var port = defaultPort
        if let portText {
            guard let value = UInt16(portText), value > 0 else { throw .badPort(text, String(portText)) }
            port = value
        }
        guard !host.isEmpty else { throw .malformed(text) }
        try self.init(host: String(host), port: port)
    }

    var description: String {
        family == .ipv6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    static func isIPv4(_ s: String) -> Bool {
        var addr = in_addr()
        return inet_pton(AF_INET, s, &addr) == 1
    }

    static func isIPv6(_ s: String) -> Bool {
        var addr = in6_addr()
        return inet_pton(AF_INET6, s, &addr) == 1
    }
}

enum EndpointError: Error, CustomStringConvertible, Equatable {
    case malformed(String)
    case notAnAddress(String)
    case badPort(String, String)

    var description: String {
        switch self {
        case .malformed(let text):
            "'\(text)' is not an address; use 127.0.0.1, 127.0.0.1:5353, [::1] or [::1]:5353"
        case .notAnAddress(let host):
            "'\(host)' is not an IPv4 or IPv6 address; use 127.0.0.1, 127.0.0.1:5353, [::1] or [::1]:5353"
        case .badPort(let text, let port):
            "'\(text)': port '\(port)' must be a number from 1 to 65535"
        }
    }
}
