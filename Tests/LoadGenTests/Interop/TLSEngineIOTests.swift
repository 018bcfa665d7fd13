import COpenSSL
import Testing
@testable import LoadGen

/// `TLSEngine` after the handshake: one SSL_write per request, large transfers, resumption, client certificates.
@Suite struct TLSEngineIOTests {
    static func connected(_ settings: TLSSettings = TLSSettings(insecure: true), server: TLSTestServerContext? = nil) throws -> TLSPair {
        let pair = try TLSPair(settings: settings, server: server ?? TLSEngineTests.server())
        try pair.pump()
        #expect(pair.client.isHandshakeComplete)
        return pair
    }

    @Test("Each write is one SSL_write whose ciphertext is one application-data record, taken in one chunk",
          arguments: [TLSVersion.tls12, .tls13])
    func oneSSLWritePerRequest(version: TLSVersion) throws {
        let pair = try Self.connected(TLSSettings(insecure: true, maxVersion: version))
        let requests = ["GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", "GET /a HTTP/1.1\r\nHost: localhost\r\n\r\n",
                        String(repeating: "x", count: 9000)]
        for (i, request) in requests.enumerated() {
            let chunksBefore = pair.clientChunks.count
            try pair.clientWrites(Array(request.utf8))
            #expect(pair.client.sslWriteCalls == i + 1)
            #expect(pair.clientChunks.count == chunksBefore + 1, "one output chunk per request")
            let records = TLSPair.records(in: pair.clientChunks.last ?? [])
            // TLS 1.3 hides the type: every record after the handshake is application_data (23) on the wire.
            #expect(records.map(\.type) == [23], "one record per request: \(records)")
            #expect(records.first.map { $0.length > request.utf8.count } == true, "the record carries the whole request")
        }
        #expect(pair.server.received == Array(requests.joined().utf8), "the server got every byte, in order")
        #expect(pair.server.readCalls == requests.count, "one record per request, read once each")
    }

    @Test("64 KiB each way: one SSL_write of four 16 KiB records, read back into a 16 KiB buffer, byte for byte",
          arguments: [TLSVersion.tls12, .tls13])
    func largeRoundTrip(version: TLSVersion) throws {
        let pair = try Self.connected(TLSSettings(insecure: true, maxVersion: version))
        var random = SplitMix64(state: 42)
        let upload = (0..<65_536).map { _ in UInt8.random(in: 0...255, using: &random) }
        try pair.clientWrites(upload)
        #expect(pair.client.sslWriteCalls == 1)
        #expect(TLSPair.records(in: pair.clientChunks.last ?? []).map(\.type) == [23, 23, 23, 23])
        #expect(pair.server.received == upload)

        let download = upload.reversed() as [UInt8]
        pair.server.write(download)
        try pair.pump()
        #expect(pair.clientReceived.count == download.count)
        #expect(pair.clientReceived == download)
    }

    @Test("Partial writes are off in the context: SSL_write never returns after part of a request")
    func partialWritesOff() throws {
        let context = try TLSContext(settings: TLSSettings())
        #expect(COpenSSL_SSL_CTX_get_mode(context.raw) & Int(SSL_MODE_ENABLE_PARTIAL_WRITE) == 0)
    }

    @Test("The output buffer is reused: taking it again without new ciphertext returns nothing")
    func outputTaken() throws {
        let pair = try Self.connected()
        #expect(!pair.client.hasOutput)
        #expect(pair.client.takeOutput().isEmpty)
        try Array("ping".utf8).withUnsafeBytes { try pair.client.write($0) }
        #expect(pair.client.hasOutput)
        let first = pair.client.takeOutput()
        #expect(first.count > 4)
        #expect(pair.client.takeOutput().isEmpty && !pair.client.hasOutput)
    }

    // MARK: Resumption

    /// Two connections from one client context to one server context; returns the second (and the context).
    static func reconnect(_ settings: TLSSettings) throws -> (first: TLSPair, second: TLSPair, context: TLSContext) {
        let server = try TLSEngineTests.server()
        let context = try TLSContext(settings: settings)
        let first = try TLSPair(context: context, server: server)
        try first.pump()
        // An HTTP-like exchange, so that TLS 1.3 tickets (sent after the handshake) are read like a response.
        try first.clientWrites(Array("GET / HTTP/1.1\r\n\r\n".utf8))
        first.server.write(Array("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n".utf8))
        try first.pump()
        let second = try TLSPair(context: context, server: server)
        try second.pump()
        return (first, second, context)
    }

