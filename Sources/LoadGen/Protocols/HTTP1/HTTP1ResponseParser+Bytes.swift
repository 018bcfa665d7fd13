extension HTTP1ResponseParser {
    @inline(__always)
    static func byte(_ p: UnsafeRawPointer, _ i: Int) -> UInt8 {
        p.load(fromByteOffset: i, as: UInt8.self)
    }

    @inline(__always)
    static func isDigit(_ b: UInt8) -> Bool {
        b &- Byte.zero < 10
    }

    /// A header-name character: RFC 9110 `tchar` (`!#$%&'*+-.^_`|~`, digits, letters).
    @inline(__always)
    static func isTokenByte(_ b: UInt8) -> Bool {
        if b < 64 { return (0x03FF_6CFA_0000_0000 as UInt64) >> b & 1 != 0 }
        if b < 128 { return (0x57FF_FFFF_C7FF_FFFE as UInt64) >> (b &- 64) & 1 != 0 }
        return false
    }

    /// A character allowed in a field value or reason phrase: HTAB, SP, VCHAR, obs-text.
    @inline(__always)
    static func isFieldByte(_ b: UInt8) -> Bool {
        b >= Byte.sp ? b != 0x7F : b == Byte.ht
    }

    @inline(__always)
    static func lower(_ b: UInt8) -> UInt8 {
        b &- UInt8(ascii: "A") < 26 ? b | 0x20 : b
    }

    /// The value of a hex digit, or 16 or more for anything else.
    @inline(__always)
    static func hexValue(_ b: UInt8) -> UInt8 {
        if b &- Byte.zero < 10 { return b &- Byte.zero }
        let folded = b | 0x20
        if folded &- UInt8(ascii: "a") < 6 { return folded &- UInt8(ascii: "a") &+ 10 }
        return 0xFF
    }

    /// A byte of a list token: a field byte other than SP, HTAB and comma.
    @inline(__always)
    static func isListTokenByte(_ b: UInt8) -> Bool {
        b > Byte.sp && b != 0x7F && b != Byte.comma
    }

    /// The index of the first byte from `start` that is not a field byte (see `isFieldByte`), or `end`.
    @inline(__always)
    static func skipFieldBytes(_ p: UnsafeRawPointer, from start: Int, to end: Int) -> Int {
        var i = start
        // Eight bytes at a time: flag the bytes below 0x20 (controls, HTAB, CR, LF) and 0x7F ("determine if a
        // word has a byte less than n" in Bit Twiddling Hacks). The flag of the lowest such byte is exact, as no
        // borrow comes from below it, so on little-endian the first flagged byte is the first stop byte.
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        while i &+ 8 <= end {
            let x = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            let del = x ^ (ones &* 0x7F)
            let flags = ((x &- ones &* 0x20) & ~x | (del &- ones) & ~del) & highs
            if flags == 0 {
                i &+= 8
                continue
            }
            i &+= flags.trailingZeroBitCount &>> 3
            guard byte(p, i) == Byte.ht else { return i }
            i &+= 1
        }
        while i < end, isFieldByte(byte(p, i)) { i &+= 1 }
        return i
    }

    /// The index of the first byte from `start` that is not a token byte, or `end`: eight bytes at a time while
    /// they are letters and dashes (nearly every header name), then byte by byte. Both tests are exact per byte
    /// (no carry crosses a byte), so the first flagged byte is the first that is neither.
    @inline(__always)
    static func skipTokenBytes(_ p: UnsafeRawPointer, from start: Int, to end: Int) -> Int {
        var i = start
        let highs: UInt64 = 0x8080_8080_8080_8080
        let lows: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        while i &+ 8 <= end {
            let x = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            // A letter folds to 0x61...0x7A; bytes of 0x80 and above are never letters.
            let folded = (x | 0x2020_2020_2020_2020) & lows
            let letters = (folded &+ 0x1F1F_1F1F_1F1F_1F1F) & ~(folded &+ 0x0505_0505_0505_0505) & ~x & highs
            // A dash is a zero byte of x ^ "--------".
            let d = x ^ 0x2D2D_2D2D_2D2D_2D2D
            let dashes = ~(((d & lows) &+ lows) | d) & highs
            let others = ~(letters | dashes) & highs
            if others != 0 {
                i &+= others.trailingZeroBitCount &>> 3
                break
            }
            i &+= 8
        }
        while i < end, isTokenByte(byte(p, i)) { i &+= 1 }
        return i
    }

    /// True when `length` bytes at `start`, all of them token or list-token bytes, equal `word` (lowercase
    /// letters and "-") ignoring case. For such bytes `b | 0x20` is exact: only the same letter in either case
    /// gives a lowercase letter, and only "-" gives "-" (0x0D, the other, is neither kind of byte).
    @inline(__always)
    private static func equalsFolded(_ p: UnsafeRawPointer, at start: Int, length: Int, _ word: StaticString) -> Bool {
        guard length == word.utf8CodeUnitCount else { return false }
        let w = UnsafeRawPointer(word.utf8Start)
        if length >= 8 {
            let fold: UInt64 = 0x2020_2020_2020_2020
            var offset = 0
            while true {
                if p.loadUnaligned(fromByteOffset: start &+ offset, as: UInt64.self) | fold
                    != w.loadUnaligned(fromByteOffset: offset, as: UInt64.self) { return false }
                if offset &+ 8 == length { return true }
                offset = Swift.min(offset &+ 8, length &- 8)
            }
        }
        if length >= 4 {
            let fold: UInt32 = 0x2020_2020
            return p.loadUnaligned(fromByteOffset: start, as: UInt32.self) | fold
                == w.loadUnaligned(as: UInt32.self)
                && p.loadUnaligned(fromByteOffset: start &+ length &- 4, as: UInt32.self) | fold
                == w.loadUnaligned(fromByteOffset: length &- 4, as: UInt32.self)
        }
        for k in 0..<length where byte(p, start &+ k) | 0x20 != w.load(fromByteOffset: k, as: UInt8.self) {
            return false
        }
        return true
    }

    /// The candidate bit of the framing header a whole name is, or 0.
    @inline(__always)
    static func matchName(_ p: UnsafeRawPointer, at start: Int, length: Int) -> UInt8 {
        switch length {
        case 10: equalsFolded(p, at: start, length: length, "connection") ? connectionBit : 0
        case 14: equalsFolded(p, at: start, length: length, "content-length") ? contentLengthBit : 0
        case 17: equalsFolded(p, at: start, length: length, "transfer-encoding") ? transferEncodingBit : 0
        default: 0
        }
    }

    /// The candidate bit of the token a whole list element is, or 0.
    @inline(__always)
    static func matchToken(_ kind: HeaderKind, _ p: UnsafeRawPointer, at start: Int, length: Int) -> UInt8 {
        if kind == .transferEncoding {
            return equalsFolded(p, at: start, length: length, "chunked") ? chunkedBit : 0
        }
        switch length {
        case 5: return equalsFolded(p, at: start, length: length, "close") ? closeBit : 0
        case 10: return equalsFolded(p, at: start, length: length, "keep-alive") ? keepAliveBit : 0
        default: return 0
        }
    }

    /// `narrow` over the bytes `start..<end` of a header name, the first at name index `index`.
    static func narrow(_ candidates: UInt8, _ index: Int, _ p: UnsafeRawPointer, from start: Int, to end: Int) -> UInt8 {
        var m = candidates
        var i = start
        while i < end && m != 0 {
            m = narrow(m, index &+ i &- start, lower(byte(p, i)), "content-length", "transfer-encoding", "connection")
            i &+= 1
        }
        return m
    }

    /// Clears the bits of the words (bit 0 `w0`, bit 1 `w1`, bit 2 `w2`) whose byte at `index` is not `b`.
    @inline(__always)
    static func narrow(
        _ candidates: UInt8, _ index: Int, _ b: UInt8, _ w0: StaticString, _ w1: StaticString, _ w2: StaticString
    ) -> UInt8 {
        var m = candidates
        if m & 1 != 0 && !(index < w0.utf8CodeUnitCount && w0.utf8Start[index] == b) { m &= ~1 }
        if m & 2 != 0 && !(index < w1.utf8CodeUnitCount && w1.utf8Start[index] == b) { m &= ~2 }
        if m & 4 != 0 && !(index < w2.utf8CodeUnitCount && w2.utf8Start[index] == b) { m &= ~4 }
        return m
    }
}
