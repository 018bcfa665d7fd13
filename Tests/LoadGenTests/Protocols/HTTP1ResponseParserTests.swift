import Testing
@testable import LoadGen

private typealias Parser = HTTP1ResponseParser
private typealias ParseError = HTTP1ResponseParser.ParseError

private func http(_ text: String) -> [UInt8] { Array(text.utf8) }

/// The same text with bare LF line endings.
private func bareLF(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    let bytes = http(text)
    var i = 0
    while i < bytes.count {
        if bytes[i] == 0x0D, i + 1 < bytes.count, bytes[i + 1] == 0x0A { i += 1; continue }
        out.append(bytes[i])
        i += 1
    }
    return out
}

/// The two draws the randomized tests make from their seeded generator.
private extension SplitMix64 {
    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &self) < percent }
    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &self)] }
}

/// What a parser reported for a byte stream, independent of how the bytes were split.
private struct Outcome: Equatable, CustomStringConvertible {
    enum Step: Equatable {
        case head(Int)
        case complete(keepAlive: Bool, status: Int, body: UInt64)
    }
    var steps: [Step] = []
    var error: ParseError?
    /// Broken contract: `.needMore` without consuming everything, status mismatch, bodyBytes going backwards.
    var anomalies: [String] = []

    /// The body bytes of all completed responses.
    var totalBody: UInt64 {
        steps.reduce(0) { sum, step in
            guard case .complete(_, _, let body) = step else { return sum }
            return sum + body
        }
    }

    var description: String { "steps \(steps) error \(String(describing: error)) anomalies \(anomalies)" }
}

/// Feeds `bytes` cut at `cuts` to a parser as a connection would: before response k, `expectResponse(isHead:
/// heads[k])` (false past the end); after a `.complete`, the rest of the piece is fed for the next response.
/// With `close`, calls `connectionClosed()` at the end (after a `.complete`, no next response is expected).
private func drive(
    _ bytes: [UInt8], cuts: [Int] = [], heads: [Bool] = [], close: Bool = false,
    limits: Parser.Limits = Parser.Limits()
) -> Outcome {
    var parser = Parser(limits: limits)
    var outcome = Outcome()
    var response = 0
    // The first request is sent before any byte arrives; the next ones once their response's bytes do.
    parser.expectResponse(isHead: heads.first ?? false)
    var needsExpect = false
    var calls = 0
    var lastBody: UInt64 = 0
    let bounds = cuts.filter { $0 > 0 && $0 < bytes.count }.sorted() + [bytes.count]
    bytes.withUnsafeBytes { all in
        var start = 0
        for end in bounds where end > start {
            var rest = UnsafeRawBufferPointer(rebasing: all[start..<end])
            start = end
            while !rest.isEmpty {
                calls += 1
                if calls > 4 * bytes.count + 16 {
                    outcome.anomalies.append("no progress after \(calls) calls")
                    return
                }
                if needsExpect {
                    parser.expectResponse(isHead: response < heads.count ? heads[response] : false)
                    needsExpect = false
                    lastBody = 0
                }
                let consumed: Int
                let event: Parser.Event
                do throws(ParseError) {
                    (consumed, event) = try parser.parse(rest)
                } catch {
                    outcome.error = error
                    return
                }
                if consumed < 0 || consumed > rest.count {
                    outcome.anomalies.append("consumed \(consumed) of \(rest.count)")
                    return
                }
                rest = UnsafeRawBufferPointer(rebasing: rest[consumed...])
                if parser.bodyBytes < lastBody { outcome.anomalies.append("bodyBytes went back") }
                lastBody = parser.bodyBytes
                switch event {
                case .needMore:
                    if !rest.isEmpty { outcome.anomalies.append("needMore with \(rest.count) bytes left") }
                case .head(let status):
                    if status != parser.status { outcome.anomalies.append("head \(status) but status \(parser.status)") }
                    outcome.steps.append(.head(status))
                case .complete(let keepAlive):
                    outcome.steps.append(.complete(keepAlive: keepAlive, status: parser.status, body: parser.bodyBytes))
                    response += 1
                    needsExpect = true
                }
            }
        }
        if close {
            do throws(ParseError) {
                if case .complete(let keepAlive) = try parser.connectionClosed() {
                    outcome.steps.append(.complete(keepAlive: keepAlive, status: parser.status, body: parser.bodyBytes))
                }
            } catch {
                outcome.error = error
            }
        }
    }
    return outcome
}

/// The outcome for the whole buffer, after checking that one byte at a time and every single cut give the same.
private func splitInvariant(
    _ bytes: [UInt8], heads: [Bool] = [], close: Bool = false, limits: Parser.Limits = Parser.Limits(),
    sourceLocation: SourceLocation = #_sourceLocation
) -> Outcome {
    let whole = drive(bytes, heads: heads, close: close, limits: limits)
    #expect(whole.anomalies.isEmpty, "\(whole)", sourceLocation: sourceLocation)
    let bytewise = drive(bytes, cuts: Array(0..<bytes.count), heads: heads, close: close, limits: limits)
    #expect(bytewise == whole, "byte by byte", sourceLocation: sourceLocation)
    var mismatches: [Int] = []
    for cut in 1..<max(bytes.count, 1) where drive(bytes, cuts: [cut], heads: heads, close: close, limits: limits) != whole {
        mismatches.append(cut)
    }
    #expect(mismatches.isEmpty, "cuts that change the outcome: \(mismatches.prefix(10))", sourceLocation: sourceLocation)
    return whole
}

private let nginxBody = [UInt8](repeating: UInt8(ascii: "x"), count: 612)
private let nginxHead = http("""
    HTTP/1.1 200 OK\r
    Server: nginx/1.22.1\r
    Date: Fri, 28 Nov 2025 05:40:00 GMT\r
    Content-Type: text/html\r
    Content-Length: 612\r
    Last-Modified: Tue, 28 Dec 2021 15:28:42 GMT\r
    Connection: keep-alive\r
    ETag: "61cb2d8a-264"\r
    Accept-Ranges: bytes\r
    \r

    """)

