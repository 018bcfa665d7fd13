import CNghttp2
import Glibc
import Testing
@testable import LoadGen

/// `H2Session` (the client) wired back to back with an nghttp2 *server* session written here, in memory, with no
/// sockets: the client's `produceOutput()` bytes go into the server's `mem_recv`, the server's `session_send`
/// bytes into the client's `receive`. The server does what each test tells it (answer, reset, GOAWAY, tiny
/// windows), and both sides' views are checked: what the client's delegate heard and what the server received.
@Suite struct H2SessionTests {
    // MARK: Requests and responses

    @Test("GET requests get responses with bodies: sent with a header block, status, clean complete close")
    func requestsAndResponsesWithBodies() throws {
        let server = H2TestServer()
        server.onRequest = { server, streamID in
            server.respond(streamID, status: 200, body: Array("hello \(streamID)".utf8))
        }
        let pair = try H2Pair(server: server)
        let template = pair.template(H2Pair.getFields(path: "/a"), body: [])
        var streamIDs: [Int32] = []
        for slot in Int32(0)..<4 {
            let id = pair.client.submit(template, slot: slot)
            #expect(id > 0, "submit returns a stream ID")
            streamIDs.append(id)
        }
        #expect(streamIDs == [1, 3, 5, 7], "client streams are odd and increasing")
        try pair.pump()

        let delegate = pair.delegate
        #expect(delegate.sent.map(\.slot).sorted() == [0, 1, 2, 3], "didSendRequestOf once per slot: \(delegate.sent)")
        #expect(delegate.sent.allSatisfy { $0.headerBlockBytes > 0 }, "HEADERS have a header block: \(delegate.sent)")
        #expect(delegate.statuses == [0: 200, 1: 200, 2: 200, 3: 200])
        for slot in Int32(0)..<4 {
            #expect(delegate.closes[slot]?.errorCode == 0, "slot \(slot) closed with NO_ERROR: \(String(describing: delegate.closes[slot]))")
            #expect(delegate.closes[slot]?.complete == true, "slot \(slot) complete")
        }
        #expect(delegate.closeCount == 4, "each stream closes exactly once")
        #expect(delegate.settingsReceived == 1, "the server's SETTINGS arrive once (ACKs are not SETTINGS)")
        #expect(delegate.resets == 0 && delegate.goAways.isEmpty)

        // What the server saw: the template's pseudo-headers, and each response's body went back.
        #expect(server.requests.count == 4)
        for id in streamIDs {
            let request = try #require(server.requests[id])
            #expect(request.header(":method") == "GET")
            #expect(request.header(":path") == "/a")
            #expect(request.header(":scheme") == "http")
            #expect(request.header(":authority") == "127.0.0.1:8080")
            #expect(request.ended && request.body.isEmpty)
            #expect(server.responseBytesSent[id] == "hello \(id)".utf8.count, "the whole response body was sent")
        }
        #expect(pair.client.receivedHeaderBlockBytes > 0, "received (HPACK) header-block bytes are counted")
        #expect(pair.client.receivedHeaderBytes > pair.client.receivedHeaderBlockBytes,
                "decoded header bytes (name + value + 32 each) exceed the compressed block")
        #expect(pair.client.failure == nil)
    }

    @Test("HPACK: a repeated request's header block is smaller than the first, and below the uncompressed size")
    func headerCompression() throws {
        let server = H2TestServer()
        server.onRequest = { server, streamID in server.respond(streamID, status: 204, body: []) }
        let pair = try H2Pair(server: server)
        let fields = H2Pair.getFields(path: "/a/fairly/long/path/to/make/compression/visible?with=a&query=string") +
            [("x-custom-header", "a value that the dynamic table will remember")]
        let template = pair.template(fields, body: [])
        _ = pair.client.submit(template, slot: 0)
        try pair.pump()
        _ = pair.client.submit(template, slot: 1)
        try pair.pump()
        let first = try #require(pair.delegate.sent.first { $0.slot == 0 }).headerBlockBytes
        let second = try #require(pair.delegate.sent.first { $0.slot == 1 }).headerBlockBytes
        #expect(first < template.uncompressedBytes, "HPACK shrinks even the first block: \(first) vs \(template.uncompressedBytes)")
        // nghttp2 never indexes :path, so the path is sent again; the other fields become table references.
        let custom = "x-custom-header".utf8.count + "a value that the dynamic table will remember".utf8.count
        #expect(second < first - custom / 2, "the second block indexes the dynamic table: \(second) vs \(first)")
        #expect(pair.delegate.statuses == [0: 204, 1: 204])
        #expect(pair.delegate.closes[1]?.complete == true)
        #expect(template.uncompressedBytes == fields.reduce(0) { $0 + $1.0.utf8.count + $1.1.utf8.count + 32 },
                "uncompressedBytes counts name + value + 32 per field (RFC 7541)")
    }

    @Test("POST bodies arrive intact (DATA frames from the data provider), with responses")
    func requestBodies() throws {
        let server = H2TestServer()
        server.onRequest = { server, streamID in
            server.respond(streamID, status: 201, body: Array(repeating: 0x61, count: 3000))
        }
        let pair = try H2Pair(server: server)
        let body = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let template = pair.template(H2Pair.postFields(bodyCount: body.count), body: body)
        for slot in Int32(0)..<3 { #expect(pair.client.submit(template, slot: slot) > 0) }
        try pair.pump()
        #expect(server.requests.count == 3)
        for (id, request) in server.requests {
            #expect(request.body == body, "stream \(id): body of \(request.body.count) bytes, expected \(body.count) intact")
            #expect(request.ended)
            #expect(request.header(":method") == "POST")
        }
        #expect(pair.delegate.statuses == [0: 201, 1: 201, 2: 201])
        #expect((0..<3).allSatisfy { pair.delegate.closes[Int32($0)]?.complete == true && pair.delegate.closes[Int32($0)]?.errorCode == 0 })
    }

    @Test("The client advertises windows large enough not to stall: a 1 MiB response needs no WINDOW_UPDATE")
    func largeResponseWindows() throws {
        let server = H2TestServer()
        let size = 1 << 20
        server.onRequest = { server, streamID in server.respond(streamID, status: 200, body: Array(repeating: 0x62, count: size)) }
        let pair = try H2Pair(server: server)
        #expect(server.remoteSetting(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE) == UInt32(H2Session.windowSize),
                "the client's SETTINGS_INITIAL_WINDOW_SIZE")
        #expect(server.remoteConnectionWindow >= Int(H2Session.windowSize) - 65_535,
                "the client raised the connection window: \(server.remoteConnectionWindow)")
        #expect(server.remoteSetting(NGHTTP2_SETTINGS_ENABLE_PUSH) == 0, "push disabled")
        server.forgetReceivedFrames()  // the handshake's connection WINDOW_UPDATE
        _ = pair.client.submit(pair.template(H2Pair.getFields(path: "/big"), body: []), slot: 0)
        let rounds = try pair.pump()
        #expect(server.responseBytesSent[1] == size)
        #expect(pair.delegate.closes[0]?.complete == true)
        #expect(rounds <= 4, "the body went out without waiting for window updates (\(rounds) rounds)")
        #expect(!server.receivedFrameTypes.contains(UInt8(NGHTTP2_WINDOW_UPDATE.rawValue)),
                "no WINDOW_UPDATE was needed: \(server.receivedFrameTypes)")
    }

    // MARK: Flow control

    @Test("A server initial window of 16 bytes forces flow control; the request body still completes intact")
    func tinyServerWindow() throws {
        let server = H2TestServer(settings: [(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 16)])
        server.onRequest = { server, streamID in server.respond(streamID, status: 200, body: Array("ok".utf8)) }
        let pair = try H2Pair(server: server)
        try #require(pair.client.receivedSettings)
        let body = (0..<1000).map { UInt8(truncatingIfNeeded: $0) }
        let template = pair.template(H2Pair.postFields(bodyCount: body.count), body: body)
        #expect(pair.client.submit(template, slot: 0) == 1)
        #expect(pair.client.submit(template, slot: 1) == 3)
        let rounds = try pair.pump()
        for id: Int32 in [1, 3] {
            let request = try #require(server.requests[id])
            #expect(request.body == body, "stream \(id) body intact")
            #expect(request.dataFrameLengths.allSatisfy { $0 <= 16 },
                    "no DATA frame beyond the 16-byte window: \(request.dataFrameLengths)")
            #expect(request.dataFrameLengths.count >= 1000 / 16, "the body went out in window-sized pieces")
        }
        #expect(rounds > 1000 / 16, "the client waited for WINDOW_UPDATEs (\(rounds) rounds)")
        #expect(pair.delegate.statuses == [0: 200, 1: 200])
        #expect(pair.delegate.closes[0]?.complete == true && pair.delegate.closes[1]?.complete == true)
        #expect(pair.delegate.sent.count == 2, "one HEADERS per request, however many DATA frames")
    }

    @Test("A body larger than the server's 64 KiB connection window completes (connection-level flow control)")
    func connectionWindow() throws {
        let server = H2TestServer()
        server.onRequest = { server, streamID in server.respond(streamID, status: 200, body: []) }
        let pair = try H2Pair(server: server)
        let body = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let template = pair.template(H2Pair.postFields(bodyCount: body.count), body: body)
        _ = pair.client.submit(template, slot: 0)
        _ = pair.client.submit(template, slot: 1)
        try pair.pump()
        #expect(server.requests[1]?.body == body)
        #expect(server.requests[3]?.body == body)
        #expect(pair.delegate.closes[0]?.complete == true && pair.delegate.closes[1]?.complete == true)
    }

    // MARK: SETTINGS

    @Test("The server's SETTINGS_MAX_CONCURRENT_STREAMS shows through remoteMaxConcurrentStreams, also when it changes")
    func maxConcurrentStreams() throws {
        let server = H2TestServer(settings: [(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 3)])
        let pair = try H2Pair(server: server)
        #expect(pair.client.remoteMaxConcurrentStreams == 3)
        #expect(pair.delegate.settingsReceived == 1)
        server.submitSettings([(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 1)])
        try pair.pump()
        #expect(pair.client.remoteMaxConcurrentStreams == 1, "a later SETTINGS lowers it")
        #expect(pair.delegate.settingsReceived == 2, "each SETTINGS (not ACK) is reported")
        server.submitSettings([(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 250)])
        try pair.pump()
        #expect(pair.client.remoteMaxConcurrentStreams == 250)
    }

    @Test("Without the setting the limit is effectively unlimited (at least 2^31-1)")
    func unlimitedConcurrentStreams() throws {
        let pair = try H2Pair(server: H2TestServer())
        #expect(pair.client.remoteMaxConcurrentStreams >= Int(Int32.max))
    }

    @Test("Before the server's SETTINGS nothing is known: receivedSettings false, the delegate not called")
    func beforeSettings() throws {
        let delegate = H2RecordingDelegate()
        let client = try H2Session(slotCapacity: 4)
        client.delegate = delegate
        try client.produceOutput()
        #expect(client.outputCount >= 24 + 9, "the preface and the client's SETTINGS are ready to write")
        let preface = Array(UnsafeRawBufferPointer(start: client.output, count: 24))
        #expect(preface == Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8))
        #expect(!client.receivedSettings)
        #expect(delegate.settingsReceived == 0)
        client.consumeOutput(10)
        #expect(Array(UnsafeRawBufferPointer(start: client.output, count: 14)) == Array(preface[10...]),
                "consumeOutput drops a prefix and keeps the rest in order")
    }

    // MARK: GOAWAY

    @Test("GOAWAY mid-stream: the last stream ID reaches the delegate, streams above it close REFUSED_STREAM, those below complete, no new streams")
    func goAwayMidStream() throws {
        let server = H2TestServer()
        let pair = try H2Pair(server: server)
        let template = pair.template(H2Pair.getFields(path: "/g"), body: [])
        for slot in Int32(0)..<5 { _ = pair.client.submit(template, slot: slot) }  // streams 1, 3, 5, 7, 9
        try pair.pump()
        #expect(server.requests.count == 5, "the server holds all five requests")
        #expect(pair.delegate.closeCount == 0)

        // Streams 1 and 3 get response HEADERS now, their bodies after the GOAWAY.
        server.respondHeaders(1, status: 200)
        server.respondHeaders(3, status: 200)
        server.goAway(lastStreamID: 3, errorCode: 0)
        try pair.pump()
        #expect(pair.delegate.goAways.count == 1)
        #expect(pair.delegate.goAways.first?.lastStreamID == 3)
        #expect(pair.delegate.goAways.first?.errorCode == 0)
        #expect(pair.client.goAwayReceived)
        for slot: Int32 in [2, 3, 4] {
            #expect(pair.delegate.closes[slot]?.errorCode == 7, "slot \(slot) (stream \(2 * slot + 1)) refused: \(String(describing: pair.delegate.closes[slot]))")
            #expect(pair.delegate.closes[slot]?.complete == false)
        }
        #expect(pair.delegate.closes[0] == nil && pair.delegate.closes[1] == nil, "streams 1 and 3 stay open")
        #expect(pair.delegate.statuses == [0: 200, 1: 200])

        // No new streams after GOAWAY.
        #expect(pair.client.submit(template, slot: 2) == 0)
        try pair.pump()
        #expect(server.requests.count == 5, "nothing new reached the server")

        server.sendBody(1, Array("one".utf8))
        server.sendBody(3, Array("three".utf8))
        try pair.pump()
        #expect(pair.delegate.closes[0]?.errorCode == 0 && pair.delegate.closes[0]?.complete == true)
        #expect(pair.delegate.closes[1]?.errorCode == 0 && pair.delegate.closes[1]?.complete == true)
        #expect(pair.delegate.closeCount == 5, "every stream closed exactly once")
        #expect(!pair.client.isAlive, "with GOAWAY received and no streams left the session is done")
    }

    @Test("GOAWAY with an error code and last stream 0 refuses every stream")
    func goAwayRefusesAll() throws {
        let server = H2TestServer()
        let pair = try H2Pair(server: server)
        let template = pair.template(H2Pair.getFields(path: "/"), body: [])
        for slot in Int32(0)..<3 { _ = pair.client.submit(template, slot: slot) }
        try pair.pumpClientToServer()
        server.goAway(lastStreamID: 0, errorCode: 2 /* INTERNAL_ERROR */)
        try pair.pump()
        #expect(pair.delegate.goAways.map(\.lastStreamID) == [0])
        #expect(pair.delegate.goAways.map(\.errorCode) == [2])
        #expect(pair.delegate.closes.count == 3)
        #expect(pair.delegate.closes.values.allSatisfy { $0.errorCode == 7 && !$0.complete }, "\(pair.delegate.closes)")
        #expect(pair.client.submit(template, slot: 0) == 0)
    }

    // MARK: RST_STREAM

    @Test("RST_STREAM from the server: reset reported, the stream closes incomplete with the server's code",
          arguments: [UInt32(1) /* PROTOCOL_ERROR */, 2 /* INTERNAL_ERROR */, 7 /* REFUSED_STREAM */, 8 /* CANCEL */, 11 /* ENHANCE_YOUR_CALM */])
    func serverReset(code: UInt32) throws {
        let server = H2TestServer()
        server.onRequest = { server, streamID in
            if streamID == 3 { server.reset(streamID, errorCode: code) } else { server.respond(streamID, status: 200, body: Array("x".utf8)) }
        }
        let pair = try H2Pair(server: server)
        let template = pair.template(H2Pair.getFields(path: "/r"), body: [])
        for slot in Int32(0)..<3 { _ = pair.client.submit(template, slot: slot) }
        try pair.pump()
        #expect(pair.delegate.resets == 1, "sessionDidReceiveReset once")
        #expect(pair.delegate.closes[1]?.errorCode == code)
        #expect(pair.delegate.closes[1]?.complete == false)
        #expect(pair.delegate.statuses[1] == nil, "no status for the reset stream")
        #expect(pair.delegate.closes[0]?.complete == true && pair.delegate.closes[2]?.complete == true, "the others are unaffected")
        #expect(pair.delegate.closeCount == 3)
        #expect(pair.client.submit(template, slot: 1) == 7, "the session stays usable")
        try pair.pump()
        #expect(pair.delegate.closes[1]?.complete == true)
    }

    @Test("RST_STREAM after the response HEADERS: status seen, but the stream is not complete")
    func resetAfterHeaders() throws {
        let server = H2TestServer()
        server.onRequest = { server, streamID in server.respondHeaders(streamID, status: 200) }
        let pair = try H2Pair(server: server)
        _ = pair.client.submit(pair.template(H2Pair.getFields(path: "/"), body: []), slot: 0)
        try pair.pump()
        #expect(pair.delegate.statuses == [0: 200])
        #expect(pair.delegate.closes[0] == nil)
        server.reset(1, errorCode: 2)
        try pair.pump()
        #expect(pair.delegate.resets == 1)
        #expect(pair.delegate.closes[0]?.errorCode == 2)
        #expect(pair.delegate.closes[0]?.complete == false)
    }

    @Test("cancel(streamID) sends RST_STREAM CANCEL; the stream closes incomplete with code 8")
    func clientCancel() throws {
        let server = H2TestServer()
        let pair = try H2Pair(server: server)
        let id = pair.client.submit(pair.template(H2Pair.getFields(path: "/slow"), body: []), slot: 2)
        try pair.pump()
        pair.client.cancel(streamID: id)
        try pair.pump()
        #expect(server.closedStreams[id] == 8, "the server saw RST_STREAM CANCEL: \(server.closedStreams)")
        #expect(pair.delegate.closes[2]?.errorCode == 8)
        #expect(pair.delegate.closes[2]?.complete == false)
        #expect(pair.delegate.resets == 0, "our own reset is not one received")
    }

    // MARK: Protocol errors

    @Test("Garbage in place of the server's SETTINGS fails the session with an error: receive (or the produceOutput right after it) throws")
    func garbageBeforeSettings() throws {
        let delegate = H2RecordingDelegate()
        let client = try H2Session(slotCapacity: 4)
        client.delegate = delegate
        try client.produceOutput()
        client.consumeOutput(client.outputCount)
        let garbage = Array("\u{0}\u{0}\u{4}\u{7}garbage that is not HTTP/2 at all, not even a frame".utf8)
        #expect(H2SessionTests.failsWithError(client, garbage),
                "a connection-level protocol error must surface as a thrown H2Error (the worker fails the connection on it)")
        #expect(client.failure != nil, "failure records the reason")
        #expect(delegate.settingsReceived == 0)
    }

    @Test("A protocol violation after the handshake (DATA on stream 0) fails the session with an error; no stream is left open silently")
    func garbageAfterHandshake() throws {
        let server = H2TestServer()
        let pair = try H2Pair(server: server)
        _ = pair.client.submit(pair.template(H2Pair.getFields(path: "/held"), body: []), slot: 0)
        try pair.pump()
        #expect(server.requests.count == 1, "the server holds stream 1")
        // A DATA frame (type 0) with 4 bytes of payload on stream 0: a connection error (PROTOCOL_ERROR).
        let frame: [UInt8] = [0, 0, 4, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]
        let threw = H2SessionTests.failsWithError(pair.client, frame)
        #expect(threw, "a connection-level protocol error must surface as a thrown H2Error (the worker fails the connection on it)")
        #expect(pair.client.failure != nil, "failure records the reason")
        #expect(!pair.client.isAlive, "nghttp2 has ended the session (GOAWAY PROTOCOL_ERROR sent)")
        // Unless an error surfaced (the worker then fails the connection and its streams), stream 1 must be closed
        // somehow: nghttp2 ignores everything after the error, so the response and even our own RST_STREAM
        // never close it.
        server.respond(1, status: 200, body: [1])
        try? pair.client.receive(copying: try server.takeOutput())
        pair.client.cancel(streamID: 1)
        try? pair.client.produceOutput()
        #expect(threw || pair.delegate.closes[0] != nil,
                "stream 1 stays open forever on a dead session, with no error reported: \(pair.delegate.closes)")
    }

    /// Feeds `bytes`, then produces output as the worker does after every read; true when either threw.
    static func failsWithError(_ client: H2Session, _ bytes: [UInt8]) -> Bool {
        do {
            try client.receive(copying: bytes)
            try client.produceOutput()
            return false
        } catch {
            return true
        }
    }

    @Test("Whatever receive says about garbage, the session ends: it sends GOAWAY PROTOCOL_ERROR and stops reading")
    func garbageEndsSession() throws {
        let client = try H2Session(slotCapacity: 4)
        let delegate = H2RecordingDelegate()
        client.delegate = delegate
        try client.produceOutput()
        client.consumeOutput(client.outputCount)
        let garbage = Array("\u{0}\u{0}\u{4}\u{7}garbage".utf8)
        try? client.receive(copying: garbage)
        try? client.produceOutput()
        let out = Array(UnsafeRawBufferPointer(start: client.output, count: client.outputCount))
        // A GOAWAY frame: type 7, payload last-stream-id (4) + error code (4) = PROTOCOL_ERROR (1).
        let goAway = H2Frames.parse(out).first { $0.type == 7 }
        #expect(goAway != nil, "a GOAWAY went out: \(out)")
        if let goAway, goAway.payload.count >= 8 {
            #expect(Array(goAway.payload[4..<8]) == [0, 0, 0, 1], "its error code is PROTOCOL_ERROR")
        }
        client.consumeOutput(client.outputCount)
        #expect(!client.isAlive, "the session neither reads nor writes any more")
    }
}

