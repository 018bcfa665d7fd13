import Foundation
import Histogram
import Testing
@testable import LoadGen

/// HdrHistogram's compressed V2 encoding: the layout agrees with hdrhistogram-swift's buckets, a histogram
/// survives encode → decode → restore, and hostile blobs are refused with a reason, never a trap.
@Suite struct HdrEncodingTests {
    /// Values spread over the whole range, reproducibly.
    private func sample(_ count: Int, seed: UInt64) -> [UInt64] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let magnitude = (state >> 58) % 40
            return 1 + (state >> 20) % (UInt64(1) << magnitude)
        }
    }

    @Test func layoutMatchesTheLibrarysBuckets() {
        let layout = HdrLayout.latency
        #expect(layout.lowest == LatencyHistogram.lowestNanos && layout.highest == LatencyHistogram.highestNanos)
        #expect(layout.subBucketHalfCount == 1024)
        #expect(layout.index(of: 0) == 0 && layout.index(of: 2047) == 2047 && layout.index(of: 2048) == 2048)
        #expect(layout.value(at: 2048) == 2048 && layout.value(at: 2049) == 2050)
        var h = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: LatencyHistogram.highestNanos,
                                  numberOfSignificantValueDigits: .three)
        for v in sample(5_000, seed: 7) where v <= LatencyHistogram.highestNanos {
            h.record(v)
            let lowest = layout.value(at: layout.index(of: v))
            #expect(h.lowestEquivalentForValue(v) == lowest, "value \(v)")
            #expect(h.highestEquivalentForValue(v) == layout.highestEquivalent(v), "value \(v)")
        }
        #expect(layout.index(of: LatencyHistogram.highestNanos) < layout.countsLength)
    }

    @Test func roundTripKeepsEveryCountAndTheExactExtremes() throws {
        var original = LatencyHistogram()
        for v in sample(20_000, seed: 42) { original.record(min(v, 3_000_000_000_000)) }
        let decoded = try HdrEncoding.decode(original.encoded)
        #expect(decoded.layout == .latency)
        #expect(decoded.totalCount == original.count)
        let restored = LatencyHistogram(decoded: decoded, minNanos: original.minNanos, maxNanos: original.maxNanos,
                                        meanNanos: original.meanNanos, stdDeviationNanos: original.stdDeviationNanos,
                                        overRange: original.overRange)
        #expect(restored.buckets.elementsEqual(original.buckets) { $0.index == $1.index && $0.count == $1.count })
        #expect(restored.minNanos == original.minNanos && restored.maxNanos == original.maxNanos)
        for p in [0.0, 1, 50, 90, 99, 99.9, 99.99, 100] {
            #expect(restored.percentileNanos(p) == original.percentileNanos(p), "p\(p)")
        }
        #expect(abs(restored.meanNanos - original.meanNanos) < 1e-6 * original.meanNanos)
    }

    @Test func emptyAndSingleValueHistograms() throws {
        let empty = try HdrEncoding.decode(LatencyHistogram().encoded)
        #expect(empty.totalCount == 0 && empty.buckets.isEmpty)
        var one = LatencyHistogram()
        one.record(123_456)
        let decoded = try HdrEncoding.decode(one.encoded)
        let restored = LatencyHistogram(decoded: decoded, minNanos: 123_456, maxNanos: 123_456, meanNanos: 123_456,
                                        stdDeviationNanos: 0, overRange: 0)
        #expect(restored.count == 1 && restored.minNanos == 123_456 && restored.maxNanos == 123_456)
        #expect(restored.percentileNanos(50) == 123_456)
    }

    @Test func varintsFollowHdrHistogramsZigZagLEB128() {
        func bytes(_ v: Int64) -> [UInt8] {
            var out: [UInt8] = []
            HdrEncoding.putVarint(v, into: &out)
            return out
        }
        #expect(bytes(0) == [0] && bytes(1) == [2] && bytes(-1) == [1] && bytes(64) == [0x80, 0x01])
        #expect(bytes(Int64.max).count == 9 && bytes(Int64.min).count == 9)
        for v: Int64 in [0, 1, -1, 63, -64, 300, -300, 1 << 40, -(1 << 55), Int64.max, Int64.min] {
            var reader = HdrEncoding.ByteReader(bytes(v))
            #expect(reader.varint() == v)
            #expect(reader.isAtEnd)
        }
    }

    /// A blob around `payload` (the counts after a valid payload header) with `cookie`.
    private func blob(counts: [UInt8], digits: UInt32 = 3, cookie: UInt32 = HdrEncoding.compressedCookie,
                      lengthDelta: Int = 0) -> String {
        var payload: [UInt8] = []
        func u32(_ v: UInt32, _ out: inout [UInt8]) { withUnsafeBytes(of: v.bigEndian) { out += $0 } }
        func u64(_ v: UInt64, _ out: inout [UInt8]) { withUnsafeBytes(of: v.bigEndian) { out += $0 } }
        u32(HdrEncoding.payloadCookie, &payload)
        u32(UInt32(counts.count), &payload)
        u32(0, &payload)
        u32(digits, &payload)
        u64(1, &payload)
        u64(LatencyHistogram.highestNanos, &payload)
        u64((1.0 as Double).bitPattern, &payload)
        let compressed = Deflate.compress(payload + counts)
        var out: [UInt8] = []
        u32(cookie, &out)
        u32(UInt32(compressed.count + lengthDelta), &out)
        return Data(out + compressed).base64EncodedString()
    }

    @Test func hostileBlobsAreRefusedWithAReason() {
        func failure(_ text: String) -> String? {
            do {
                _ = try HdrEncoding.decode(text)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(failure("not base64 !!")?.contains("base64") == true)
        #expect(failure("AAAA")?.contains("too short") == true)
        #expect(failure(blob(counts: [2], cookie: 0x1234_5678))?.contains("cookie") == true)
        #expect(failure(blob(counts: [2], lengthDelta: 3))?.contains("compressed bytes") == true)
        #expect(failure(blob(counts: [2], digits: 9))?.contains("impossible parameters") == true)
        // A run of empty buckets past the end, a count past the end, a varint cut short.
        var past: [UInt8] = []
        HdrEncoding.putVarint(-1_000_000, into: &past)
        #expect(failure(blob(counts: past))?.contains("passes the last bucket") == true)
        var beyond: [UInt8] = []
        HdrEncoding.putVarint(-Int64(HdrLayout.latency.countsLength), into: &beyond)
        HdrEncoding.putVarint(5, into: &beyond)
        #expect(failure(blob(counts: beyond))?.contains("more than the") == true)
        #expect(failure(blob(counts: [0x80, 0x80]))?.contains("cut short") == true)
        // Garbage instead of a zlib stream, and a zlib stream cut in half.
        var junk: [UInt8] = [0x1c, 0x84, 0x93, 0x14, 0, 0, 0, 4, 1, 2, 3, 4]
        #expect(failure(Data(junk).base64EncodedString())?.contains("zlib") == true)
        let whole = [UInt8](Data(base64Encoded: blob(counts: [2, 4, 6]))!)
        junk = Array(whole.prefix(whole.count - 6))
        let length = UInt32(junk.count - 8)
        junk.replaceSubrange(4..<8, with: withUnsafeBytes(of: length.bigEndian) { Array($0) })
        #expect(failure(Data(junk).base64EncodedString())?.contains("truncated") == true)
    }

    @Test func decompressionIsBounded() {
        // 64 MiB of zeros deflate to about 64 KiB: refused at the limit, not inflated.
        let bomb = Deflate.compress([UInt8](repeating: 0, count: 64 << 20))
        #expect(throws: Deflate.Failure.self) { try Deflate.decompress(bomb, limit: 1 << 20) }
        #expect((try? Deflate.decompress(Deflate.compress([1, 2, 3]), limit: 3)) == [1, 2, 3])
        #expect(throws: Deflate.Failure.self) { try Deflate.decompress(Deflate.compress([1, 2, 3]) + [9], limit: 10) }
    }
}
