/// `HOST:PORT` as loadgen tcp and udp take it: an IPv4 literal, an [IPv6] literal in brackets or a host name, and
/// a port from 1 to 65535. A name is resolved later, on each loop thread inside its netns (`KindTarget`).
struct HostPort: Sendable, Hashable, CustomStringConvertible {
    /// The host as given, without brackets.
    let host: String
    let port: UInt16
    /// The host as an address when it is an IP literal; nil for a name.
    let literal: Endpoint?

    init(parsing text: String) throws(HostPortError) {
        guard !text.isEmpty else { throw .empty }
        let hostText: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw .unclosedBracket(text) }
            hostText = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard !rest.isEmpty else { throw .noPort(text) }
            guard rest.hasPrefix(":") else { throw .afterBracket(text) }
            portText = rest.dropFirst()
            guard hostText.isEmpty || Endpoint.isIPv6(String(hostText)) else { throw .notIPv6InBrackets(text, String(hostText)) }
        } else {
            guard !text.contains("]") else { throw .strayBracket(text) }
            let colons = text.filter { $0 == ":" }.count
            guard colons <= 1 else {
                throw Endpoint.isIPv6(text) ? .noPort(text) : .tooManyColons(text)
            }
            guard let colon = text.firstIndex(of: ":") else { throw .noPort(text) }
            hostText = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !hostText.isEmpty else { throw .emptyHost(text) }
        guard let port = UInt16(portText), port > 0 else { throw .badPort(text, String(portText)) }
        let host = String(hostText)
        if let address = try? Endpoint(host: host, port: port) {
            literal = address
        } else {
            guard HostPort.isHostName(host) else { throw .notAHost(text, host) }
            literal = nil
        }
        self.host = host
        self.port = port
    }

    /// A literal's address, or a name resolved to `address` (an IP literal).
    func endpoint(address: String) throws(EndpointError) -> Endpoint {
        if let literal { return literal }
        return try Endpoint(host: address, port: port)
    }

    var isName: Bool { literal == nil }

    var description: String { literal?.description ?? "\(host):\(port)" }

    /// A name `TLSSettings.isHostName` takes (letters, digits, '-', '_' and '.', 253 bytes in all) in labels of 1
    /// to 63 bytes, not all digits and dots (`1.2.3` is a mistyped address, not a name); a trailing dot is allowed.
    static func isHostName(_ text: String) -> Bool {
        guard TLSSettings.isHostName(text) else { return false }
        let bytes = Array(text.utf8)
        var labels = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        if labels.count > 1, labels.last!.isEmpty { labels.removeLast() }  // a fully qualified `web.example.`
        let numeric = bytes.allSatisfy { $0 == UInt8(ascii: ".") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        return !numeric && labels.allSatisfy { (1...63).contains($0.count) }
    }
}

/// Why a `HOST:PORT` argument was refused; each message names the argument and shows what would work.
enum HostPortError: Error, CustomStringConvertible, Equatable {
    case empty
    case noPort(String)
    case badPort(String, String)
    case emptyHost(String)
    case unclosedBracket(String)
    case afterBracket(String)
    case strayBracket(String)
    case notIPv6InBrackets(String, String)
    case tooManyColons(String)
    case notAHost(String, String)

    static let examples = "e.g. 127.0.0.1:7000, [::1]:7000 or web:7000"

    var description: String {
        switch self {
        case .empty:
            "HOST:PORT is empty; give a host and a port, \(HostPortError.examples)"
        case .noPort(let text):
            "HOST:PORT '\(text)' has no port; give one, e.g. \(HostPortError.withPort(text))"
        case .badPort(let text, let port):
            "HOST:PORT '\(text)': port '\(port)' must be a number from 1 to 65535"
        case .emptyHost(let text):
            "HOST:PORT '\(text)' has no host; give an IP address or a name before the port, \(HostPortError.examples)"
        case .unclosedBracket(let text):
            "HOST:PORT '\(text)': '[' is not closed; write an IPv6 address as [::1]:7000"
        case .afterBracket(let text):
            "HOST:PORT '\(text)': ']' must be followed by ':PORT'; write an IPv6 address as [::1]:7000"
        case .strayBracket(let text):
            "HOST:PORT '\(text)': ']' without '['; write an IPv6 address as [::1]:7000"
        case .notIPv6InBrackets(let text, let host):
            "HOST:PORT '\(text)': '\(host)' in brackets is not an IPv6 address; brackets hold IPv6 only ([::1]:7000), names and IPv4 go without (web:7000)"
        case .tooManyColons(let text):
            "HOST:PORT '\(text)' has more than one ':'; write an IPv6 address in brackets ([::1]:7000), a name or IPv4 address without a scheme (web:7000)"
        case .notAHost(let text, let host):
            "HOST:PORT '\(text)': '\(host)' is neither an IP address nor a host name (letters, digits, '-', '_' and '.'), \(HostPortError.examples)"
        }
    }

    /// `text` with a port added, for the no-port message: `web:7000`, `[::1]:7000`.
    private static func withPort(_ text: String) -> String {
        if text.hasPrefix("[") { return "\(text.hasSuffix("]") ? text : text + "]"):7000" }
        return Endpoint.isIPv6(text) ? "[\(text)]:7000" : "\(text):7000"
    }
}