    @Test("Resumption: a second connection from the same context resumes (TLS 1.2 and 1.3)",
          arguments: [TLSVersion.tls12, .tls13])
    func resumes(version: TLSVersion) throws {
        let (first, second, context) = try Self.reconnect(TLSEngineTests.trusting(TLSSettings(maxVersion: version)))
        #expect(!first.client.isResumed)
        #expect(context.storedSessionCount == 1, "the session is kept per host")
        #expect(second.client.offeredSession)
        #expect(second.client.isResumed, "the client reports the abbreviated handshake")
        #expect(second.server.isResumed, "and the server agrees")
        #expect(second.client.negotiatedVersion == version)
    }

    @Test("--no-tls-resume: no session kept or offered, every handshake full", arguments: [TLSVersion.tls12, .tls13])
    func noResume(version: TLSVersion) throws {
        let (_, second, context) = try Self.reconnect(TLSSettings(insecure: true, maxVersion: version, resume: false))
        #expect(context.storedSessionCount == 0)
        #expect(!second.client.offeredSession && !second.client.isResumed && !second.server.isResumed)
    }

    @Test("Sessions are per host: a session of localhost is not offered to 127.0.0.1")
    func sessionsPerHost() throws {
        let (_, _, context) = try Self.reconnect(TLSSettings(insecure: true))
        let other = try TLSEngine(context: context, host: "127.0.0.1")
        #expect(!other.offeredSession)
    }

    @Test("Sessions stay resumable after their connections are freed, with or without the server's close_notify",
          arguments: [TLSVersion.tls12, .tls13])
    func resumesAfterClose(version: TLSVersion) throws {
        let server = try TLSEngineTests.server()
        let context = try TLSContext(settings: TLSSettings(insecure: true, maxVersion: version))
        var resumed: [Bool] = []
        for i in 0..<4 {
            let pair = try TLSPair(context: context, server: server)
            try pair.pump()
            try pair.clientWrites(Array("GET / HTTP/1.1\r\n\r\n".utf8))
            pair.server.write(Array("HTTP/1.1 204 No Content\r\n\r\n".utf8))
            if i % 2 == 0 { pair.server.shutdown() }
            try pair.pump()
            if i % 2 == 1 {
                pair.client.endOfInput()
                pair.drainClient()
            }
            #expect(pair.clientClosed == .closed(cleanly: i % 2 == 0))
            resumed.append(pair.client.isResumed)
        }
        #expect(resumed == [false, true, true, true], "each connection freed before the next one starts")
    }

    @Test("One context shared by four threads: concurrent handshakes store and resume sessions safely")
    func sharedAcrossThreads() async throws {
        let server = try TLSEngineTests.server()
        let context = try TLSContext(settings: TLSSettings(insecure: true))
        let resumed = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var count = 0
                    for _ in 0..<10 {
                        let pair = try TLSPair(context: context, server: server)
                        try pair.pump()
                        try pair.clientWrites(Array("GET / HTTP/1.1\r\n\r\n".utf8))
                        pair.server.write(Array("HTTP/1.1 204 No Content\r\n\r\n".utf8))
                        try pair.pump()
                        if pair.client.isResumed { count += 1 }
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(resumed >= 36, "all but each task's first connection may resume: \(resumed) of 40")
        #expect(context.storedSessionCount == 1)
    }

    // MARK: Client certificates

    @Test("--cert/--key: the server requiring a client certificate sees it (TLS 1.2, 1.3; key in the cert's file)",
          arguments: [TLSVersion.tls12, .tls13])
    func clientCertificate(version: TLSVersion) throws {
        let certificates = try TLSCertificates.shared()
        let server = try TLSEngineTests.server(clientCA: certificates.caCert)
        let separate = TLSSettings(insecure: true, certFile: certificates.clientCert, keyFile: certificates.clientKey,
                                   maxVersion: version)
        let bundled = TLSSettings(insecure: true, certFile: certificates.clientBundle, maxVersion: version)
        for settings in [separate, bundled] {
            let pair = try Self.connected(settings, server: server)
            try pair.clientWrites(Array("hello".utf8))
            #expect(pair.server.failure == nil)
            #expect(pair.server.clientCommonName == TLSCertificates.clientCommonName)
            #expect(pair.server.received == Array("hello".utf8))
            #expect(pair.clientReadFailure == nil)
        }
    }
}