@Suite struct HTTP1ResponseParserTests {
    // MARK: Content-Length and the event contract

    @Test func contentLengthResponseAnyWaySplit() {
        let outcome = splitInvariant(nginxHead + nginxBody)
        #expect(outcome == Outcome(steps: [.head(200), .complete(keepAlive: true, status: 200, body: 612)]))
    }

    @Test func eventsAndConsumedCounts() throws {
        var parser = Parser()
        parser.expectResponse(isHead: false)
        let next = http("HTTP/1.1 204 No Content\r\n\r\n")
        let bytes = nginxHead + nginxBody + next
        try bytes.withUnsafeBytes { all in
            var r = try parser.parse(all)
            #expect(r.consumed == nginxHead.count && r.event == .head(status: 200))
            #expect(parser.status == 200 && parser.bodyBytes == 0)
            var rest = UnsafeRawBufferPointer(rebasing: all[r.consumed...])
            r = try parser.parse(UnsafeRawBufferPointer(rebasing: rest[..<100]))
            #expect(r == (100, .needMore))
            #expect(parser.bodyBytes == 100)
            rest = UnsafeRawBufferPointer(rebasing: rest[100...])
            r = try parser.parse(rest)
            #expect(r.consumed == 512 && r.event == .complete(keepAlive: true))
            #expect(parser.bodyBytes == 612 && parser.status == 200)
            rest = UnsafeRawBufferPointer(rebasing: rest[512...])
            #expect(rest.count == next.count)
            parser.expectResponse(isHead: false)
            #expect(parser.bodyBytes == 0 && parser.status == 0)
            // A bodiless response: .head leaves its final LF, and the call with the rest completes.
            r = try parser.parse(rest)
            #expect(r.consumed == next.count - 1 && r.event == .head(status: 204))
            rest = UnsafeRawBufferPointer(rebasing: rest[r.consumed...])
            r = try parser.parse(rest)
            #expect(r == (1, .complete(keepAlive: true)))
            #expect(parser.status == 204 && parser.bodyBytes == 0)
        }
    }

    @Test func bodilessCompletesEvenWhenCalledWithNothing() throws {
        var parser = Parser()
        parser.expectResponse(isHead: false)
        try http("HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n").withUnsafeBytes { all in
            let r = try parser.parse(all)
            #expect(r.event == .head(status: 304) && r.consumed == all.count - 1)
        }
        let empty = try [UInt8]().withUnsafeBytes { try parser.parse($0) }
        #expect(empty == (0, .complete(keepAlive: true)))
        #expect(try parser.connectionClosed() == .needMore)
    }

    @Test func parseWhenIdleStartsAResponse() throws {
        var parser = Parser()
        let bytes = http("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")
        try bytes.withUnsafeBytes { all in
            let head = try parser.parse(all)
            #expect(head.event == .head(status: 200))
            let complete = try parser.parse(UnsafeRawBufferPointer(rebasing: all[head.consumed...]))
            #expect(complete == (2, .complete(keepAlive: true)))
        }
        // And again, without expectResponse.
        let second = try bytes.withUnsafeBytes { try parser.parse($0) }
        #expect(second.event == .head(status: 200) && parser.bodyBytes == 0)
    }

    // MARK: Status line

    @Test(arguments: [
        ("HTTP/1.1 200 OK", 200), ("HTTP/1.1 200 ", 200), ("HTTP/1.1 200", 200), ("HTTP/1.1 404 Not Found", 404),
        ("HTTP/1.1 599 Weird\tReason  ", 599), ("HTTP/1.1 200 Caf\u{E9} \u{2713}", 200), ("HTTP/1.1  201 Created", 201),
        ("HTTP/1.0 200 OK", 200), ("HTTP/1.9 302 Found", 302), ("HTTP/1.1 999 ", 999), ("HTTP/1.1 100", 100),
    ])
    func statusLines(line: String, status: Int) {
        // A 100 is interim: it is followed by the final response.
        let final = status == 100 ? "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" : ""
        let text = line + "\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n" + final
        let outcome = splitInvariant(http(text))
        let expected = status == 100 ? 200 : status
        #expect(outcome == Outcome(steps: [.head(expected), .complete(keepAlive: true, status: expected, body: 0)]))
    }

    @Test(arguments: [
        "HTTP/2.0 200 OK", "HTTP/1.1 20 OK", "HTTP/1.1 2000 OK", "HTTP/1.1 099 Low", "http/1.1 200 OK",
        "HTTP/1.1200 OK", "HTTP/1.x 200 OK", "ICY 200 OK", "HTTP/1.1 200OK", "HTTP/1.1 200 O\u{0}K",
        "HTTP/1.1 200 OK\rX", " HTTP/1.1 200 OK", "HTTP/1.1 -20 OK", "HTTP/1.1 2x0 OK", "HTTP/1.1\t200 OK",
        "HTTP/1.1 200 O\u{7F}K", "HTTP/1.1", "HTTP/11 200 OK", "HTTP/1.1 ", "\u{0}",
    ])
    func badStatusLines(line: String) {
        let outcome = splitInvariant(http(line + "\r\nContent-Length: 0\r\n\r\n"))
        #expect(outcome.error == .badStatusLine && outcome.steps.isEmpty)
    }

    @Test func emptyLinesBeforeTheStatusLineAreSkipped() {
        let outcome = splitInvariant(http("\r\n\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"))
        #expect(outcome.steps == [.head(200), .complete(keepAlive: true, status: 200, body: 1)])
    }

    // MARK: Headers

    @Test(arguments: ["Content-Length", "content-length", "CONTENT-LENGTH", "cOnTeNt-LeNgTh"],
          [":5", ": 5", ":\t5 \t", ":   5", ": 005"])
    func contentLengthNameAnyCaseValueAnyWhitespace(name: String, value: String) {
        let outcome = splitInvariant(http("HTTP/1.1 200 OK\r\n\(name)\(value)\r\n\r\nhello"))
        #expect(outcome.steps == [.head(200), .complete(keepAlive: true, status: 200, body: 5)])
    }

