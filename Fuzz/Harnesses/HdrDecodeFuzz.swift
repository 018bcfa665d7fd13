import Foundation

/// HdrEncoding.decode on hostile blobs: the first byte chooses between the fuzzer's bytes as the whole blob (the
/// outer header and the zlib stream under attack) and as the payload inside a well-formed wrapper (the payload
/// header and the varint counts under attack). Every outcome is a decoded histogram whose buckets lie inside its
/// layout, ascend, and add up to its total, or a thrown failure with a reason; a decoded histogram re-encodes to
/// the same buckets.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHdrDecode(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let wrap = input.byte() & 1 == 1
    let bytes = Array(input.rest())
    var blob = bytes
    if wrap {
        let compressed = Deflate.compress(bytes)
        blob = [0x1c, 0x84, 0x93, 0x14] + withUnsafeBytes(of: UInt32(compressed.count).bigEndian) { Array($0) } + compressed
    }
    let decoded: HdrEncoding.Decoded
    do {
        decoded = try HdrEncoding.decode(Data(blob).base64EncodedString())
    } catch {
        fuzzCheck(!error.description.isEmpty, "a failure without a reason")
        return 0
    }
    var total: UInt64 = 0
    var last = -1
    for bucket in decoded.buckets {
        fuzzCheck(bucket.index > last && bucket.index < decoded.layout.countsLength && bucket.count > 0,
                  "bucket \(bucket) after \(last) of \(decoded.layout.countsLength)")
        last = bucket.index
        total += bucket.count
    }
    fuzzCheck(total == decoded.totalCount, "buckets add up to \(total), total \(decoded.totalCount)")
    let again = try? HdrEncoding.decode(HdrEncoding.encode(layout: decoded.layout, buckets: decoded.buckets))
    fuzzCheck(again == decoded, "re-encoding changed the histogram")
    return 0
}
