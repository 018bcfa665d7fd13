import Foundation

/// HdrHistogram's compressed V2 encoding, base64-wrapped, as its Java, C and Python libraries write and read it
/// (hdrhistogram-swift 0.2.0 has none): an 8-byte header (cookie 0x1c849314, length) before a zlib stream of a
/// 40-byte payload header (cookie 0x1c849313, counts length, normalizing offset, digits, lowest, highest, ratio)
/// and the counts up to the highest recorded one as ZigZag LEB128 varints, a run of n > 1 empty buckets written
/// as −n. All integers big-endian.
///
/// Decoding reads hostile input (files and `kubectl logs` output): every length and index is checked, the
/// decompressed size is bounded, and any defect is a thrown `HdrEncoding.Failure` naming it.
enum HdrEncoding {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// A decoded histogram: its layout and the non-empty buckets in index order.
    struct Decoded: Equatable {
        var layout: HdrLayout
        var buckets: [(index: Int, count: UInt64)]
        var totalCount: UInt64

        static func == (lhs: Decoded, rhs: Decoded) -> Bool {
            lhs.layout == rhs.layout && lhs.totalCount == rhs.totalCount
                && lhs.buckets.elementsEqual(rhs.buckets) { $0.index == $1.index && $0.count == $1.count }
        }
    }

    static let compressedCookie: UInt32 = 0x1c84_9314
    static let payloadCookie: UInt32 = 0x1c84_9313
    private static let cookieBaseMask: UInt32 = ~0xf0
    static let payloadHeaderSize = 40
    /// More than any histogram of six significant digits' worth of buckets needs.
    static let maxPayloadBytes = 16 << 20

    // MARK: Encoding

    /// The base64 text of `buckets` (index order, non-empty) in `layout`.
    static func encode(layout: HdrLayout, buckets: [(index: Int, count: UInt64)]) -> String {
        var counts: [UInt8] = []
        var next = 0
        for (index, count) in buckets {
            precondition(index >= next && count > 0, "HdrEncoding.encode: buckets must be ascending and non-empty")
            let gap = index - next
            if gap == 1 { putVarint(0, into: &counts) }
            if gap > 1 { putVarint(-Int64(gap), into: &counts) }
            putVarint(Int64(clamping: count), into: &counts)
            next = index + 1
        }
        var payload: [UInt8] = []
        payload.reserveCapacity(payloadHeaderSize + counts.count)
        putUInt32(payloadCookie, into: &payload)
        putUInt32(UInt32(counts.count), into: &payload)
        putUInt32(0, into: &payload)
        putUInt32(UInt32(layout.digits), into: &payload)
        putUInt64(layout.lowest, into: &payload)
        putUInt64(layout.highest, into: &payload)
        putUInt64((1.0 as Double).bitPattern, into: &payload)
        payload += counts
        let compressed = Deflate.compress(payload)
        var blob: [UInt8] = []
        putUInt32(compressedCookie, into: &blob)
        putUInt32(UInt32(compressed.count), into: &blob)
        blob += compressed
        return Data(blob).base64EncodedString()
    }