    @Test(arguments: [
        "Content-Lengths: 5", "Content-Lengt: 5", "X-Content-Length: 5", "Content-Type: 5", "Connections: close",
        "Transfer-Encodings: chunked", "Transfer-Encodin: chunked", "Con: close", "C: 5", "Contentlength: 5",
        // The same lengths as the framing headers' names, one byte off at either end.
        "Content-Lengtx: 5", "Xontent-Length: 5", "Connectiox: close", "Xonnection: close",
        "Transfer-Encodinx: chunked", "Xransfer-Encoding: chunked", "Content_Length: 5", "Transfer-Encoding_: x",
    ])
    func nearMissNamesAreOtherHeaders(header: String) {
        // None of these frames the body, so it runs until close.
        let outcome = splitInvariant(http("HTTP/1.1 200 OK\r\n\(header)\r\n\r\nhello world"), close: true)
        #expect(outcome.steps == [.head(200), .complete(keepAlive: false, status: 200, body: 11)])
        #expect(outcome.error == nil)
    }

    @Test(arguments: [
        "abc", "-1", "+5", "1 2", "", "  ", "0x10", "5,5", "5, 5", "99999999999999999999999", "1.0", "5\u{0}",
        "18446744073709551616",
    ])
    func badContentLength(value: String) {
        let outcome = splitInvariant(http("HTTP/1.1 200 OK\r\nContent-Length: \(value)\r\n\r\nhello"))
        #expect(outcome.error == .badContentLength && outcome.steps.isEmpty)
    }

    @Test func duplicateContentLength() {
        let conflicting = splitInvariant(http("HTTP/1.1 200 OK\r\nContent-Length: 5\r\ncontent-length: 6\r\n\r\nhello!"))
        #expect(conflicting.error == .badContentLength)
        let same = splitInvariant(http("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX: y\r\ncontent-length:05\r\n\r\nhello"))
        #expect(same.steps == [.head(200), .complete(keepAlive: true, status: 200, body: 5)])
        let largest = splitInvariant(http("HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\nabc"), close: true)
        #expect(largest.steps == [.head(200)] && largest.error == .truncated)
    }

    @Test(arguments: [
        "Bad Header: x", "NoColon", ": empty name", "X\u{1}Y: v", "X: a\u{0}b", "X: a\u{7F}", "Bad\"Name: x",
        "Name : v", "(x): y", "X: a\rb", "X:\u{1B}[31m", "Caf\u{E9}: x", "Connection: \u{1}", "Transfer-Encoding: a\u{0}",
    ])
    func malformedHeaders(header: String) {
        let outcome = splitInvariant(http("HTTP/1.1 200 OK\r\n\(header)\r\nContent-Length: 0\r\n\r\n"))
        #expect(outcome.error == .badHeader && outcome.steps.isEmpty)
    }

    @Test func bareCRInTheHead() {
        #expect(splitInvariant(http("HTTP/1.1 200 OK\rContent-Length: 0\r\n\r\n")).error == .badStatusLine)
        #expect(splitInvariant(http("HTTP/1.1 200 OK\r\nX: 1\r\r\n\r\n")).error == .badHeader)
        #expect(splitInvariant(http("HTTP/1.1 200 OK\r\nX: 1\r\n\rX")).error == .badHeader)
        #expect(splitInvariant(http("\rHTTP/1.1 200 OK\r\n\r\n")).error == .badStatusLine)
    }

    @Test func headerValuesMayHoldAnything() {
        let value = "a \t\"quoted, with comma\" \u{E9}\u{1F600} ~!@#$%^&*()_+={}[]|\\:;'<>?,./"
        let outcome = splitInvariant(http("HTTP/1.1 200 OK\r\nX-Odd: \(value)\r\nEmpty:\r\nContent-Length: 1\r\n\r\nx"))
        #expect(outcome.steps == [.head(200), .complete(keepAlive: true, status: 200, body: 1)])
    }

    @Test func obsFoldContinuesTheValue() {
        let folded = splitInvariant(http("HTTP/1.1 200 OK\r\nX-Long: a\r\n b\r\n\tc\r\nContent-Length: 0\r\n\r\n"))
        #expect(folded.steps == [.head(200), .complete(keepAlive: true, status: 200, body: 0)])
        let connection = splitInvariant(http("HTTP/1.1 200 OK\r\nConnection: keep-alive,\r\n close\r\nContent-Length: 0\r\n\r\n"))
        #expect(connection.steps == [.head(200), .complete(keepAlive: false, status: 200, body: 0)])
        #expect(splitInvariant(http("HTTP/1.1 200 OK\r\n X: 1\r\n\r\n")).error == .badHeader)
        #expect(splitInvariant(http("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n 2\r\n\r\n")).error == .badHeader)
        #expect(splitInvariant(http("HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\n chunked\r\n\r\n")).error == .badHeader)
    }

    // MARK: Connection

    @Test(arguments: [
        ("1.1", [], true), ("1.1", ["close"], false), ("1.1", ["Close"], false), ("1.1", ["keep-alive"], true),
        ("1.1", ["Keep-Alive, Upgrade"], true), ("1.1", ["upgrade, CLOSE"], false), ("1.1", ["closed"], true),
        ("1.1", ["close-ish"], true), ("1.1", ["keep-alive, close"], false), ("1.1", ["x, ,close ,"], false),
        ("1.1", ["keep-alive", "close"], false), ("1.1", ["clo se"], true), ("1.1", ["\"close\""], true),
        ("1.1", ["te,\tclose\t"], false), ("1.0", [], false), ("1.0", ["keep-alive"], true),
        ("1.0", ["KEEP-ALIVE"], true), ("1.0", ["keep-alive, close"], false), ("1.0", ["keep-alive-x"], false),
        ("1.0", ["Upgrade", " keep-alive "], true), ("1.1", [""], true), ("1.0", ["keep alive"], false),
        ("1.1", ["closx"], true), ("1.1", ["xlose"], true), ("1.1", ["clxse"], true), ("1.0", ["keep-alivx"], false),
        ("1.0", ["xeep-alive"], false), ("1.0", ["keep_alive"], false), ("1.1", ["CLOSE"], false),
    ] as [(String, [String], Bool)])
    func connectionHeader(version: String, values: [String], keepAlive: Bool) {
        var text = "HTTP/\(version) 200 OK\r\n"
        for value in values { text += "Connection: \(value)\r\n" }
        text += "Content-Length: 2\r\n\r\nok"
        let outcome = splitInvariant(http(text))
        #expect(outcome.steps == [.head(200), .complete(keepAlive: keepAlive, status: 200, body: 2)])
    }

