/// A query type (QTYPE) by mnemonic or as `TYPEnnn` (RFC 3597).
struct DNSType: Sendable, Hashable, CustomStringConvertible {
    let code: UInt16

    static let known: [(String, UInt16)] = [
        ("A", 1), ("NS", 2), ("CNAME", 5), ("SOA", 6), ("PTR", 12), ("HINFO", 13), ("MX", 15), ("TXT", 16),
        ("AAAA", 28), ("SRV", 33), ("NAPTR", 35), ("DS", 43), ("RRSIG", 46), ("NSEC", 47), ("DNSKEY", 48),
        ("TLSA", 52), ("SVCB", 64), ("HTTPS", 65), ("ANY", 255), ("CAA", 257),
    ]

    static let a = DNSType(code: 1)

    init(code: UInt16) { self.code = code }

    init(_ text: String) throws(DNSTypeError) {
        let upper = text.uppercased()
        if let match = DNSType.known.first(where: { $0.0 == upper }) {
            code = match.1
        } else if upper.hasPrefix("TYPE"), let value = UInt16(upper.dropFirst(4)) {
            code = value
        } else {
            throw DNSTypeError(text: text)
        }
    }

    var description: String { name }

    /// The mnemonic, or TYPEnnn.
    var name: String {
        DNSType.known.first(where: { $0.1 == code })?.0 ?? "TYPE\(code)"
    }
}

struct DNSTypeError: Error, CustomStringConvertible, Equatable {
    let text: String
    var description: String {
        "unknown query type '\(text)'; use one of \(DNSType.known.map(\.0).joined(separator: ", ")) or TYPEnnn"
    }
}
