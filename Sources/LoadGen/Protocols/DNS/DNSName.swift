/// A domain name checked against RFC 1035's limits and encoded to wire format.
struct DNSName: Sendable, Hashable, CustomStringConvertible {
    /// The name as given, without a trailing dot (`.` for the root).
    let text: String
    /// Length-prefixed labels ending with the zero byte.
    let wire: [UInt8]

    static let maxLabelBytes = 63
    static let maxTextBytes = 253

    init(_ input: String) throws(DNSNameError) {
        var name = input
        if name == "." {
            text = "."
            wire = [0]
            return
        }
        if name.hasSuffix(".") { name.removeLast() }
        guard !name.isEmpty else { throw .empty }
        let bytes = Array(name.utf8)
        guard bytes.count <= DNSName.maxTextBytes else { throw .tooLong(input, bytes.count) }
        var wire: [UInt8] = []
        wire.reserveCapacity(bytes.count + 2)
        for label in bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard !label.isEmpty else { throw .emptyLabel(input) }
            guard label.count <= DNSName.maxLabelBytes else {
                throw .labelTooLong(input, String(decoding: label, as: UTF8.self), label.count)
            }
            for byte in label where byte <= 0x20 || byte >= 0x7F || byte == UInt8(ascii: "\\") {
                throw .badCharacter(input, byte)
            }
            wire.append(UInt8(label.count))
            wire.append(contentsOf: label)
        }
        wire.append(0)
        text = name
        self.wire = wire
    }

    var description: String { text }
}

enum DNSNameError: Error, CustomStringConvertible, Equatable {
    case empty
    case emptyLabel(String)
    case labelTooLong(String, String, Int)
    case tooLong(String, Int)
    case badCharacter(String, UInt8)

    var description: String {
        switch self {
        case .empty:
            "the name is empty; give a name such as www.example.test"
        case .emptyLabel(let name):
            "'\(name)' has an empty label (two dots in a row or a leading dot)"
        case .labelTooLong(let name, let label, let count):
            "'\(name)': label '\(label.prefix(20))…' is \(count) bytes; a label may have at most 63"
        case .tooLong(let name, let count):
            "'\(name.prefix(40))…' is \(count) bytes; a name may have at most 253"
        case .badCharacter(let name, let byte):
            "'\(name)' contains byte 0x\(String(byte, radix: 16)); names take printable ASCII without spaces or backslashes"
        }
    }
}
