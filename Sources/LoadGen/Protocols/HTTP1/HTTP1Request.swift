/// Builds the bytes of an HTTP/1.1 request once per target; every request to that target reuses them.
enum HTTP1Request {
    struct Header: Sendable, Hashable {
        let name: String
        let value: String

        /// Parses `Name: value`.
        init(parsing text: String) throws(HTTPHeaderError) {
            guard let colon = text.firstIndex(of: ":") else { throw .noColon(text) }
            let name = text[..<colon].trimmingSpaces
            let value = text[text.index(after: colon)...].trimmingSpaces
            guard !name.isEmpty else { throw .emptyName(text) }
            for ch in name.utf8 where !HTTP1Request.isTokenCharacter(ch) {
                throw .badName(text)
            }
            for ch in value.utf8 where (ch < 0x20 && ch != 0x09) || ch == 0x7F {
                throw .badValue(text)
            }
            self.name = String(name)
            self.value = String(value)
        }

        init(name: String, value: String) {
            self.name = name
            self.value = value
        }

        /// `Name: value`, as given.
        var text: String { "\(name): \(value)" }
    }

    static func isTokenCharacter(_ ch: UInt8) -> Bool {
        switch ch {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(ch)
        }
    }

    /// Refuses framing headers that would contradict the body loadgen sends (it would be sent as is, and the
    /// server would wait for bytes that never come or read the next request as body): a Content-Length must be
    /// the body's length, given once; Transfer-Encoding is refused, since every body goes out whole, framed by
    /// Content-Length.
    static func checkFraming(_ headers: [Header], bodyLength: Int) throws(HTTPHeaderError) {
        var contentLengths = 0
        for header in headers {
            switch header.name.lowercased() {
            case "transfer-encoding":
                throw .transferEncoding(header.text)
            case "content-length":
                contentLengths += 1
                guard contentLengths == 1 else { throw .contentLengthTwice(header.text) }
                guard !header.value.isEmpty, header.value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                      Int(header.value) == bodyLength else {
                    throw .contentLengthMismatch(header.text, bodyLength: bodyLength)
                }
            default:
                continue
            }
        }
    }

    /// The request head and body. Adds Host and User-Agent unless given, Content-Length when there is a body
    /// (or the method usually carries one), and `Connection: close` when not keeping connections alive.
    static func bytes(method: String, url: HTTPURL, headers: [Header], body: [UInt8], keepAlive: Bool) -> [UInt8] {
        Array(head(method: method, url: url, headers: headers, bodyLength: body.count, keepAlive: keepAlive).utf8) + body
    }

    /// The request head (request line and headers, ending with the empty line).
    static func head(method: String, url: HTTPURL, headers: [Header], bodyLength: Int, keepAlive: Bool) -> String {
        var head = "\(method) \(url.target) HTTP/1.1\r\n"
        let names = Set(headers.map { $0.name.lowercased() })
        if !names.contains("host") { head += "Host: \(url.authority)\r\n" }
        if !names.contains("user-agent") { head += "User-Agent: loadgen/\(LoadGenVersion.current)\r\n" }
        for header in headers { head += "\(header.name): \(header.value)\r\n" }
        let bodyMethods: Set<String> = ["POST", "PUT", "PATCH"]
        if !names.contains("content-length") && (bodyLength > 0 || bodyMethods.contains(method)) {
            head += "Content-Length: \(bodyLength)\r\n"
        }
        if !keepAlive && !names.contains("connection") { head += "Connection: close\r\n" }
        head += "\r\n"
        return head
    }

    /// The bytes a connection's request buffer needs so that the request of every target with placeholders fits,
    /// its head expanded for any event and thread and its body after it: a connection serves the targets in turn.
    static func bufferCapacity(for targets: [HTTPTarget]) -> Int {
        targets.reduce(1) { most, target in
            Swift.max(most, target.headTemplate.map { $0.maxLength + target.body.count } ?? 0)
        }
    }
}

private extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return s
    }
}

enum HTTPHeaderError: Error, CustomStringConvertible, Equatable {
    case noColon(String)
    case emptyName(String)
    case badName(String)
    case badValue(String)
    case transferEncoding(String)
    case contentLengthMismatch(String, bodyLength: Int)
    case contentLengthTwice(String)

    var description: String {
        switch self {
        case .noColon(let h): "'\(h)' has no colon; write 'Name: value'"
        case .emptyName(let h): "'\(h)' has an empty name; write 'Name: value'"
        case .badName(let h): "'\(h)': the name may contain only letters, digits and !#$%&'*+-.^_`|~"
        case .badValue(let h): "'\(h)': the value contains a control character"
        case .transferEncoding(let h):
            "'\(h)': loadgen sends every body whole, framed by the Content-Length it adds itself; drop this header"
        case .contentLengthMismatch(let h, let length):
            "'\(h)' contradicts the body, which is \(length) bytes (--body); drop the header (loadgen adds Content-Length: \(length) when there is a body) or give \(length)"
        case .contentLengthTwice(let h): "'\(h)': Content-Length is given twice; give it once, or not at all"
        }
    }
}
