/// Parses HTTP/1.1 responses from a byte stream, incrementally and without allocating.
///
/// A pure state machine with no I/O: feed it the bytes as they arrive, split anywhere, and it reports the final
/// status (`.head`) and the end of each response (`.complete`). Bodies are counted, not stored, and the state is a
/// few scalars, so a response costs no allocation and no memory whatever the peer sends. The limits bound the work
/// spent on a hostile head: a section or line over its limit is an error as soon as the byte that exceeds it
/// arrives, and the error does not depend on how the bytes were split.
///
/// Use, per response:
/// 1. `expectResponse(isHead:)` when the request is sent. (In the idle state, `parse` also starts a response, as
///    for a request that was not HEAD.)
/// 2. `parse` the bytes as they arrive. It stops at each event; call it again with the bytes it did not consume.
///    - `.head(status:)` once the final head is in. Interim 1xx heads (except 101) are parsed and skipped.
///    - `.complete(keepAlive:)` once the body, if any, and the trailers are in.
///    Every final response yields `.head` then `.complete`. When the response has no body (HEAD, 101, 204, 304,
///    `Content-Length: 0`), `.head` leaves the head's last byte (its LF) unconsumed, so that the call with the
///    rest of the bytes, which the caller makes because `consumed < input.count`, returns `.complete`.
/// 3. When the peer closes, `connectionClosed()`: the end of a body delimited by close, or `truncated`.
///
/// After an error the parser stays failed (every call throws the error again) until `expectResponse`; the
/// connection must then be closed, as its framing is lost.
///
/// Accepted: `HTTP/1.x NNN reason` (the reason may be empty, the space before it missing); header names
/// compared case-insensitively; optional whitespace around values; CRLF or bare LF line endings; obs-fold
/// continuation lines (except for Content-Length and Transfer-Encoding); empty lines before a status line.
/// Framing follows RFC 9112 §6.3, with only `chunked` as a transfer coding. A response that has both
/// Transfer-Encoding and Content-Length, or chunked HTTP/1.0, is parsed as chunked and reported with
/// `keepAlive: false` (RFC 9112 §6.1: such framing cannot be trusted for what follows). 101 Switching Protocols
/// is final and reported with `keepAlive: false`: the connection no longer speaks HTTP/1.1.
struct HTTP1ResponseParser {
    struct Limits: Sendable {
        /// The most bytes of a head: status line and header lines, line endings and the empty line included,
        /// interim (1xx) heads of the same response included. Also the most bytes of a trailer section.
        var maxHeaderBytes = 65_536
        /// The most bytes of one status, header or trailer line, its line ending included.
        var maxLineBytes = 8_192
        /// The most bytes of one chunk-size line (size, extensions, line ending).
        var maxChunkLineBytes = 1_024
    }

    enum Event: Equatable {
        /// Consumed everything given; feed more bytes.
        case needMore
        /// The final (non-1xx, or 101) status line and headers are complete.
        case head(status: Int)
        /// The response (body and trailers included) is complete. `keepAlive` is false when the connection must
        /// close: `Connection: close`, HTTP/1.0 without keep-alive, a body delimited by close, 101, or framing
        /// that cannot be trusted (Transfer-Encoding with Content-Length, or in HTTP/1.0).
        case complete(keepAlive: Bool)
    }

    enum ParseError: Error, Equatable {
        case badStatusLine, badHeader, headerTooLarge, lineTooLong, badContentLength, badChunk,
             unsupportedTransferEncoding
        /// The connection closed before the response was complete.
        case truncated
    }

    /// Body bytes of the current response so far: the payload, i.e. chunk data without the chunk framing.
    private(set) var bodyBytes: UInt64 = 0
    /// The status code of the current response: the final one from `.head` on; 0 before any status line.
    private(set) var status = 0

