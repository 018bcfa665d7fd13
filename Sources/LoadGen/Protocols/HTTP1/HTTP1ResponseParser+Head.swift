extension HTTP1ResponseParser {
    /// Where `parseSection` stands in its input: the next byte and the virtual indexes where the section and the
    /// current line began (negative when in earlier input). Every byte before `limit` is within both limits and
    /// the input. A value on the stack: the parser stays allocation-free.
    struct SectionCursor {
        var i: Int
        let end: Int
        let sectionBase: Int
        let maxSection: Int
        let maxLine: Int
        var lineBase: Int
        var limit: Int

        init(start: Int, end: Int, sectionBytes: Int, lineBytes: Int, limits: Limits) {
            i = start
            self.end = end
            sectionBase = start &- sectionBytes
            maxSection = limits.maxHeaderBytes
            maxLine = limits.maxLineBytes
            lineBase = start &- lineBytes
            limit = Swift.min(end, sectionBase &+ maxSection, lineBase &+ maxLine)
        }

        /// A new line begins at `i`.
        @inline(__always)
        mutating func startLine() {
            lineBase = i
            limit = Swift.min(end, sectionBase &+ maxSection, i &+ maxLine)
        }
    }

    /// Parses status and header lines (or trailer lines) from `start`. Returns the index after the last byte
    /// consumed and whether the section's empty line was reached. Interim heads are skipped here.
    mutating func parseSection(
        _ p: UnsafeRawPointer, from start: Int, to end: Int
    ) throws(ParseError) -> (next: Int, ended: Bool) {
        var c = SectionCursor(start: start, end: end, sectionBytes: sectionBytes, lineBytes: lineBytes, limits: limits)
        while true {
            if c.i >= c.limit {
                if c.i >= end {
                    sectionBytes = end &- c.sectionBase
                    lineBytes = end &- c.lineBase
                    return (end, false)
                }
                throw c.i &- c.lineBase >= c.maxLine ? .lineTooLong : .headerTooLarge
            }
            switch state {
            case .statusStart, .statusStartLF, .version, .versionMinor, .afterVersion:
                if state == .statusStart && statusLineAtOnce(p, &c) { continue }
                try statusLineStart(p, &c)
            case .statusCodeStart, .statusCode, .afterCode, .reason, .statusLineLF:
                try statusLineRest(p, &c)
            case .lineStart, .sectionEndLF:
                if try headerLines(p, &c) { return (c.i, true) }
            case .headerName:
                try headerName(p, &c)
            case .value, .valueLF:
                try value(p, &c)
            default:
                preconditionFailure("HTTP1ResponseParser: not a header-section state: \(state)")
            }
        }
    }

    /// Header lines from `c.i < c.limit`, one after another while their bytes are here: a line's name, colon
    /// and value in order, without a return to `parseSection`'s dispatch for each step. Returns true when the
    /// section ended; false where a step needs more input, or a state only the dispatch handles comes next.
    @inline(__always)
    private mutating func headerLines(_ p: UnsafeRawPointer, _ c: inout SectionCursor) throws(ParseError) -> Bool {
        while true {
            if state == .lineStart && otherHeaderLineAtOnce(p, &c) {
                if c.i < c.limit { continue }
                return false
            }
            if try lineStart(p, &c) { return true }
            guard state == .headerName, c.i < c.limit else { return false }
            try headerName(p, &c)
            guard state == .value, c.i < c.limit else { return false }
            repeat { try value(p, &c) } while state == .value && c.i < c.limit
            guard state == .lineStart, c.i < c.limit else { return false }
        }
    }

    /// One step at `c.i < c.limit` at the start of a header line: a name, an obs-fold continuation or the
    /// section's empty line. Returns true when the section ended (for the caller; not after an interim head).
    @inline(__always)
    private mutating func lineStart(_ p: UnsafeRawPointer, _ c: inout SectionCursor) throws(ParseError) -> Bool {
        let b = Self.byte(p, c.i)
        if state == .sectionEndLF {
            guard b == Byte.lf else { throw .badHeader }
            c.i &+= 1
            if endSection() { return true }
            c.startLine()
            return false
        }
        if Self.isTokenByte(b) {
            // A header name, scanned from this byte on in .headerName.
            candidates = inTrailers ? 0 : Self.contentLengthBit | Self.transferEncodingBit | Self.connectionBit
            index = 0
            state = .headerName
            return false
        }
        c.i &+= 1
        if b == Byte.cr {
            state = .sectionEndLF
        } else if b == Byte.lf {
            if endSection() { return true }
            c.startLine()
        } else if b == Byte.sp || b == Byte.ht {
            // obs-fold: this line continues the previous header's value.
            switch previousKind {
            case .none, .contentLength, .transferEncoding:
                throw .badHeader
            case .other, .connection:
                kind = previousKind
                phase = .before
                state = .value
            }
        } else {
            throw .badHeader
        }
        return false
    }

    /// A header name from `c.i < c.limit`: scans it (or the part of it in this input), then matches it against
    /// the framing headers' names only when it could be one: when split, part by part; whole, only at one of
    /// their lengths.
    @inline(__always)
    private mutating func headerName(_ p: UnsafeRawPointer, _ c: inout SectionCursor) throws(ParseError) {
        let span = c.i
        c.i = Self.skipTokenBytes(p, from: c.i, to: c.limit)
        let ended = c.i < c.limit
        if candidates != 0 {
            if !ended || index != 0 {
                candidates = Self.narrow(candidates, index, p, from: span, to: c.i)
            } else {
                candidates = Self.matchName(p, at: span, length: c.i &- span)
            }
        }
        index &+= c.i &- span
        if !ended { return }
        guard Self.byte(p, c.i) == Byte.colon, index > 0 else { throw .badHeader }
        c.i &+= 1
        beginValue()
    }

    /// One step at `c.i < c.limit` in a header value: the bytes of a value that does not matter are skipped,
    /// those of Content-Length, Transfer-Encoding and Connection read; then the line's end.
    @inline(__always)
    private mutating func value(_ p: UnsafeRawPointer, _ c: inout SectionCursor) throws(ParseError) {
        if state == .valueLF {
            guard Self.byte(p, c.i) == Byte.lf else { throw .badHeader }
            c.i &+= 1
            try endHeaderLine()
            c.startLine()
            return
        }
        if kind == .other {
            c.i = Self.skipFieldBytes(p, from: c.i, to: c.limit)
            if c.i >= c.limit { return }
        }
        let b = Self.byte(p, c.i)
        c.i &+= 1
        if b == Byte.cr {
            guard c.i < c.limit, Self.byte(p, c.i) == Byte.lf else {
                state = .valueLF
                return
            }
            c.i &+= 1
            try endHeaderLine()
            c.startLine()
        } else if b == Byte.lf {
            try endHeaderLine()
            c.startLine()
        } else if kind == .contentLength {
            try contentLengthByte(b)
        } else if kind == .other {
            throw .badHeader
        } else if Self.isListTokenByte(b) {
            c.i = listToken(p, from: c.i &- 1, to: c.limit)
        } else {
            try listByte(b)
        }
    }

    /// The empty line that ends a section: true when the caller gets it (final head or trailers); false when
    /// it ended an interim 1xx head, which is dropped, and the next status line follows in the same section.
    private mutating func endSection() -> Bool {
        if inTrailers || status == 101 || status >= 200 { return true }
        status = 0
        isHTTP10 = false
        contentLength = 0
        hasContentLength = false
        hasTransferEncoding = false
        chunked = false
        unsupportedCoding = false
        connectionClose = false
        connectionKeepAlive = false
        state = .statusStart
        return false
    }

    /// The colon after a header name: which header it is, and the value's initial state.
    private mutating func beginValue() {
        if candidates & Self.contentLengthBit != 0 && index == 14 {
            kind = .contentLength
            number = 0
        } else if candidates & Self.transferEncodingBit != 0 && index == 17 {
            kind = .transferEncoding
            hasTransferEncoding = true
        } else if candidates & Self.connectionBit != 0 && index == 10 {
            kind = .connection
        } else {
            kind = .other
        }
        phase = .before
        state = .value
    }

    @inline(__always)
    private mutating func contentLengthByte(_ b: UInt8) throws(ParseError) {
        if Self.isDigit(b) {
            guard phase != .after else { throw .badContentLength }
            phase = .inside
            let (times10, o1) = number.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(b &- Byte.zero))
            guard !o1, !o2 else { throw .badContentLength }
            number = sum
        } else if b == Byte.sp || b == Byte.ht {
            if phase == .inside { phase = .after }
        } else {
            throw .badContentLength
        }
    }

    /// A byte of a comma-separated list (Transfer-Encoding, Connection) other than a token byte.
    @inline(__always)
    private mutating func listByte(_ b: UInt8) throws(ParseError) {
        if b == Byte.comma {
            endToken()
        } else if b == Byte.sp || b == Byte.ht {
            if phase == .inside { phase = .after }
        } else {
            throw .badHeader
        }
    }

    /// The run of token bytes from `start` (see `isListTokenByte`) in a list element, matched against the tokens
    /// that matter: whole when the run is the whole element, else byte by byte as it streams in. Returns the
    /// index after the run.
    private mutating func listToken(_ p: UnsafeRawPointer, from start: Int, to limit: Int) -> Int {
        var i = start &+ 1
        while i < limit, Self.isListTokenByte(Self.byte(p, i)) { i &+= 1 }
        switch phase {
        case .before:
            candidates = kind == .transferEncoding ? Self.chunkedBit : Self.closeBit | Self.keepAliveBit
            index = 0
        case .after:
            candidates = 0 // whitespace inside an element: it matches no token
        case .inside:
            break
        }
        phase = .inside
        if candidates != 0 {
            if index == 0 && i < limit {
                candidates = Self.matchToken(kind, p, at: start, length: i &- start)
            } else {
                for j in start..<i where candidates != 0 {
                    let b = Self.lower(Self.byte(p, j))
                    candidates = kind == .transferEncoding
                        ? Self.narrow(candidates, index &+ j &- start, b, "chunked", "", "")
                        : Self.narrow(candidates, index &+ j &- start, b, "close", "keep-alive", "")
                }
            }
        }
        index &+= i &- start
        return i
    }

    /// The end of a list element.
    private mutating func endToken() {
        defer { phase = .before }
        guard phase != .before else { return } // empty element
        if kind == .transferEncoding {
            if candidates & Self.chunkedBit != 0 && index == 7 && !chunked {
                chunked = true
            } else {
                unsupportedCoding = true // another coding, or chunked applied twice or not last
            }
        } else if candidates & Self.closeBit != 0 && index == 5 {
            connectionClose = true
        } else if candidates & Self.keepAliveBit != 0 && index == 10 {
            connectionKeepAlive = true
        }
    }

    /// The LF that ends a header line.
    private mutating func endHeaderLine() throws(ParseError) {
        switch kind {
        case .contentLength:
            guard phase != .before else { throw .badContentLength }
            if hasContentLength && contentLength != number { throw .badContentLength }
            contentLength = number
            hasContentLength = true
        case .transferEncoding, .connection:
            endToken()
        case .none, .other:
            break
        }
        previousKind = kind
        state = .lineStart
    }
}