    /// ZigZag, then LEB128 with at most 9 bytes (the ninth carries 8 bits), as HdrHistogram writes it.
    static func putVarint(_ value: Int64, into out: inout [UInt8]) {
        var v = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        for _ in 0..<8 {
            if v < 0x80 {
                out.append(UInt8(v))
                return
            }
            out.append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        out.append(UInt8(truncatingIfNeeded: v))
    }

    private static func putUInt32(_ value: UInt32, into out: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { out += $0 }
    }

    private static func putUInt64(_ value: UInt64, into out: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { out += $0 }
    }

    // MARK: Decoding

    /// The histogram in `base64` text; throws a `Failure` that says what is wrong with it.
    static func decode(_ base64: String) throws(Failure) -> Decoded {
        guard let data = Data(base64Encoded: base64) else { throw Failure(description: "not base64") }
        let blob = [UInt8](data)
        var reader = ByteReader(blob)
        guard let cookie = reader.uint32(), let length = reader.uint32() else {
            throw Failure(description: "\(blob.count) bytes are too short for a histogram header")
        }
        guard cookie & cookieBaseMask == compressedCookie & cookieBaseMask else {
            throw Failure(description: String(format: "cookie 0x%08x is not a compressed V2 histogram (0x1c849314)", cookie))
        }
        guard Int(length) == blob.count - 8 else {
            throw Failure(description: "the header says \(length) compressed bytes, \(blob.count - 8) follow")
        }
        let payload: [UInt8]
        do {
            payload = try Deflate.decompress(Array(blob[8...]), limit: maxPayloadBytes)
        } catch {
            throw Failure(description: error.description)
        }
        return try decodePayload(payload)
    }

    private static func decodePayload(_ payload: [UInt8]) throws(Failure) -> Decoded {
        var reader = ByteReader(payload)
        guard let cookie = reader.uint32(), let countsBytes = reader.uint32(), let offset = reader.uint32(),
              let digits = reader.uint32(), let lowest = reader.uint64(), let highest = reader.uint64(),
              let ratio = reader.uint64() else {
            throw Failure(description: "\(payload.count) bytes are too short for the payload header")
        }
        guard cookie & cookieBaseMask == payloadCookie & cookieBaseMask else {
            throw Failure(description: String(format: "payload cookie 0x%08x is not V2 (0x1c849313)", cookie))
        }
        guard Int(countsBytes) == payload.count - payloadHeaderSize else {
            throw Failure(description: "the payload says \(countsBytes) bytes of counts, \(payload.count - payloadHeaderSize) follow")
        }
        guard offset == 0 else { throw Failure(description: "normalizing index offset \(offset) (only 0 is supported)") }
        guard Double(bitPattern: ratio) == 1.0 else {
            throw Failure(description: "integer-to-double ratio \(Double(bitPattern: ratio)): a DoubleHistogram, not one of integer values")
        }
        guard let layout = HdrLayout(lowest: lowest, highest: highest, digits: Int(digits)) else {
            throw Failure(description: "impossible parameters: lowest \(lowest), highest \(highest), \(digits) digits")
        }
        return try decodeCounts(&reader, layout: layout)
    }

    private static func decodeCounts(_ reader: inout ByteReader, layout: HdrLayout) throws(Failure) -> Decoded {
        var decoded = Decoded(layout: layout, buckets: [], totalCount: 0)
        var index = 0
        while !reader.isAtEnd {
            guard let value = reader.varint() else { throw Failure(description: "a count's varint is cut short") }
            if value < 0 {
                guard value > Int64.min, -value <= Int64(layout.countsLength - index) else {
                    throw Failure(description: "a run of \(value.magnitude) empty buckets passes the last bucket")
                }
                index += Int(-value)
                continue
            }
            guard index < layout.countsLength else {
                throw Failure(description: "more than the \(layout.countsLength) buckets of its layout")
            }
            if value > 0 {
                let (total, overflow) = decoded.totalCount.addingReportingOverflow(UInt64(value))
                guard !overflow else { throw Failure(description: "the counts add up to more than 2^64") }
                decoded.totalCount = total
                decoded.buckets.append((index, UInt64(value)))
            }
            index += 1
        }
        return decoded
    }

    /// Big-endian integers and HdrHistogram varints from a byte array, nil past its end.
    struct ByteReader {
        let bytes: [UInt8]
        var position = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var isAtEnd: Bool { position >= bytes.count }

        mutating func uint32() -> UInt32? {
            guard let v = fixed(4) else { return nil }
            return UInt32(v)
        }

        mutating func uint64() -> UInt64? { fixed(8) }

        private mutating func fixed(_ width: Int) -> UInt64? {
            guard bytes.count - position >= width else { return nil }
            var v: UInt64 = 0
            for i in 0..<width { v = v << 8 | UInt64(bytes[position + i]) }
            position += width
            return v
        }

        mutating func varint() -> Int64? {
            var v: UInt64 = 0
            for i in 0..<9 {
                guard position < bytes.count else { return nil }
                let byte = bytes[position]
                position += 1
                if i == 8 {
                    v |= UInt64(byte) << 56
                    break
                }
                v |= UInt64(byte & 0x7f) << UInt64(7 * i)
                if byte & 0x80 == 0 { break }
            }
            return Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1)
        }
    }
}
