extension HTTP1ResponseParser {
    /// The usual status line, `HTTP/1.x DDD reason` and CRLF, whole before `c.limit`: read at once, ending where
    /// the byte-by-byte states would (the same status, version and state). Anything else, or a line not all
    /// here yet, returns false with nothing consumed, for those states to read.
    @inline(__always)
    mutating func statusLineAtOnce(_ p: UnsafeRawPointer, _ c: inout SectionCursor) -> Bool {
        let i = c.i
        guard c.limit &- i >= 14 else { return false }
        // "HTTP/1." is the low seven bytes of this little-endian word, the minor version digit the eighth.
        let word = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
        let minor = UInt8(truncatingIfNeeded: word &>> 56)
        guard word & 0x00FF_FFFF_FFFF_FFFF == 0x002E_312F_5054_5448, Self.isDigit(minor),
              Self.byte(p, i &+ 8) == Byte.sp else { return false }
        let d0 = Self.byte(p, i &+ 9) &- Byte.zero, d1 = Self.byte(p, i &+ 10) &- Byte.zero
        let d2 = Self.byte(p, i &+ 11) &- Byte.zero
        guard d0 < 10, d1 < 10, d2 < 10, d0 > 0 else { return false }
        var j = i &+ 12
        if Self.byte(p, j) == Byte.sp { j = Self.skipFieldBytes(p, from: j &+ 1, to: c.limit) }
        guard j &+ 1 < c.limit, Self.byte(p, j) == Byte.cr, Self.byte(p, j &+ 1) == Byte.lf else { return false }
        isHTTP10 = minor == Byte.zero
        status = Int(d0) &* 100 &+ Int(d1) &* 10 &+ Int(d2)
        index = 3
        state = .lineStart
        previousKind = .none
        c.i = j &+ 2
        c.startLine()
        return true
    }

    /// A whole header line before `c.limit` that is none of the framing headers — `Name: value` and CRLF, as
    /// most are — read at once, ending in the state the step-by-step path ends in. Anything else (Content-Length,
    /// Transfer-Encoding or Connection outside trailers, obs-fold, the empty line, a bare LF, a byte not allowed,
    /// a line not all here yet) returns false with nothing consumed, for the steps to read.
    @inline(__always)
    mutating func otherHeaderLineAtOnce(_ p: UnsafeRawPointer, _ c: inout SectionCursor) -> Bool {
        let start = c.i
        let nameEnd = Self.skipTokenBytes(p, from: start, to: c.limit)
        guard nameEnd > start, nameEnd < c.limit, Self.byte(p, nameEnd) == Byte.colon else { return false }
        let length = nameEnd &- start
        if !inTrailers && Self.matchName(p, at: start, length: length) != 0 { return false }
        let valueEnd = Self.skipFieldBytes(p, from: nameEnd &+ 1, to: c.limit)
        guard valueEnd &+ 1 < c.limit, Self.byte(p, valueEnd) == Byte.cr, Self.byte(p, valueEnd &+ 1) == Byte.lf else {
            return false
        }
        candidates = 0
        index = length
        kind = .other
        phase = .before
        previousKind = .other
        state = .lineStart
        c.i = valueEnd &+ 2
        c.startLine()
        return true
    }

    /// One step at `c.i < c.limit` in the status line up to the space after the version, empty lines before it
    /// included.
    @inline(__always)
    mutating func statusLineStart(_ p: UnsafeRawPointer, _ c: inout SectionCursor) throws(ParseError) {
        switch state {
        case .statusStart:
            let b = Self.byte(p, c.i)
            c.i &+= 1
            if b == UInt8(ascii: "H") {
                state = .version
                index = 1
            } else if b == Byte.lf {
                c.startLine()
            } else if b == Byte.cr {
                state = .statusStartLF
            } else {
                throw .badStatusLine
            }
        case .statusStartLF:
            guard Self.byte(p, c.i) == Byte.lf else { throw .badStatusLine }
            c.i &+= 1
            state = .statusStart
            c.startLine()
        case .version:
            let prefix: StaticString = "HTTP/1."
            guard Self.byte(p, c.i) == prefix.utf8Start[index] else { throw .badStatusLine }
            c.i &+= 1
            index &+= 1
            if index == prefix.utf8CodeUnitCount { state = .versionMinor }
        case .versionMinor:
            let b = Self.byte(p, c.i)
            guard Self.isDigit(b) else { throw .badStatusLine }
            c.i &+= 1
            isHTTP10 = b == Byte.zero
            state = .afterVersion
        default: // .afterVersion
            guard Self.byte(p, c.i) == Byte.sp else { throw .badStatusLine }
            c.i &+= 1
            state = .statusCodeStart
        }
    }

    /// One step at `c.i < c.limit` in the status line from the status code on, its line ending included.
    @inline(__always)
    mutating func statusLineRest(_ p: UnsafeRawPointer, _ c: inout SectionCursor) throws(ParseError) {
        switch state {
        case .statusCodeStart:
            let b = Self.byte(p, c.i)
            c.i &+= 1
            if b == Byte.sp { return }
            guard Self.isDigit(b) else { throw .badStatusLine }
            status = Int(b &- Byte.zero)
            index = 1
            state = .statusCode
        case .statusCode:
            let b = Self.byte(p, c.i)
            guard Self.isDigit(b) else { throw .badStatusLine }
            c.i &+= 1
            status = status &* 10 &+ Int(b &- Byte.zero)
            index &+= 1
            if index == 3 {
                guard status >= 100 else { throw .badStatusLine }
                state = .afterCode
            }
        case .afterCode:
            // A space and a reason phrase, or the line's end at once (left for `.reason` to read).
            let b = Self.byte(p, c.i)
            if b == Byte.sp {
                c.i &+= 1
            } else if b != Byte.cr && b != Byte.lf {
                throw .badStatusLine
            }
            state = .reason
        case .reason:
            c.i = Self.skipFieldBytes(p, from: c.i, to: c.limit)
            if c.i >= c.limit { return }
            // CRLF or a bare LF: either way `.statusLineLF` reads the LF and starts the header lines.
            let b = Self.byte(p, c.i)
            if b == Byte.cr {
                c.i &+= 1
            } else if b != Byte.lf {
                throw .badStatusLine
            }
            state = .statusLineLF
        default: // .statusLineLF
            guard Self.byte(p, c.i) == Byte.lf else { throw .badStatusLine }
            c.i &+= 1
            state = .lineStart
            previousKind = .none
            c.startLine()
        }
    }
}