    private let limits: Limits
    private var state = State.idle
    private var failure = ParseError.truncated
    private var isHeadRequest = false
    private var isHTTP10 = false
    private var keepAlive = true
    /// Body bytes (Content-Length) or chunk bytes still to come; while reading a chunk size, the size so far.
    private var remaining: UInt64 = 0
    /// Bytes of the current head or trailer section so far.
    private var sectionBytes = 0
    /// Bytes of the current line so far (header-section line or chunk-size line).
    private var lineBytes = 0
    /// Index within "HTTP/1.", the status code, a header name or a value token; digits of a chunk size.
    private var index = 0
    private var kind = HeaderKind.none
    private var previousKind = HeaderKind.none
    /// Candidate header names (or, in a value, tokens) that still match what has streamed in.
    private var candidates: UInt8 = 0
    private var phase = ValuePhase.before
    private var number: UInt64 = 0
    private var contentLength: UInt64 = 0
    private var hasContentLength = false
    private var hasTransferEncoding = false
    private var chunked = false
    private var unsupportedCoding = false
    private var connectionClose = false
    private var connectionKeepAlive = false
    private var inTrailers = false

    init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Call before each response: `isHead` true when the request was HEAD (no body whatever the headers say).
    /// Resets the parser, a failed one included.
    mutating func expectResponse(isHead: Bool) {
        self = HTTP1ResponseParser(limits: limits)
        state = .statusStart
        isHeadRequest = isHead
    }

    /// Consumes bytes from `input`; returns how many it consumed and the event reached. Call again with the rest
    /// when consumed < input.count (e.g. after .head, or when a pipelined next response follows .complete).
    mutating func parse(_ input: UnsafeRawBufferPointer) throws(ParseError) -> (consumed: Int, event: Event) {
        do {
            return try step(input)
        } catch {
            state = .failed
            failure = error
            throw error
        }
    }

    /// The peer closed the connection: returns .complete(keepAlive: false) when the body was delimited by close
    /// (no Content-Length, not chunked), otherwise throws `truncated`. Also `.complete(keepAlive: false)` after
    /// the `.head` of a response without a body; and `.needMore` in the idle state (after `.complete`, before
    /// `expectResponse`), as there is no response to end.
    mutating func connectionClosed() throws(ParseError) -> Event {
        switch state {
        case .bodyUntilClose, .pendingComplete:
            state = .idle
            keepAlive = false
            return .complete(keepAlive: false)
        case .idle:
            return .needMore
        case .failed:
            throw failure
        default:
            state = .failed
            failure = .truncated
            throw .truncated
        }
    }
}

// MARK: - State

extension HTTP1ResponseParser {
    private enum State: UInt8 {
        // Status line.
        case statusStart, statusStartLF, version, versionMinor, afterVersion, statusCodeStart, statusCode,
             afterCode, reason, statusLineLF
        // Header (or trailer) lines.
        case lineStart, headerName, value, valueLF, sectionEndLF
        // Body.
        case bodyLength, bodyUntilClose
        case chunkSize, chunkSizeSpace, chunkExtension, chunkSizeLF, chunkData, chunkDataEnd, chunkDataLF
        // Between responses.
        case pendingComplete, idle, failed
    }

    /// The headers that matter for framing; everything else is `other`.
    private enum HeaderKind: UInt8 {
        case none, other, contentLength, transferEncoding, connection
    }

    /// Where a Content-Length value or a list element stands: before it, inside it, or in whitespace after it.
    private enum ValuePhase: UInt8 {
        case before, inside, after
    }

    private enum Byte {
        @inline(__always) static var ht: UInt8 { 0x09 }
        @inline(__always) static var lf: UInt8 { 0x0A }
        @inline(__always) static var cr: UInt8 { 0x0D }
        @inline(__always) static var sp: UInt8 { 0x20 }
        @inline(__always) static var comma: UInt8 { 0x2C }
        @inline(__always) static var colon: UInt8 { 0x3A }
        @inline(__always) static var semicolon: UInt8 { 0x3B }
        @inline(__always) static var zero: UInt8 { 0x30 }
    }

    // Candidate bits for header names, and for tokens in Transfer-Encoding and Connection values.
    private static var contentLengthBit: UInt8 { 1 }
    private static var transferEncodingBit: UInt8 { 2 }
    private static var connectionBit: UInt8 { 4 }
    private static var chunkedBit: UInt8 { 1 }
    private static var closeBit: UInt8 { 1 }
    private static var keepAliveBit: UInt8 { 2 }
}