    // MARK: Transfer-Encoding and chunked bodies

    @Test(arguments: ["chunked", "Chunked", " CHUNKED ", "chunked,", ", chunked", "\tchunked"])
    func chunkedAnySpelling(value: String) {
        let outcome = splitInvariant(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: \(value)\r\n\r\n5\r\nhello\r\n0\r\n\r\n"))
        #expect(outcome.steps == [.head(200), .complete(keepAlive: true, status: 200, body: 5)])
    }

    @Test(arguments: [
        ["gzip"], ["gzip, chunked"], ["chunked, gzip"], ["chunked, chunked"], ["chunked", "chunked"], ["identity"],
        [""], ["chunked;q=1"], ["chun ked"], ["gzip", "chunked"], ["chunked", "gzip"], ["chunkedx"], ["x-chunked"], ["chunkex"], ["xhunked"], ["chuNKed ;"],
    ])
    func unsupportedTransferEncoding(values: [String]) {
        var text = "HTTP/1.1 200 OK\r\n"
        for value in values { text += "Transfer-Encoding: \(value)\r\n" }
        text += "\r\n5\r\nhello\r\n0\r\n\r\n"
        let outcome = splitInvariant(http(text))
        #expect(outcome.error == .unsupportedTransferEncoding && outcome.steps.isEmpty)
    }

    @Test func chunkedOverridesContentLengthAndClosesAfter() {
        let text = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
        let outcome = splitInvariant(http(text + "HTTP/1.1 204 No Content\r\n\r\n"))
        #expect(outcome.steps == [
            .head(200), .complete(keepAlive: false, status: 200, body: 3),
            .head(204), .complete(keepAlive: true, status: 204, body: 0),
        ])
        let http10 = splitInvariant(http("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n"))
        #expect(http10.steps == [.head(200), .complete(keepAlive: false, status: 200, body: 1)])
    }

    @Test(arguments: [
        ("5\r\nhello\r\n0\r\n\r\n", 5),
        ("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", 11),
        ("1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n", 26),
        ("1a\r\nabcdefghijklmnopqrstuvwxyz\r\n000\r\n\r\n", 26),
        ("000a\r\n0123456789\r\n0\r\n\r\n", 10),
        ("5;name=value\r\nhello\r\n0\r\n\r\n", 5),
        ("5 ; a=\"b c\" ;x\r\nhello\r\n0;last=1\r\n\r\n", 5),
        ("5;\r\nhello\r\n0\r\n\r\n", 5),
        ("5\t\r\nhello\r\n0 \r\n\r\n", 5),
        ("0\r\n\r\n", 0),
        ("5\r\nhello\r\n0\r\nExpires: never\r\nX-Checksum:  abc \r\n\r\n", 5),
        ("3\r\n\r\n\r\r\n0\r\nX: 1\r\n folded\r\n\r\n", 3),
        ("5\r\nhello\n0\nTrailer: x\n\n", 5),
        ("5\nhello\r\n0\n\r\n", 5),
    ])
    func chunkedBodies(body: String, length: UInt64) {
        let outcome = splitInvariant(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body))
        #expect(outcome.steps == [.head(200), .complete(keepAlive: true, status: 200, body: length)])
    }

    @Test(arguments: [
        ("xyz\r\n", ParseError.badChunk), ("\r\n", .badChunk), ("5\r\nhelloX\r\n0\r\n\r\n", .badChunk),
        ("5\r\nhello\rX", .badChunk), ("fffffffffffffffff\r\n", .badChunk), ("5 x\r\n", .badChunk),
        ("5\rX", .badChunk), (";ext\r\n", .badChunk), ("-5\r\n", .badChunk), ("0x5\r\n", .badChunk),
        ("5;a\u{0}\r\n", .badChunk), ("5\r\nhello\r\n0\r\nbad trailer\r\n\r\n", .badHeader),
        ("5\r\nhello\r\n0\r\n folded\r\n\r\n", .badHeader), ("0\r\nX: 1\rY", .badHeader), (" 5\r\n", .badChunk),
    ] as [(String, ParseError)])
    func badChunks(body: String, error: HTTP1ResponseParser.ParseError) {
        let outcome = splitInvariant(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body))
        #expect(outcome.error == error && outcome.steps == [.head(200)])
    }

    @Test func chunkLineLimit() {
        let limits = Parser.Limits(maxHeaderBytes: 65_536, maxLineBytes: 8_192, maxChunkLineBytes: 16)
        let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        // "1;abcdefghijkl\r\n" is exactly 16 bytes with its line ending.
        let fits = splitInvariant(http(head + "1;abcdefghijkl\r\nx\r\n0\r\n\r\n"), limits: limits)
        #expect(fits.steps == [.head(200), .complete(keepAlive: true, status: 200, body: 1)])
        let over = splitInvariant(http(head + "1;abcdefghijklm\r\nx\r\n0\r\n\r\n"), limits: limits)
        #expect(over.error == .lineTooLong)
        let zeros = splitInvariant(http(head + String(repeating: "0", count: 2_000) + "1\r\nx\r\n0\r\n\r\n"))
        #expect(zeros.error == .lineTooLong)
        let hugeExtension = drive(http(head + "1;" + String(repeating: "e", count: 1_000_000)))
        #expect(hugeExtension.error == .lineTooLong)
    }

    @Test func trailersAreBoundedByTheHeaderLimits() {
        let limits = Parser.Limits(maxHeaderBytes: 100, maxLineBytes: 30, maxChunkLineBytes: 1_024)
        let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"
        let line30 = "X-Trailer: 0123456789abcdefg\r\n"
        #expect(line30.utf8.count == 30)
        let fits = splitInvariant(http(head + line30 + "\r\n"), limits: limits)
        #expect(fits.steps == [.head(200), .complete(keepAlive: true, status: 200, body: 0)])
        let tooLong = splitInvariant(http(head + "X-Trailer: 0123456789abcdefgh\r\n\r\n"), limits: limits)
        #expect(tooLong.steps == [.head(200)] && tooLong.error == .lineTooLong)
        // The trailer section has its own budget: 3 × 30 + 2 bytes fit in 100, 4 × 30 do not.
        let three = splitInvariant(http(head + line30 + line30 + line30 + "\r\n"), limits: limits)
        #expect(three.steps == [.head(200), .complete(keepAlive: true, status: 200, body: 0)])
        let four = splitInvariant(http(head + line30 + line30 + line30 + line30 + "\r\n"), limits: limits)
        #expect(four.steps == [.head(200)] && four.error == .headerTooLarge)
        let many = http("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n")
            + Array(repeating: http("X: 1\r\n"), count: 20_000).flatMap { $0 }
        #expect(drive(many).error == .headerTooLarge)
    }

    // MARK: Interim responses

    @Test func interimResponsesAreSkipped() {
        let text = """
            HTTP/1.1 100 Continue\r
            \r
            HTTP/1.1 103 Early Hints\r
            Link: </style.css>; rel=preload; as=style\r
            Link: </script.js>; rel=preload; as=script\r
            Content-Length: 5\r
            Connection: close\r
            \r
            HTTP/1.1 102\r
            \r
            HTTP/1.1 200 OK\r
            Transfer-Encoding: chunked\r
            \r
            2\r
            ok\r
            0\r
            \r

            """
        let outcome = splitInvariant(http(text))
        #expect(outcome.steps == [.head(200), .complete(keepAlive: true, status: 200, body: 2)])
    }

    @Test func switchingProtocolsIsFinal() throws {
        let head = http("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
        let outcome = splitInvariant(head)
        #expect(outcome.steps == [.head(101), .complete(keepAlive: false, status: 101, body: 0)])
        // The bytes after it belong to the new protocol: not consumed.
        var parser = Parser()
        parser.expectResponse(isHead: false)
        try (head + [0x81, 0x05]).withUnsafeBytes { all in
            let first = try parser.parse(all)
            #expect(first.event == .head(status: 101))
            let second = try parser.parse(UnsafeRawBufferPointer(rebasing: all[first.consumed...]))
            #expect(second.event == .complete(keepAlive: false))
            #expect(first.consumed + second.consumed == head.count)
        }
    }

    @Test func endlessInterimResponsesHitTheHeaderLimit() {
        let bytes = Array(repeating: http("HTTP/1.1 100 Continue\r\n\r\n"), count: 10_000).flatMap { $0 }
        #expect(drive(bytes).error == .headerTooLarge)
        #expect(drive(bytes, cuts: Array(stride(from: 0, to: bytes.count, by: 7))).error == .headerTooLarge)
    }

    // MARK: Responses without a body

    @Test func responsesWithoutABody() {
        let headResponse = splitInvariant(http("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"), heads: [true])
        #expect(headResponse.steps == [.head(200), .complete(keepAlive: true, status: 200, body: 0)])
        let headChunked = splitInvariant(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), heads: [true])
        #expect(headChunked.steps == [.head(200), .complete(keepAlive: true, status: 200, body: 0)])
        let headOddCoding = splitInvariant(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"), heads: [true])
        #expect(headOddCoding.steps == [.head(200), .complete(keepAlive: true, status: 200, body: 0)])
        let noContent = splitInvariant(http("HTTP/1.1 204 No Content\r\n\r\n"))
        #expect(noContent.steps == [.head(204), .complete(keepAlive: true, status: 204, body: 0)])
        let notModified = splitInvariant(http("HTTP/1.1 304 Not Modified\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n"))
        #expect(notModified.steps == [.head(304), .complete(keepAlive: false, status: 304, body: 0)])
        let empty = splitInvariant(http("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
        #expect(empty.steps == [.head(200), .complete(keepAlive: true, status: 200, body: 0)])
        let emptyClosed = splitInvariant(http("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"), close: true)
        #expect(emptyClosed.steps == [.head(404), .complete(keepAlive: true, status: 404, body: 0)])
        #expect(emptyClosed.error == nil)
    }

    @Test func headResponseThenPipelinedGet() {
        let text = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
        let outcome = splitInvariant(http(text), heads: [true, false])
        #expect(outcome.steps == [
            .head(200), .complete(keepAlive: true, status: 200, body: 0),
            .head(200), .complete(keepAlive: true, status: 200, body: 5),
        ])
    }

    // MARK: Body delimited by close, and truncation

    @Test func bodyUntilClose() {
        let body = "hello\r\n0\r\n\r\nworld"
        let http11 = splitInvariant(http("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\n" + body), close: true)
        #expect(http11.steps == [.head(200), .complete(keepAlive: false, status: 200, body: UInt64(body.utf8.count))])
        #expect(http11.error == nil)
        let http10 = splitInvariant(http("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nabc"), close: true)
        #expect(http10.steps == [.head(200), .complete(keepAlive: false, status: 200, body: 3)])
        let nothing = splitInvariant(http("HTTP/1.1 200 OK\r\n\r\n"), close: true)
        #expect(nothing.steps == [.head(200), .complete(keepAlive: false, status: 200, body: 0)])
        let open = drive(http("HTTP/1.1 200 OK\r\n\r\nabc"))
        #expect(open.steps == [.head(200)] && open.error == nil)
    }

    @Test(arguments: [
        "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello",
        "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n",
        "HTTP/1.1 200 OK\r\nContent-Len",
        "HTTP/1.1 200",
        "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX: y\r\n",
        "HTTP/1.1 100 Continue\r\n\r\n",
        "\r\n",
        "",
    ])
    func truncatedResponses(text: String) throws {
        let outcome = drive(http(text), close: true)
        #expect(outcome.error == .truncated)
        #expect(!outcome.steps.contains { if case .complete = $0 { true } else { false } })
        // The error is sticky until the next expectResponse.
        var parser = Parser()
        parser.expectResponse(isHead: false)
        _ = try http(text).withUnsafeBytes { try parser.parse($0) }
        #expect(throws: ParseError.truncated) { try parser.connectionClosed() }
        #expect(throws: ParseError.truncated) { try http("HTTP/1.1").withUnsafeBytes { try parser.parse($0) } }
        #expect(throws: ParseError.truncated) { try parser.connectionClosed() }
        parser.expectResponse(isHead: false)
        let again = try http("HTTP/1.1 200 OK\r\n\r\n").withUnsafeBytes { try parser.parse($0) }
        #expect(again.event == .head(status: 200))
    }

    @Test func closeWhenIdleIsNothing() throws {
        var parser = Parser()
        #expect(try parser.connectionClosed() == .needMore)
        let done = drive(nginxHead + nginxBody, close: true)
        #expect(done.steps == [.head(200), .complete(keepAlive: true, status: 200, body: 612)] && done.error == nil)
    }

    @Test func errorsAreStickyUntilExpectResponse() throws {
        var parser = Parser()
        parser.expectResponse(isHead: false)
        #expect(throws: ParseError.badStatusLine) { try http("HTTX").withUnsafeBytes { try parser.parse($0) } }
        #expect(throws: ParseError.badStatusLine) { try nginxHead.withUnsafeBytes { try parser.parse($0) } }
        #expect(throws: ParseError.badStatusLine) { try [UInt8]().withUnsafeBytes { try parser.parse($0) } }
        #expect(throws: ParseError.badStatusLine) { try parser.connectionClosed() }
        parser.expectResponse(isHead: false)
        let r = try nginxHead.withUnsafeBytes { try parser.parse($0) }
        #expect(r == (nginxHead.count, .head(status: 200)))
    }

    // MARK: Line endings, pipelining

    @Test func bareLFLineEndings() {
        let text = """
            HTTP/1.1 100 Continue\r
            \r
            HTTP/1.1 200 OK\r
            Content-Length: 3\r
            \r
            abcHTTP/1.1 200 OK\r
            Transfer-Encoding: chunked\r
            X-Fold: a\r
             b\r
            \r
            4;x=y\r
            abcd\r
            0\r
            Trailer: t\r
            \r
            HTTP/1.0 204 No Content\r
            \r

            """
        let expected = [
            Outcome.Step.head(200), .complete(keepAlive: true, status: 200, body: 3),
            .head(200), .complete(keepAlive: true, status: 200, body: 4),
            .head(204), .complete(keepAlive: false, status: 204, body: 0),
        ]
        #expect(splitInvariant(http(text)).steps == expected)
        #expect(splitInvariant(bareLF(text)).steps == expected)
    }

    @Test func pipelinedResponsesInOneBuffer() {
        var bytes: [UInt8] = []
        var expected: [Outcome.Step] = []
        for round in 0..<3 {
            bytes += nginxHead + nginxBody
            bytes += http("HTTP/1.1 204 No Content\r\nServer: x\r\n\r\n")
            bytes += http("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n")
            bytes += http("\(String(round + 1, radix: 16))\r\n" + String(repeating: "z", count: round + 1) + "\r\n0\r\n\r\n")
            bytes += http("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n")
            expected += [
                .head(200), .complete(keepAlive: true, status: 200, body: 612),
                .head(204), .complete(keepAlive: true, status: 204, body: 0),
                .head(404), .complete(keepAlive: true, status: 404, body: UInt64(round + 1)),
                .head(304), .complete(keepAlive: true, status: 304, body: 0),
            ]
        }
        bytes += http("HTTP/1.1 500 Oops\r\nConnection: close\r\nContent-Length: 4\r\n\r\noops")
        expected += [.head(500), .complete(keepAlive: false, status: 500, body: 4)]
        let whole = drive(bytes)
        #expect(whole == Outcome(steps: expected))
        #expect(drive(bytes, cuts: Array(0..<bytes.count)) == whole)
        var random = SplitMix64(state: 7)
        for _ in 0..<200 {
            let cuts = (0..<Int.random(in: 1...20, using: &random)).map { _ in Int.random(in: 0..<bytes.count, using: &random) }
            #expect(drive(bytes, cuts: cuts) == whole)
        }
    }

    // MARK: Limits

    @Test func megabyteHeaderFailsQuicklyWithinTheLimits() {
        let clock = ContinuousClock()
        let started = clock.now
        let oneLine = http("HTTP/1.1 200 OK\r\nX-Big: ") + [UInt8](repeating: UInt8(ascii: "a"), count: 1 << 20)
        #expect(drive(oneLine).error == .lineTooLong)
        #expect(drive(oneLine, cuts: Array(stride(from: 0, to: oneLine.count, by: 1_000))).error == .lineTooLong)
        let longName = http("HTTP/1.1 200 OK\r\n") + [UInt8](repeating: UInt8(ascii: "N"), count: 1 << 20)
        #expect(drive(longName).error == .lineTooLong)
        let longReason = http("HTTP/1.1 200 ") + [UInt8](repeating: UInt8(ascii: "r"), count: 1 << 20)
        #expect(drive(longReason).error == .lineTooLong)
        let blankLines = [UInt8](repeating: 0x0A, count: 1 << 20)
        #expect(drive(blankLines).error == .headerTooLarge)
        let manyLines = http("HTTP/1.1 200 OK\r\n") + Array(repeating: http("X-Header: some value here\r\n"), count: 40_000).flatMap { $0 }
        #expect(manyLines.count > 1 << 20)
        #expect(drive(manyLines).error == .headerTooLarge)
        #expect(drive(manyLines, cuts: Array(stride(from: 0, to: manyLines.count, by: 4_096))).error == .headerTooLarge)
        #expect(clock.now - started < .seconds(2))
    }

    @Test func limitsAreExact() {
        let limits = Parser.Limits(maxHeaderBytes: 64, maxLineBytes: 20, maxChunkLineBytes: 1_024)
        let status = "HTTP/1.1 200 OK\r\n" // 17 bytes
        // A line of exactly 20 bytes (CRLF included) fits; 21 does not.
        let line20 = "X: 0123456789abcde\r\n"
        #expect(line20.utf8.count == 20)
        let fits = splitInvariant(http(status + line20 + "\r\n"), close: true, limits: limits)
        #expect(fits.steps == [.head(200), .complete(keepAlive: false, status: 200, body: 0)])
        let over = splitInvariant(http(status + "X: 0123456789abcdef\r\n\r\n"), close: true, limits: limits)
        #expect(over.error == .lineTooLong)
        // 17 + 3 × 15 + 2 = 64 bytes of head fit; one more byte does not.
        let head64 = status + "X-A: 12345678\r\n" + "X-B: 12345678\r\n" + "X-C: 12345678\r\n" + "\r\n"
        #expect(head64.utf8.count == 64)
        let fits64 = splitInvariant(http(head64), close: true, limits: limits)
        #expect(fits64.steps == [.head(200), .complete(keepAlive: false, status: 200, body: 0)])
        let head65 = status + "X-A: 12345678\r\n" + "X-B: 12345678\r\n" + "X-C: 123456789\r\n" + "\r\n"
        #expect(splitInvariant(http(head65), close: true, limits: limits).error == .headerTooLarge)
        // A long status line is a line too.
        #expect(splitInvariant(http("HTTP/1.1 200 OK OK OK OK\r\n\r\n"), limits: limits).error == .lineTooLong)
    }

    // MARK: Character classes

    @Test func characterClasses() {
        let tchars = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        for b in 0...255 {
            let byte = UInt8(b)
            #expect(Parser.isTokenByte(byte) == tchars.contains(byte), "tchar \(b)")
            #expect(Parser.isFieldByte(byte) == (byte == 9 || (byte >= 0x20 && byte != 0x7F)), "field byte \(b)")
        }
    }

    // MARK: Randomized

    /// A random valid response (or a few, pipelined), what the parser must report for it, and the HEAD flags.
    private struct Generated {
        var bytes: [UInt8] = []
        var expected: [Outcome.Step] = []
        var heads: [Bool] = []
        var close = false
    }

    private static func randomCase(_ name: String, _ random: inout SplitMix64) -> String {
        String(name.map { random.chance(50) ? Character($0.uppercased()) : $0 })
    }

    private static func randomOWS(_ random: inout SplitMix64) -> String {
        random.pick(["", " ", "  ", "\t", " \t "])
    }

    private static func randomToken(_ random: inout SplitMix64) -> String {
        let alphabet = Array("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        while true {
            let token = String((0..<Int.random(in: 1...20, using: &random)).map { _ in random.pick(alphabet) })
            let lower = token.lowercased()
            if !["content-length", "transfer-encoding", "connection"].contains(lower) { return token }
        }
    }

    private static func randomValue(_ random: inout SplitMix64) -> [UInt8] {
        (0..<Int.random(in: 0...40, using: &random)).map { _ in
            random.chance(10) ? UInt8.random(in: 0x80...0xFF, using: &random)
                : random.chance(5) ? 0x09 : UInt8.random(in: 0x20...0x7E, using: &random)
        }
    }

    private static func randomHeaders(_ random: inout SplitMix64, eol: () -> String) -> [UInt8] {
        var out: [UInt8] = []
        for _ in 0..<Int.random(in: 0...8, using: &random) {
            out += http(randomToken(&random) + ":") + randomValue(&random) + http(eol())
        }
        return out
    }

    private static func generate(_ random: inout SplitMix64) -> Generated {
        var generated = Generated()
        let lineEndings = random.pick([["\r\n"], ["\n"], ["\r\n", "\n"]])
        var eolRandom = SplitMix64(state: random.next())
        let eol = { eolRandom.pick(lineEndings) }
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            var text: [UInt8] = []
            // Interim responses, with headers that must not count.
            for _ in 0..<(random.chance(20) ? Int.random(in: 1...3, using: &random) : 0) {
                text += http("HTTP/1.1 \(random.pick([100, 102, 103])) \(random.pick(["", "Continue", "Early Hints"]))" + eol())
                if random.chance(30) { text += http("Content-Length: 7" + eol()) }
                if random.chance(30) { text += http("Connection: close" + eol()) }
                text += randomHeaders(&random, eol: eol) + http(eol())
            }
            let http10 = random.chance(15)
            let status = random.pick([200, 200, 200, 201, 204, 206, 301, 304, 404, 418, 500, 503, 101, 999])
            let isHead = random.chance(10)
            text += http("HTTP/1.\(http10 ? 0 : 1) \(status) \(random.pick(["OK", "", "Some Reason"]))" + eol())
            enum Framing { case length(Int), chunked([Int]), close }
            let framing: Framing
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<5: framing = .length(Int.random(in: 0...2_000, using: &random))
            case 5..<9: framing = .chunked((0..<Int.random(in: 0...5, using: &random)).map { _ in Int.random(in: 1...700, using: &random) })
            default: framing = .close
            }
            var headerLines: [[UInt8]] = []
            var close = false
            var keepAliveToken = false
            if random.chance(40) {
                let value = random.pick(["close", "keep-alive", "Keep-Alive, Upgrade", "upgrade", "te, close", "x"])
                close = value.lowercased().contains("close")
                keepAliveToken = value.lowercased().contains("keep-alive")
                headerLines.append(http(randomCase("Connection", &random) + ":" + randomOWS(&random) + value + randomOWS(&random)))
            }
            switch framing {
            case .length(let n):
                headerLines.append(http(randomCase("Content-Length", &random) + ":" + randomOWS(&random) + "\(n)" + randomOWS(&random)))
            case .chunked:
                headerLines.append(http(randomCase("Transfer-Encoding", &random) + ":" + randomOWS(&random) + randomCase("chunked", &random) + randomOWS(&random)))
            case .close:
                break
            }
            for _ in 0..<Int.random(in: 0...8, using: &random) {
                headerLines.append(http(randomToken(&random) + ":") + randomValue(&random))
            }
            headerLines.shuffle(using: &random)
            for line in headerLines { text += line + http(eol()) }
            text += http(eol())
            let bodiless = isHead || status == 101 || status == 204 || status == 304
            var body: UInt64 = 0
            var framedByClose = false
            if !bodiless {
                switch framing {
                case .length(let n):
                    text += (0..<n).map { _ in UInt8.random(in: 0...255, using: &random) }
                    body = UInt64(n)
                case .chunked(let sizes):
                    for size in sizes {
                        let hex = String(size, radix: 16, uppercase: random.chance(50))
                        text += http((random.chance(10) ? "00" : "") + hex)
                        if random.chance(30) { text += http(randomOWS(&random) + ";ext=" + random.pick(["1", "\"a b\"", "x"])) }
                        text += http(eol())
                        text += (0..<size).map { _ in UInt8.random(in: 0...255, using: &random) }
                        text += http(eol())
                        body += UInt64(size)
                    }
                    text += http("0" + (random.chance(20) ? ";last" : "") + eol())
                    if random.chance(30) { text += randomHeaders(&random, eol: eol) }
                    text += http(eol())
                case .close:
                    let n = Int.random(in: 0...1_500, using: &random)
                    text += (0..<n).map { _ in UInt8.random(in: 0...255, using: &random) }
                    body = UInt64(n)
                    framedByClose = true
                }
            }
            var keepAlive = http10 ? keepAliveToken && !close : !close
            if status == 101 || framedByClose { keepAlive = false }
            if case .chunked = framing, !bodiless, http10 { keepAlive = false } // chunked HTTP/1.0: untrusted framing
            generated.bytes += text
            generated.heads.append(isHead)
            generated.expected += [.head(status), .complete(keepAlive: keepAlive, status: status, body: body)]
            if framedByClose {
                generated.close = true
                break
            }
            if status == 101 || !keepAlive { break }
        }
        return generated
    }

    @Test func randomValidResponsesAnyWaySplit() {
        var random = SplitMix64(state: 0x5EED)
        var failures = 0
        for iteration in 0..<400 {
            let g = Self.generate(&random)
            let whole = drive(g.bytes, heads: g.heads, close: g.close)
            var ok = whole == Outcome(steps: g.expected)
            for _ in 0..<4 {
                let cuts = (0..<Int.random(in: 1...12, using: &random)).map { _ in Int.random(in: 0...g.bytes.count, using: &random) }
                ok = ok && drive(g.bytes, cuts: cuts, heads: g.heads, close: g.close) == whole
            }
            if iteration % 20 == 0 {
                ok = ok && drive(g.bytes, cuts: Array(0..<g.bytes.count), heads: g.heads, close: g.close) == whole
            }
            if !ok {
                failures += 1
                if failures <= 3 {
                    Issue.record("iteration \(iteration): expected \(g.expected), got \(whole); bytes \(String(decoding: g.bytes.prefix(600), as: UTF8.self).debugDescription)")
                }
            }
        }
        #expect(failures == 0)
    }

    @Test func randomGarbageNeverCrashesOrHangs() {
        var random = SplitMix64(state: 0xBAD)
        let prefixes = [
            "", "HTTP/1.1 ", "HTTP/1.1 200 OK\r\n", "HTTP/1.1 200 OK\r\nContent-Length: ",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "HTTP/1.1 200 OK\r\nConnection: ",
        ]
        let alphabet = Array(http("HTTP/1.0 \r\n:;,\t0123456789abcdefABCDEF-chunkedCONTENTlengthclosekeep-alive")) + [0, 0x7F, 0xFF]
        for _ in 0..<1_500 {
            var bytes = http(random.pick(prefixes))
            let count = Int.random(in: 0...200, using: &random)
            let structured = random.chance(50)
            bytes += (0..<count).map { _ in structured ? random.pick(alphabet) : UInt8.random(in: 0...255, using: &random) }
            let close = random.chance(50)
            let whole = drive(bytes, close: close)
            #expect(whole.anomalies.isEmpty, "\(whole)")
            let cuts = (0..<Int.random(in: 0...8, using: &random)).map { _ in Int.random(in: 0...bytes.count, using: &random) }
            #expect(drive(bytes, cuts: cuts, close: close) == whole)
            #expect(whole.totalBody <= UInt64(bytes.count))
        }
    }

    @Test func mutatedValidResponsesBehaveConsistently() {
        var random = SplitMix64(state: 0xF022)
        let specials = http("\r\n :;,0123456789aAfF-\t") + [0, 0x80]
        for iteration in 0..<800 {
            let g = Self.generate(&random)
            var bytes = g.bytes
            for _ in 0..<Int.random(in: 1...3, using: &random) where !bytes.isEmpty {
                let at = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<5, using: &random) {
                case 0: bytes[at] ^= 1 << UInt8.random(in: 0...7, using: &random)
                case 1: bytes[at] = random.pick(specials)
                case 2: bytes.remove(at: at)
                case 3: bytes.insert(random.pick(specials), at: at)
                default: bytes.removeLast(Int.random(in: 0...min(bytes.count, 300), using: &random))
                }
            }
            let close = random.chance(50)
            let whole = drive(bytes, heads: g.heads, close: close)
            #expect(whole.anomalies.isEmpty, "\(whole)")
            let cuts = (0..<Int.random(in: 1...10, using: &random)).map { _ in Int.random(in: 0...bytes.count, using: &random) }
            #expect(drive(bytes, cuts: cuts, heads: g.heads, close: close) == whole, "iteration \(iteration)")
            if iteration % 40 == 0 {
                #expect(drive(bytes, cuts: Array(0..<bytes.count), heads: g.heads, close: close) == whole)
            }
            #expect(whole.totalBody <= UInt64(bytes.count))
        }
    }
}