// MARK: - The in-memory pair

/// The client `H2Session` and the test's server session, with the pump between them.
final class H2Pair {
    let client: H2Session
    let server: H2TestServer
    let delegate = H2RecordingDelegate()
    /// Templates live as long as the pair: nghttp2 reads their fields (NO_COPY) when it writes the HEADERS.
    private var templates: [H2Session.RequestTemplate] = []

    /// Makes the client, then runs the handshake (preface, both SETTINGS, both ACKs).
    init(server: H2TestServer, slotCapacity: Int = 16) throws {
        client = try H2Session(slotCapacity: slotCapacity)
        self.server = server
        client.delegate = delegate
        try pump()
    }

    func template(_ fields: [(String, String)], body: [UInt8]) -> H2Session.RequestTemplate {
        let template = try! H2Session.RequestTemplate(fields: fields, body: body)
        templates.append(template)
        return template
    }

    static func getFields(path: String) -> [(String, String)] {
        [(":method", "GET"), (":scheme", "http"), (":authority", "127.0.0.1:8080"), (":path", path),
         ("user-agent", "loadgen-test")]
    }

    static func postFields(bodyCount: Int) -> [(String, String)] {
        [(":method", "POST"), (":scheme", "http"), (":authority", "127.0.0.1:8080"), (":path", "/upload"),
         ("content-type", "application/octet-stream"), ("content-length", String(bodyCount))]
    }

