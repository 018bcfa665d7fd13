import Testing
@testable import LoadGen

/// The buffer a connection expands templated requests into (issue 9: two URLs whose templates expand to very
/// different lengths, served in turn on one connection, wrote past a buffer sized for the first one).
@Suite struct HTTP1RequestBufferTests {
    func target(_ url: String, body: [UInt8] = []) throws -> HTTPTarget {
        let parsed = try HTTPURL(parsing: url)
        let head = HTTP1Request.head(method: "POST", url: parsed, headers: [], bodyLength: body.count, keepAlive: true)
        var target = HTTPTarget(url: parsed, method: "POST", request: Array(head.utf8) + body, body: body)
        target.headTemplate = try NameTemplate(head, salt: 1)
        return target
    }

    /// Expands each target's request in turn into one buffer of the computed capacity, as HTTP1Worker.send does,
    /// and returns the longest request written.
    func longestRequest(_ targets: [HTTPTarget], capacity: Int) -> Int {
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { buffer.deallocate() }
        var longest = 0
        for (i, target) in targets.enumerated() {
            let sequence: UInt64 = i == 0 ? 0 : .max
            var n = target.headTemplate!.expand(sequence: sequence, thread: 255, into: buffer)
            for b in target.body where n < capacity { buffer[n] = b; n += 1 }
            longest = max(longest, n)
        }
        return longest
    }

    @Test func everyTargetOfAConnectionFitsItsBuffer() throws {
        let short = try target("http://127.0.0.1:8080/{seq}")
        let long = try target("http://127.0.0.1:8080/" + String(repeating: "{rand:32}/", count: 100) + "{seq}",
                              body: Array(repeating: 0x61, count: 3_000))
        let capacity = HTTP1Request.bufferCapacity(for: [short, long])
        try #require(capacity >= long.headTemplate!.maxLength + 3_000)
        #expect(capacity > short.headTemplate!.maxLength, "the first target's size was the bug")
        let written = longestRequest([short, long], capacity: capacity)
        #expect(written == long.headTemplate!.maxLength + 3_000, "the longest expansion uses the whole buffer")
    }

    @Test func targetsWithoutPlaceholdersNeedNoRoom() throws {
        let parsed = try HTTPURL(parsing: "http://127.0.0.1:8080/plain")
        let plain = HTTPTarget(url: parsed, method: "GET", request: Array("GET / HTTP/1.1\r\n\r\n".utf8))
        #expect(HTTP1Request.bufferCapacity(for: [plain]) == 1)
        let templated = try target("http://127.0.0.1:8080/{seq}")
        #expect(HTTP1Request.bufferCapacity(for: [plain, templated]) == templated.headTemplate!.maxLength)
    }
}
