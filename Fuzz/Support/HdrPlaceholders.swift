import Foundation

/// Histograms the fuzzer can shape inside report and log text, whose `hdr` members it could not otherwise change
/// (a mutated zlib stream fails its checksum): `~h` HEX `~` becomes the base64 of the payload HEX spells (the V2
/// payload header and varint counts, compressed and wrapped as `HdrEncoding.encode` wraps them, as hdr-decode's
/// wrapped mode does), and `~c` the total count of the next such histogram in the text (0 when it does not decode),
/// so that a fuzzed `hdr` can agree with the `count` beside it. Text without these markers is left as it is.
enum HdrPlaceholders {
    private enum Piece {
        case text(ArraySlice<UInt8>)
        case histogram(Int)
        case count(Int)
    }

    static func expand(_ text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "~")) else { return text }
        let bytes = Array(text.utf8)
        var pieces: [Piece] = []
        var histograms: [String] = []
        var literal = 0
        var i = 0
        while i + 1 < bytes.count {
            guard bytes[i] == UInt8(ascii: "~") else { i += 1; continue }
            if bytes[i + 1] == UInt8(ascii: "c") {
                pieces.append(.text(bytes[literal..<i]))
                pieces.append(.count(histograms.count))
                i += 2
                literal = i
            } else if bytes[i + 1] == UInt8(ascii: "h"), let (payload, end) = hex(bytes, from: i + 2) {
                pieces.append(.text(bytes[literal..<i]))
                pieces.append(.histogram(histograms.count))
                histograms.append(wrap(payload))
                i = end + 1
                literal = i
            } else {
                i += 1
            }
        }
        pieces.append(.text(bytes[literal...]))
        let totals = histograms.map { (try? HdrEncoding.decode($0))?.totalCount ?? 0 }
        var out: [UInt8] = []
        for piece in pieces {
            switch piece {
            case .text(let slice): out += slice
            case .histogram(let k): out += histograms[k].utf8
            case .count(let k): out += String(k < totals.count ? totals[k] : 0).utf8
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of the hex digits from `start` up to the closing `~` (its index), nil when there is none or a
    /// character in between is not a hex digit.
    private static func hex(_ bytes: [UInt8], from start: Int) -> ([UInt8], Int)? {
        var payload: [UInt8] = []
        var i = start
        while i + 1 < bytes.count, let high = nibble(bytes[i]), let low = nibble(bytes[i + 1]) {
            payload.append(high << 4 | low)
            i += 2
        }
        return i < bytes.count && bytes[i] == UInt8(ascii: "~") ? (payload, i) : nil
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// `payload` compressed behind the 8-byte V2 header (cookie, length), base64.
    static func wrap(_ payload: [UInt8]) -> String {
        let compressed = Deflate.compress(payload)
        let length = withUnsafeBytes(of: UInt32(compressed.count).bigEndian) { Array($0) }
        return Data([0x1c, 0x84, 0x93, 0x14] + length + compressed).base64EncodedString()
    }
}
