import Testing
@testable import LoadGen

@Suite struct DNSStreamFramerTests {
    /// A DNS-ish message of `length` bytes whose first byte is `tag`.
    static func message(_ tag: UInt8, length: Int = 12) -> [UInt8] {
        [tag] + [UInt8](repeating: 0xAB, count: length - 1)
    }

    static func framed(_ message: [UInt8]) -> [UInt8] {
        [UInt8(message.count >> 8), UInt8(message.count & 0xFF)] + message
    }

    /// Feeds `chunks` and returns the messages handed out and the summaries.
    static func feed(_ framer: DNSStreamFramer, _ chunks: [[UInt8]]) -> ([[UInt8]], DNSStreamFramer.Summary) {
        var out: [[UInt8]] = []
        var total = DNSStreamFramer.Summary()
        for chunk in chunks {
            let summary = chunk.withUnsafeBytes { framer.feed($0) { out.append(Array($0)); return true } }
            total.messages += summary.messages
            total.runts += summary.runts
        }
        return (out, total)
    }

    @Test func wholeFramesInOneReadComeOutInOrder() {
        let a = Self.message(1), b = Self.message(2, length: 40)
        let (out, summary) = Self.feed(DNSStreamFramer(), [Self.framed(a) + Self.framed(b)])
        #expect(out == [a, b])
        #expect(summary == .init(messages: 2, runts: 0))
    }

    @Test func aFrameSplitAtEveryByteIsReassembled() {
        let a = Self.message(7, length: 300), b = Self.message(8)
        let bytes = Self.framed(a) + Self.framed(b)
        let framer = DNSStreamFramer()
        let (out, _) = Self.feed(framer, bytes.map { [$0] })
        #expect(out == [a, b])
        #expect(framer.pendingBytes == 0)
    }

    @Test func theLargestFrameFits() {
        let big = Self.message(9, length: 65_535)
        let bytes = Self.framed(big)
        let (out, _) = Self.feed(DNSStreamFramer(), [Array(bytes[0..<1000]), Array(bytes[1000...])])
        #expect(out == [big])
    }

    @Test func framesShorterThanAHeaderAreSkippedAndCounted() {
        let good = Self.message(3)
        let bytes: [UInt8] = [0, 0] + [0, 5, 1, 2, 3, 4, 5] + Self.framed(good)
        let (out, summary) = Self.feed(DNSStreamFramer(), [bytes])
        #expect(out == [good])
        #expect(summary == .init(messages: 1, runts: 2))
    }

    @Test func aLengthLongerThanWhatArrivedWaitsWithoutReadingPastTheInput() {
        let framer = DNSStreamFramer()
        // Claims 1,000 bytes, sends 20: nothing comes out, nothing is read beyond the input.
        let (out, _) = Self.feed(framer, [[0x03, 0xE8] + [UInt8](repeating: 1, count: 20)])
        #expect(out.isEmpty)
        #expect(framer.pendingBytes == 22)
        framer.reset()
        #expect(framer.pendingBytes == 0)
        let (after, _) = Self.feed(framer, [Self.framed(Self.message(4))])
        #expect(after == [Self.message(4)])
    }

    @Test func stoppingDropsTheRest() {
        let framer = DNSStreamFramer()
        let bytes = Self.framed(Self.message(1)) + Self.framed(Self.message(2))
        var seen = 0
        bytes.withUnsafeBytes { _ = framer.feed($0) { _ in seen += 1; return false } }
        #expect(seen == 1)
        #expect(framer.pendingBytes == 0)
    }

    @Test func randomSplitsOfRandomFramesNeverTrapAndLoseNothing() {
        var rng = SplitMix64(state: 42)
        for _ in 0..<200 {
            var messages: [[UInt8]] = []
            var stream: [UInt8] = []
            for _ in 0..<Int(rng.next() % 6) {
                let length = Int(rng.next() % 600)
                let message = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                if length >= 12 { messages.append(message) }
                stream += Self.framed(message)
            }
            var chunks: [[UInt8]] = []
            var i = 0
            while i < stream.count {
                let n = 1 + Int(rng.next() % 97)
                chunks.append(Array(stream[i..<min(stream.count, i + n)]))
                i += n
            }
            let (out, _) = Self.feed(DNSStreamFramer(), chunks)
            #expect(out == messages)
        }
    }
}
