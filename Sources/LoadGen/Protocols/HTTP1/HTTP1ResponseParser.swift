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
    var status = 0

    let limits: Limits
    var state = State.idle
    private var failure = ParseError.truncated
    private var isHeadRequest = false
    var isHTTP10 = false
    private var keepAlive = true
    /// Body bytes (Content-Length) or chunk bytes still to come; while reading a chunk size, the size so far.
    var remaining: UInt64 = 0
    /// Bytes of the current head or trailer section so far.
    var sectionBytes = 0
    /// Bytes of the current line so far (header-section line or chunk-size line).
    var lineBytes = 0
    /// Index within "HTTP/1.", the status code, a header name or a value token; digits of a chunk size.
    var index = 0
    var kind = HeaderKind.none
    var previousKind = HeaderKind.none
    /// Candidate header names (or, in a value, tokens) that still match what has streamed in.
    var candidates: UInt8 = 0
    var phase = ValuePhase.before
    var number: UInt64 = 0
    var contentLength: UInt64 = 0
    var hasContentLength = false
    var hasTransferEncoding = false
    var chunked = false
    var unsupportedCoding = false
    var connectionClose = false
    var connectionKeepAlive = false
    var inTrailers = false

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
    enum State: UInt8 {
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
    enum HeaderKind: UInt8 {
        case none, other, contentLength, transferEncoding, connection
    }

    /// Where a Content-Length value or a list element stands: before it, inside it, or in whitespace after it.
    enum ValuePhase: UInt8 {
        case before, inside, after
    }

    enum Byte {
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
    static var contentLengthBit: UInt8 { 1 }
    static var transferEncodingBit: UInt8 { 2 }
    static var connectionBit: UInt8 { 4 }
    static var chunkedBit: UInt8 { 1 }
    static var closeBit: UInt8 { 1 }
    static var keepAliveBit: UInt8 { 2 }
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
                guard let next = consumeBody(from: i, to: end) else { return (end, .needMore) }
                state = .idle
                return (next, .complete(keepAlive: keepAlive))
            case .bodyUntilClose:
                bodyBytes &+= UInt64(end &- i)
                return (end, .needMore)
            case .chunkData:
                guard let next = consumeBody(from: i, to: end) else { return (end, .needMore) }
                i = next
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
    /// Counts the body bytes from `i` up to `remaining` of them (a Content-Length body or a chunk). Returns the
    /// index after them, or nil when the input ends first (all of it was body).
    @inline(__always)
    private mutating func consumeBody(from i: Int, to end: Int) -> Int? {
        let available = UInt64(end &- i)
        if remaining > available {
            remaining &-= available
            bodyBytes &+= available
            return nil
        }
        bodyBytes &+= remaining
        let next = i &+ Int(truncatingIfNeeded: remaining)
        remaining = 0
        return next
    }

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
