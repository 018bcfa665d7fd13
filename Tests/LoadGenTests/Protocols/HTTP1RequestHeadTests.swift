import Testing
@testable import LoadGen

@Suite struct HTTP1RequestHeadTests {
    private let url = try! HTTPURL(parsing: "http://127.0.0.1:8080/p?q=1")

    private func headers(_ texts: [String]) throws -> [HTTP1Request.Header] {
        try texts.map { text throws(HTTPHeaderError) in try HTTP1Request.Header(parsing: text) }
    }

    private func framingError(_ texts: [String], bodyLength: Int) throws -> HTTPHeaderError? {
        do {
            try HTTP1Request.checkFraming(try headers(texts), bodyLength: bodyLength)
            return nil
        } catch let error as HTTPHeaderError {
            return error
        }
    }

    @Test func loadgenAddsHostUserAgentAndContentLength() {
        let head = HTTP1Request.head(method: "POST", url: url, headers: [], bodyLength: 5, keepAlive: false)
        #expect(head == "POST /p?q=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: loadgen/\(LoadGenVersion.current)\r\nContent-Length: 5\r\nConnection: close\r\n\r\n")
    }

    @Test func aContentLengthThatAgreesReplacesLoadgensOwn() throws {
        #expect(try framingError(["content-length: 5"], bodyLength: 5) == nil)
        #expect(try framingError(["Content-Length: 0"], bodyLength: 0) == nil)
        let head = HTTP1Request.head(method: "POST", url: url, headers: try headers(["content-length: 5"]), bodyLength: 5,
                                     keepAlive: true)
        #expect(head.lowercased().components(separatedBy: "content-length:").count == 2, "sent once: \(head)")
    }

    @Test func aContentLengthThatContradictsTheBodyIsRefused() throws {
        for value in ["3", "6", "", "+5", "-5", "0x5", "{seq}", "05a"] {
            let text = "Content-Length: \(value)"
            let error = try framingError([text], bodyLength: 5)
            guard case .contentLengthMismatch(_, bodyLength: 5)? = error else {
                Issue.record("'\(text)' with a 5-byte body: \(String(describing: error))")
                continue
            }
        }
        #expect(try framingError(["Content-Length: 3"], bodyLength: 5)?.description
            == "'Content-Length: 3' contradicts the body, which is 5 bytes (--body); drop the header (loadgen adds Content-Length: 5 when there is a body) or give 5")
        #expect(try framingError(["Content-Length: 5", "content-length: 5"], bodyLength: 5) == .contentLengthTwice("content-length: 5"))
    }

    @Test func transferEncodingIsRefused() throws {
        for text in ["Transfer-Encoding: chunked", "transfer-encoding: gzip, chunked", "TRANSFER-ENCODING: identity"] {
            #expect(try framingError([text], bodyLength: 5) == .transferEncoding(text))
            #expect(try framingError([text], bodyLength: 0) == .transferEncoding(text), "also without a body")
        }
        #expect(try framingError(["Transfer-Encoding: chunked"], bodyLength: 5)?.description
            == "'Transfer-Encoding: chunked': loadgen sends every body whole, framed by the Content-Length it adds itself; drop this header")
    }

    @Test func otherHeadersPass() throws {
        #expect(try framingError(["X-Content-Length: 3", "Content-Type: text/plain", "TE: trailers"], bodyLength: 5) == nil)
    }
}