    /// Client output into the server only.
    func pumpClientToServer() throws {
        try client.produceOutput()
        let count = client.outputCount
        if count > 0 {
            try server.receive(UnsafeRawBufferPointer(start: client.output, count: count))
            client.consumeOutput(count)
        }
    }

    /// Moves bytes both ways until neither side has anything to send; returns the rounds that moved bytes.
    @discardableResult
    func pump(maxRounds: Int = 100_000, sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
        for round in 0..<maxRounds {
            try client.produceOutput()
            let fromClient = client.outputCount
            if fromClient > 0 {
                try server.receive(UnsafeRawBufferPointer(start: client.output, count: fromClient))
                client.consumeOutput(fromClient)
            }
            let fromServer = try server.takeOutput()
            if !fromServer.isEmpty {
                try client.receive(copying: fromServer)
            }
            if fromClient == 0 && fromServer.isEmpty { return round }
        }
        throw H2TestError("the pump did not settle within \(maxRounds) rounds")
    }
}

extension H2Session {
    /// `receive` for an array (a copy, so no typed-throws closure goes through `withUnsafeBytes`, which
    /// crashed swiftc 6.3 in IRGen).
    func receive(copying bytes: [UInt8]) throws(H2Error) {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes.count), alignment: 1)
        defer { copy.deallocate() }
        copy.copyBytes(from: bytes)
        try receive(UnsafeRawBufferPointer(rebasing: copy[0..<bytes.count]))
    }
}