// MARK: - Driver

extension HTTP1ResponseParser {
    private mutating func step(_ input: UnsafeRawBufferPointer) throws(ParseError) -> (consumed: Int, event: Event) {
        switch state {
        case .failed:
            throw failure
        case .pendingComplete:
            // The held-back LF that ended a bodiless head.
            state = .idle
            let lf = !input.isEmpty && input.load(as: UInt8.self) == Byte.lf ? 1 : 0
            return (lf, .complete(keepAlive: keepAlive))
        case .idle:
            if input.isEmpty { return (0, .needMore) }
            expectResponse(isHead: false)
        default:
            break
        }
        guard let p = input.baseAddress, !input.isEmpty else { return (0, .needMore) }
        let end = input.count
        var i = 0
        while true {
            switch state {
            case .bodyLength:
                let available = UInt64(end &- i)
                if remaining > available {
                    remaining &-= available
                    bodyBytes &+= available
                    return (end, .needMore)
                }
                i &+= Int(truncatingIfNeeded: remaining)
                bodyBytes &+= remaining
                remaining = 0
                state = .idle
                return (i, .complete(keepAlive: keepAlive))
            case .bodyUntilClose:
                bodyBytes &+= UInt64(end &- i)
                return (end, .needMore)
            case .chunkData:
                let available = UInt64(end &- i)
                if remaining > available {
                    remaining &-= available
                    bodyBytes &+= available
                    return (end, .needMore)
                }
                i &+= Int(truncatingIfNeeded: remaining)
                bodyBytes &+= remaining
                remaining = 0
                state = .chunkDataEnd
            case .chunkSize, .chunkSizeSpace, .chunkExtension, .chunkSizeLF, .chunkDataEnd, .chunkDataLF:
                if i >= end { return (end, .needMore) }
                i = try parseChunkFraming(p, from: i, to: end)
            case .pendingComplete, .idle, .failed:
                preconditionFailure("HTTP1ResponseParser: unreachable state \(state)")
            default:
                let (next, ended) = try parseSection(p, from: i, to: end)
                guard ended else { return (end, .needMore) }
                if inTrailers {
                    state = .idle
                    return (next, .complete(keepAlive: keepAlive))
                }
                return try finishHead(next)
            }
        }
    }

    /// The final head ended just before `next` (its LF at `next - 1`): choose the framing of the body.
    private mutating func finishHead(_ next: Int) throws(ParseError) -> (consumed: Int, event: Event) {
        var alive = isHTTP10 ? connectionKeepAlive && !connectionClose : !connectionClose
        let bodiless = isHeadRequest || status < 200 || status == 204 || status == 304
        if status == 101 { alive = false }
        if bodiless || (!hasTransferEncoding && hasContentLength && contentLength == 0) {
            keepAlive = alive
            state = .pendingComplete
            return (next &- 1, .head(status: status))
        }
        if hasTransferEncoding {
            guard chunked, !unsupportedCoding else { throw .unsupportedTransferEncoding }
            if hasContentLength || isHTTP10 { alive = false }
            beginChunkLine()
        } else if hasContentLength {
            remaining = contentLength
            state = .bodyLength
        } else {
            alive = false
            state = .bodyUntilClose
        }
        keepAlive = alive
        return (next, .head(status: status))
    }
}

// MARK: - Head and trailers

