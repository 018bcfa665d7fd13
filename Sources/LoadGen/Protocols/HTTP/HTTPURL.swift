import Foundation

/// An `http://` or `https://host[:port]/path?query` URL as loadgen uses it: the host is an IPv4 literal, a bracketed IPv6
/// literal or a name; the fragment is dropped.
struct HTTPURL: Sendable, Hashable, CustomStringConvertible {
    let scheme: String
    /// Without brackets.
    let host: String
    let port: UInt16
    /// Path and query, at least "/".
    let target: String
    let hostIsIPv6: Bool

    static let supportedSchemes = ["http", "https"]

    init(parsing text: String) throws(HTTPURLError) {
        guard let schemeEnd = text.range(of: "://") else { throw .malformed(text, "it has no scheme; write http://HOST[:PORT]/PATH") }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard HTTPURL.supportedSchemes.contains(scheme) else {
            throw .unsupportedScheme(text, scheme)
        }
        var rest = text[schemeEnd.upperBound...]
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var target = String(rest[authorityEnd...])
        if target.isEmpty || target.hasPrefix("?") { target = "/" + target }
        guard !authority.contains("@") else { throw .malformed(text, "user information in URLs is not supported") }
        var host = Substring(authority)
        var portText: Substring?
        var isIPv6 = false
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw .malformed(text, "an IPv6 address needs its closing ']'") }
            let after = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            guard Endpoint.isIPv6(String(host)) else { throw .malformed(text, "'\(host)' is not an IPv6 address") }
            isIPv6 = true
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .malformed(text, "unexpected '\(after)' after the address") }
                portText = after.dropFirst()
            }
        } else if let colon = host.lastIndex(of: ":") {
            portText = host[host.index(after: colon)...]
            host = host[..<colon]
        }
        guard !host.isEmpty else { throw .malformed(text, "the host is empty") }
        if !isIPv6 {
            for ch in host.utf8 where !(ch.isASCIIAlphanumeric || ch == UInt8(ascii: "-") || ch == UInt8(ascii: ".") || ch == UInt8(ascii: "_")) {
                throw .malformed(text, "'\(host)' is not a host name or address (bracket IPv6 addresses: http://[::1]:8080/)")
            }
        }
        var port: UInt16 = scheme == "https" ? 443 : 80
        if let portText {
            guard let value = Int(portText), value >= 1, value <= 65_535 else {
                throw .badPort(text, String(portText))
            }
            port = UInt16(value)
        }
        for ch in target.utf8 where ch <= 0x20 || ch == 0x7F {
            throw .malformed(text, "the path contains a space or control character; percent-encode it")
        }
        self.scheme = scheme
        self.host = String(host)
        self.port = port
        self.target = target
        hostIsIPv6 = isIPv6
    }

    /// True when the host is an IP literal (no lookup needed).
    var hostIsLiteral: Bool { hostIsIPv6 || Endpoint.isIPv4(host) }

    /// True for https:// (TLS).
    var isTLS: Bool { scheme == "https" }

    /// The scheme's default port: 443 for https, 80 for http.
    var defaultPort: UInt16 { isTLS ? 443 : 80 }

    /// The Host header value: the host (bracketed when IPv6) and the port when it is not the scheme's default.
    var authority: String {
        let h = hostIsIPv6 ? "[\(host)]" : host
        return port == defaultPort ? h : "\(h):\(port)"
    }

    var description: String { "\(scheme)://\(authority)\(target)" }
}

extension UInt8 {
    var isASCIIAlphanumeric: Bool {
        (self >= 0x30 && self <= 0x39) || (self >= 0x41 && self <= 0x5A) || (self >= 0x61 && self <= 0x7A)
    }
}

enum HTTPURLError: Error, CustomStringConvertible, Equatable {
    case malformed(String, String)
    case unsupportedScheme(String, String)
    case badPort(String, String)

    var description: String {
        switch self {
        case .malformed(let url, let why): "'\(url)': \(why)"
        case .unsupportedScheme(let url, let scheme):
            "'\(url)': scheme '\(scheme)' is not supported; supported: \(HTTPURL.supportedSchemes.map { $0 + "://" }.joined(separator: ", "))"
        case .badPort(let url, let port): "'\(url)': port '\(port)' must be a number from 1 to 65535"
        }
    }
}