struct H2TestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Records every delegate call of an `H2Session`.
final class H2RecordingDelegate: H2SessionDelegate {
    struct Close: Equatable { var errorCode: UInt32; var complete: Bool }
    var sent: [(slot: Int32, headerBlockBytes: Int)] = []
    var statuses: [Int32: Int] = [:]
    var closes: [Int32: Close] = [:]
    var closeCount = 0
    var goAways: [(lastStreamID: Int32, errorCode: UInt32)] = []
    var settingsReceived = 0
    var resets = 0

    override func session(_ session: H2Session, didSendRequestOf slot: Int32, headerBlockBytes: Int) {
        sent.append((slot, headerBlockBytes))
    }
    override func session(_ session: H2Session, didReceiveStatus status: Int, of slot: Int32) { statuses[slot] = status }
    override func session(_ session: H2Session, didClose slot: Int32, errorCode: UInt32, complete: Bool) {
        closes[slot] = Close(errorCode: errorCode, complete: complete)
        closeCount += 1
    }
    override func session(_ session: H2Session, didReceiveGoAway lastStreamID: Int32, errorCode: UInt32) {
        goAways.append((lastStreamID, errorCode))
    }
    override func sessionDidReceiveSettings(_ session: H2Session) { settingsReceived += 1 }
    override func sessionDidReceiveReset(_ session: H2Session) { resets += 1 }
}