extension HTTP1ResponseParser {
    /// Parses status and header lines (or trailer lines) from `start`. Returns the index after the last byte
    /// consumed and whether the section's empty line was reached. Interim heads are skipped here.
    private mutating func parseSection(
        _ p: UnsafeRawPointer, from start: Int, to end: Int
    ) throws(ParseError) -> (next: Int, ended: Bool) {
        let maxSection = limits.maxHeaderBytes
        let maxLine = limits.maxLineBytes
        // Virtual indexes where the section and the current line began (negative when in earlier input); every
        // byte before `limit` is within both limits and the input.
        let sectionBase = start &- sectionBytes
        var lineBase = start &- lineBytes
        var limit = Swift.min(end, sectionBase &+ maxSection, lineBase &+ maxLine)
        var i = start
        while true {
            if i >= limit {
                if i >= end {
                    sectionBytes = end &- sectionBase
                    lineBytes = end &- lineBase
                    return (end, false)
                }
                throw i &- lineBase >= maxLine ? .lineTooLong : .headerTooLarge
            }
            switch state {
            case .statusStart:
                let b = Self.byte(p, i)
                i &+= 1
                if b == UInt8(ascii: "H") {
                    state = .version
                    index = 1
                } else if b == Byte.lf {
                    lineBase = i
                    limit = Swift.min(end, sectionBase &+ maxSection, i &+ maxLine)
                } else if b == Byte.cr {
                    state = .statusStartLF
                } else {
                    throw .badStatusLine
                }
            case .statusStartLF:
                guard Self.byte(p, i) == Byte.lf else { throw .badStatusLine }
                i &+= 1
                state = .statusStart
                lineBase = i
                limit = Swift.min(end, sectionBase &+ maxSection, i &+ maxLine)
            case .version:
                let prefix: StaticString = "HTTP/1."
                guard Self.byte(p, i) == prefix.utf8Start[index] else { throw .badStatusLine }
                i &+= 1
                index &+= 1
                if index == prefix.utf8CodeUnitCount { state = .versionMinor }
            case .versionMinor:
                let b = Self.byte(p, i)
                guard Self.isDigit(b) else { throw .badStatusLine }
                i &+= 1
                isHTTP10 = b == Byte.zero
                state = .afterVersion
            case .afterVersion:
                guard Self.byte(p, i) == Byte.sp else { throw .badStatusLine }
                i &+= 1
                state = .statusCodeStart
            case .statusCodeStart:
                let b = Self.byte(p, i)
                i &+= 1
                if b == Byte.sp { continue }
                guard Self.isDigit(b) else { throw .badStatusLine }
                status = Int(b &- Byte.zero)
                index = 1
                state = .statusCode
            case .statusCode:
                let b = Self.byte(p, i)
                guard Self.isDigit(b) else { throw .badStatusLine }
                i &+= 1
                status = status &* 10 &+ Int(b &- Byte.zero)
                index &+= 1
                if index == 3 {
                    guard status >= 100 else { throw .badStatusLine }
                    state = .afterCode
                }
            case .afterCode:
                let b = Self.byte(p, i)
                i &+= 1
                if b == Byte.sp {
                    state = .reason
                } else if b == Byte.cr {
                    state = .statusLineLF
                } else if b == Byte.lf {
                    state = .lineStart
                    previousKind = .none
                    lineBase = i
                    limit = Swift.min(end, sectionBase &+ maxSection, i &+ maxLine)
                } else {
                    throw .badStatusLine
                }
            case .reason:
                i = Self.skipFieldBytes(p, from: i, to: limit)
                if i >= limit { continue }
                let b = Self.byte(p, i)
                i &+= 1
                if b == Byte.cr {
                    state = .statusLineLF
                } else if b == Byte.lf {
                    state = .lineStart
                    previousKind = .none
                    lineBase = i
                    limit = Swift.min(end, sectionBase &+ maxSection, i &+ maxLine)
                } else {
                    throw .badStatusLine
                }
            case .statusLineLF:
                guard Self.byte(p, i) == Byte.lf else { throw .badStatusLine }
                i &+= 1
                state = .lineStart
                previousKind = .none
                lineBase = i
                limit = Swift.min(end, sectionBase &+ maxSection, i &+ maxLine)
            case .lineStart:
                let b = Self.byte(p, i)
                if Self.isTokenByte(b) {
                    // A header name, scanned from this byte on in .headerName.
                    candidates = inTrailers ? 0 : Self.contentLengthBit | Self.transferEncodingBit | Self.connectionBit
                    index = 0
                    state = .headerName
                    continue
                }
                i &+= 1
                if b == Byte.cr {
                    state = .sectionEndLF
                } else if b == Byte.lf {
                    if endSection() { return (i, true) }
                    lineBase = i
                    limit = Swift.min(end, sectionBase &+ maxSection, i &+ maxLine)
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
            case .sectionEndLF:
                guard Self.byte(p, i) == Byte.lf else { throw .badHeader }
                i &+= 1
                if endSection() { return (i, true) }
                lineBase = i
                limit = Swift.min(end, sectionBase &+ maxSection, i &+ maxLine)
            case .headerName:
                // Scan the name (or the part of it in this input), then match it against the framing headers'
                // names only when it could be one: when split, part by part; whole, only at one of their lengths.
                let span = i
                while i < limit, Self.isTokenByte(Self.byte(p, i)) { i &+= 1 }
                let ended = i < limit
                if candidates != 0 {
                    if !ended || index != 0 {
                        candidates = Self.narrow(candidates, index, p, from: span, to: i)
                    } else {
                        candidates = Self.matchName(p, at: span, length: i &- span)
                    }
                }
                index &+= i &- span
                if !ended { continue }
                guard Self.byte(p, i) == Byte.colon, index > 0 else { throw .badHeader }
                i &+= 1
                beginValue()
            case .value:
                if kind == .other {
                    i = Self.skipFieldBytes(p, from: i, to: limit)
                    if i >= limit { continue }
                }
                let b = Self.byte(p, i)
                i &+= 1
                if b == Byte.cr {
                    guard i < limit, Self.byte(p, i) == Byte.lf else {
                        state = .valueLF
                        continue
                    }
                    i &+= 1
                    try endHeaderLine()
                    lineBase = i
                    limit = Swift.min(end, sectionBase &+ maxSection, i &+ maxLine)
                } else if b == Byte.lf {
                    try endHeaderLine()
                    lineBase = i
                    limit = Swift.min(end, sectionBase &+ maxSection, i &+ maxLine)
                } else if kind == .contentLength {
                    try contentLengthByte(b)
                } else if kind == .other {
                    throw .badHeader
                } else if Self.isListTokenByte(b) {
                    i = listToken(p, from: i &- 1, to: limit)
                } else {
                    try listByte(b)
                }
            case .valueLF:
                guard Self.byte(p, i) == Byte.lf else { throw .badHeader }
                i &+= 1
                try endHeaderLine()
                lineBase = i
                limit = Swift.min(end, sectionBase &+ maxSection, i &+ maxLine)
            default:
                preconditionFailure("HTTP1ResponseParser: not a header-section state: \(state)")
            }
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

// MARK: - Chunked framing

extension HTTP1ResponseParser {
    private mutating func beginChunkLine() {
        state = .chunkSize
        index = 0
        remaining = 0
        lineBytes = 0
    }

    /// Parses chunk-size lines and the CRLF after chunk data from `start`, until chunk data or the trailer
    /// section begins or the input ends. Returns the index after the last byte consumed.
    private mutating func parseChunkFraming(
        _ p: UnsafeRawPointer, from start: Int, to end: Int
    ) throws(ParseError) -> Int {
        let maxLine = limits.maxChunkLineBytes
        var i = start
        while i < end {
            let b = Self.byte(p, i)
            i &+= 1
            switch state {
            case .chunkDataEnd:
                if b == Byte.cr {
                    state = .chunkDataLF
                } else if b == Byte.lf {
                    beginChunkLine()
                } else {
                    throw .badChunk
                }
                continue
            case .chunkDataLF:
                guard b == Byte.lf else { throw .badChunk }
                beginChunkLine()
                continue
            default:
                break
            }
            lineBytes &+= 1
            if lineBytes > maxLine { throw .lineTooLong }
            var lineEnded = false
            switch state {
            case .chunkSize:
                let digit = Self.hexValue(b)
                if digit < 16 {
                    guard remaining >> 60 == 0 else { throw .badChunk }
                    remaining = remaining << 4 | UInt64(digit)
                    index &+= 1
                } else if index == 0 {
                    throw .badChunk
                } else if b == Byte.sp || b == Byte.ht {
                    state = .chunkSizeSpace
                } else if b == Byte.semicolon {
                    state = .chunkExtension
                } else if b == Byte.cr {
                    state = .chunkSizeLF
                } else if b == Byte.lf {
                    lineEnded = true
                } else {
                    throw .badChunk
                }
            case .chunkSizeSpace:
                if b == Byte.semicolon {
                    state = .chunkExtension
                } else if b == Byte.cr {
                    state = .chunkSizeLF
                } else if b == Byte.lf {
                    lineEnded = true
                } else if b != Byte.sp && b != Byte.ht {
                    throw .badChunk
                }
            case .chunkExtension:
                if b == Byte.cr {
                    state = .chunkSizeLF
                } else if b == Byte.lf {
                    lineEnded = true
                } else if !Self.isFieldByte(b) {
                    throw .badChunk
                }
            case .chunkSizeLF:
                guard b == Byte.lf else { throw .badChunk }
                lineEnded = true
            default:
                preconditionFailure("HTTP1ResponseParser: not a chunk-framing state: \(state)")
            }
            if lineEnded {
                if remaining == 0 {
                    // The last chunk: trailer lines, then the empty line.
                    inTrailers = true
                    sectionBytes = 0
                    lineBytes = 0
                    previousKind = .none
                    state = .lineStart
                } else {
                    state = .chunkData
                }
                return i
            }
        }
        return i
    }
}

// MARK: - Bytes

extension HTTP1ResponseParser {
    @inline(__always)
    private static func byte(_ p: UnsafeRawPointer, _ i: Int) -> UInt8 {
        p.load(fromByteOffset: i, as: UInt8.self)
    }

    @inline(__always)
    private static func isDigit(_ b: UInt8) -> Bool {
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
    private static func lower(_ b: UInt8) -> UInt8 {
        b &- UInt8(ascii: "A") < 26 ? b | 0x20 : b
    }

    /// The value of a hex digit, or 16 or more for anything else.
    @inline(__always)
    private static func hexValue(_ b: UInt8) -> UInt8 {
        if b &- Byte.zero < 10 { return b &- Byte.zero }
        let folded = b | 0x20
        if folded &- UInt8(ascii: "a") < 6 { return folded &- UInt8(ascii: "a") &+ 10 }
        return 0xFF
    }

    /// A byte of a list token: a field byte other than SP, HTAB and comma.
    @inline(__always)
    private static func isListTokenByte(_ b: UInt8) -> Bool {
        b > Byte.sp && b != 0x7F && b != Byte.comma
    }

    /// The index of the first byte from `start` that is not a field byte (see `isFieldByte`), or `end`.
    @inline(__always)
    private static func skipFieldBytes(_ p: UnsafeRawPointer, from start: Int, to end: Int) -> Int {
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
    private static func matchName(_ p: UnsafeRawPointer, at start: Int, length: Int) -> UInt8 {
        switch length {
        case 10: equalsFolded(p, at: start, length: length, "connection") ? connectionBit : 0
        case 14: equalsFolded(p, at: start, length: length, "content-length") ? contentLengthBit : 0
        case 17: equalsFolded(p, at: start, length: length, "transfer-encoding") ? transferEncodingBit : 0
        default: 0
        }
    }

    /// The candidate bit of the token a whole list element is, or 0.
    @inline(__always)
    private static func matchToken(_ kind: HeaderKind, _ p: UnsafeRawPointer, at start: Int, length: Int) -> UInt8 {
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
    private static func narrow(_ candidates: UInt8, _ index: Int, _ p: UnsafeRawPointer, from start: Int, to end: Int) -> UInt8 {
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
    private static func narrow(
        _ candidates: UInt8, _ index: Int, _ b: UInt8, _ w0: StaticString, _ w1: StaticString, _ w2: StaticString
    ) -> UInt8 {
        var m = candidates
        if m & 1 != 0 && !(index < w0.utf8CodeUnitCount && w0.utf8Start[index] == b) { m &= ~1 }
        if m & 2 != 0 && !(index < w1.utf8CodeUnitCount && w1.utf8Start[index] == b) { m &= ~2 }
        if m & 4 != 0 && !(index < w2.utf8CodeUnitCount && w2.utf8Start[index] == b) { m &= ~4 }
        return m
    }
}