/// Splits bytes into HTTP/2 frames (for checking what a session wrote).
enum H2Frames {
    struct Frame { var type: UInt8; var flags: UInt8; var streamID: UInt32; var payload: [UInt8] }

    static func parse(_ bytes: [UInt8]) -> [Frame] {
        var frames: [Frame] = []
        var i = 0
        while i + 9 <= bytes.count {
            let length = Int(bytes[i]) << 16 | Int(bytes[i + 1]) << 8 | Int(bytes[i + 2])
            let streamID = (UInt32(bytes[i + 5]) << 24 | UInt32(bytes[i + 6]) << 16 | UInt32(bytes[i + 7]) << 8 | UInt32(bytes[i + 8])) & 0x7fff_ffff
            guard i + 9 + length <= bytes.count else { break }
            frames.append(Frame(type: bytes[i + 3], flags: bytes[i + 4], streamID: streamID, payload: Array(bytes[(i + 9)..<(i + 9 + length)])))
            i += 9 + length
        }
        return frames
    }
}

// MARK: - The server side

/// An nghttp2 server session for the tests: records requests (headers, body, DATA frame sizes) and calls
/// `onRequest` when one has ended; the test answers, resets or sends GOAWAY through the methods below.
final class H2TestServer {
    struct Request {
        var headers: [(String, String)] = []
        var body: [UInt8] = []
        var dataFrameLengths: [Int] = []
        var ended = false
        func header(_ name: String) -> String? { headers.first { $0.0 == name }?.1 }
    }

    private var session: OpaquePointer?
    private var output: [UInt8] = []
    private(set) var requests: [Int32: Request] = [:]
    private(set) var closedStreams: [Int32: UInt32] = [:]
    private(set) var receivedFrameTypes: [UInt8] = []
    /// Response body bytes handed to nghttp2, per stream.
    private(set) var responseBytesSent: [Int32: Int] = [:]
    private var responseBodies: [Int32: [UInt8]] = [:]
    var onRequest: ((H2TestServer, Int32) -> Void)?

    init(settings: [(nghttp2_settings_id, UInt32)] = []) {
        var callbacks: OpaquePointer?
        nghttp2_session_callbacks_new(&callbacks)
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_send_callback(callbacks) { _, data, length, _, user in
            H2TestServer.from(user).output.append(contentsOf: UnsafeBufferPointer(start: data, count: length))
            return length
        }
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks) { _, frame, user in
            let server = H2TestServer.from(user)
            let id = frame!.pointee.hd.stream_id
            if server.requests[id] == nil { server.requests[id] = Request() }
            return 0
        }
        nghttp2_session_callbacks_set_on_header_callback(callbacks) { _, frame, name, nameLength, value, valueLength, _, user in
            let server = H2TestServer.from(user)
            let id = frame!.pointee.hd.stream_id
            let n = String(decoding: UnsafeBufferPointer(start: name, count: nameLength), as: UTF8.self)
            let v = String(decoding: UnsafeBufferPointer(start: value, count: valueLength), as: UTF8.self)
            server.requests[id, default: Request()].headers.append((n, v))
            return 0
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) { _, _, streamID, data, length, user in
            H2TestServer.from(user).requests[streamID, default: Request()].body.append(contentsOf: UnsafeBufferPointer(start: data, count: length))
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, user in
            H2TestServer.from(user).didReceive(frame!)
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, streamID, errorCode, user in
            H2TestServer.from(user).closedStreams[streamID] = errorCode
            return 0
        }
        var session: OpaquePointer?
        let rc = nghttp2_session_server_new(&session, callbacks, Unmanaged.passUnretained(self).toOpaque())
        precondition(rc == 0, "nghttp2_session_server_new: \(rc)")
        self.session = session
        submitSettings(settings)
    }

    deinit { nghttp2_session_del(session) }

    private static func from(_ user: UnsafeMutableRawPointer?) -> H2TestServer {
        Unmanaged<H2TestServer>.fromOpaque(user!).takeUnretainedValue()
    }

    private func didReceive(_ frame: UnsafePointer<nghttp2_frame>) -> Int32 {
        let hd = frame.pointee.hd
        receivedFrameTypes.append(hd.type)
        let isHeaders = hd.type == UInt8(NGHTTP2_HEADERS.rawValue), isData = hd.type == UInt8(NGHTTP2_DATA.rawValue)
        if isData { requests[hd.stream_id, default: Request()].dataFrameLengths.append(hd.length) }
        if (isHeaders || isData) && hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0 {
            requests[hd.stream_id, default: Request()].ended = true
            onRequest?(self, hd.stream_id)
        }
        return 0
    }

    func forgetReceivedFrames() { receivedFrameTypes.removeAll() }

    func submitSettings(_ settings: [(nghttp2_settings_id, UInt32)]) {
        var entries = settings.map { nghttp2_settings_entry(settings_id: Int32($0.0.rawValue), value: $0.1) }
        let rc = nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &entries, entries.count)
        precondition(rc == 0, "nghttp2_submit_settings: \(rc)")
    }

    /// The client's setting as the server received it.
    func remoteSetting(_ id: nghttp2_settings_id) -> UInt32 { nghttp2_session_get_remote_settings(session, id) }

    /// The connection-level window the client granted.
    var remoteConnectionWindow: Int { Int(nghttp2_session_get_remote_window_size(session)) }

    func receive(_ bytes: UnsafeRawBufferPointer) throws {
        let rc = nghttp2_session_mem_recv(session, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count)
        if rc < 0 { throw H2TestError("server mem_recv: \(String(cString: nghttp2_strerror(Int32(rc))))") }
    }

    /// Runs the server's session_send and returns what it wrote.
    func takeOutput() throws -> [UInt8] {
        let rc = nghttp2_session_send(session)
        if rc < 0 { throw H2TestError("server session_send: \(String(cString: nghttp2_strerror(rc)))") }
        defer { output.removeAll(keepingCapacity: true) }
        return output
    }

    private func withFields<R>(_ pairs: [(String, String)], _ body: (UnsafePointer<nghttp2_nv>, Int) -> R) -> R {
        // nghttp2 copies names and values (no NO_COPY flags), so they need to live only for the call.
        let copies = pairs.map { (strdup($0.0)!, strdup($0.1)!, $0.0.utf8.count, $0.1.utf8.count) }
        defer { for c in copies { free(c.0); free(c.1) } }
        let nva = copies.map { c in
            nghttp2_nv(name: UnsafeMutableRawPointer(c.0).assumingMemoryBound(to: UInt8.self),
                       value: UnsafeMutableRawPointer(c.1).assumingMemoryBound(to: UInt8.self),
                       namelen: c.2, valuelen: c.3, flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
        }
        return nva.withUnsafeBufferPointer { body($0.baseAddress!, $0.count) }
    }

    /// A complete response: HEADERS, and DATA with END_STREAM when there is a body.
    func respond(_ streamID: Int32, status: Int, body: [UInt8]) {
        var fields = [(":status", String(status))]
        if status != 204 { fields.append(("content-length", String(body.count))) }
        if body.isEmpty {
            let rc = withFields(fields) { nghttp2_submit_response(session, streamID, $0, $1, nil) }
            precondition(rc == 0, "nghttp2_submit_response: \(rc)")
            return
        }
        responseBodies[streamID] = body
        responseBytesSent[streamID] = 0
        var provider = dataProvider(streamID)
        let rc = withFields(fields) { nghttp2_submit_response(session, streamID, $0, $1, &provider) }
        precondition(rc == 0, "nghttp2_submit_response: \(rc)")
    }

    /// Response HEADERS without END_STREAM; the body follows with `sendBody`.
    func respondHeaders(_ streamID: Int32, status: Int) {
        let rc = withFields([(":status", String(status))]) {
            nghttp2_submit_headers(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, nil, $0, $1, nil)
        }
        precondition(rc >= 0, "nghttp2_submit_headers: \(rc)")
    }

    /// DATA frames ending the stream.
    func sendBody(_ streamID: Int32, _ body: [UInt8]) {
        responseBodies[streamID] = body
        responseBytesSent[streamID] = 0
        var provider = dataProvider(streamID)
        let rc = nghttp2_submit_data(session, UInt8(NGHTTP2_FLAG_END_STREAM.rawValue), streamID, &provider)
        precondition(rc == 0, "nghttp2_submit_data: \(rc)")
    }

    private func dataProvider(_ streamID: Int32) -> nghttp2_data_provider {
        var provider = nghttp2_data_provider()
        provider.source.ptr = UnsafeMutableRawPointer(bitPattern: Int(streamID))
        provider.read_callback = { _, streamID, buffer, length, flags, _, user in
            let server = H2TestServer.from(user)
            let body = server.responseBodies[streamID] ?? []
            let offset = server.responseBytesSent[streamID] ?? 0
            let n = min(length, body.count - offset)
            body.withUnsafeBytes { UnsafeMutableRawPointer(buffer!).copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
            server.responseBytesSent[streamID] = offset + n
            if offset + n >= body.count { flags!.pointee |= UInt32(NGHTTP2_DATA_FLAG_EOF.rawValue) }
            return n
        }
        return provider
    }

    func reset(_ streamID: Int32, errorCode: UInt32) {
        let rc = nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, errorCode)
        precondition(rc == 0, "nghttp2_submit_rst_stream: \(rc)")
    }

    func goAway(lastStreamID: Int32, errorCode: UInt32) {
        let rc = nghttp2_submit_goaway(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), lastStreamID, errorCode, nil, 0)
        precondition(rc == 0, "nghttp2_submit_goaway: \(rc)")
    }
}
