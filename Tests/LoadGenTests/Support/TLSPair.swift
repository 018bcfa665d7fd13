import COpenSSL
@testable import LoadGen

/// A client `TLSEngine` wired back to back with a `TLSTestServerConnection` in memory: `pump()` moves the
/// client's output to the server and the server's output to the client, stepping both, until nothing moves.
/// After the client's handshake, every plaintext byte it reads lands in `clientReceived`.
final class TLSPair {
    let client: TLSEngine
    let server: TLSTestServerConnection
    /// Each chunk of ciphertext the client sent, in order, as `takeOutput` returned it.
    private(set) var clientChunks: [[UInt8]] = []
    private(set) var clientReceived: [UInt8] = []
    /// How the client's reads ended, if they did: closed, or a failure (an alert after the handshake).
    private(set) var clientClosed: TLSEngine.ReadResult?
    private(set) var clientReadFailure: TLSFailure?
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 16 * 1024, alignment: 16)

    init(client: TLSEngine, server: TLSTestServerConnection) {
        self.client = client
        self.server = server
    }

    deinit { scratch.deallocate() }

    convenience init(settings: TLSSettings, host: String = "localhost", server: TLSTestServerContext) throws {
        try self.init(context: TLSContext(settings: settings), host: host, server: server)
    }

    convenience init(context: TLSContext, host: String = "localhost", server: TLSTestServerContext) throws {
        try self.init(client: TLSEngine(context: context, host: host), server: TLSTestServerConnection(context: server))
    }

    /// Runs until quiet; throws the client's handshake failure (after sending its alert to the server).
    func pump(rounds: Int = 100) throws(TLSFailure) {
        for _ in 0..<rounds {
            var moved = false
            var failure: TLSFailure?
            if !client.isHandshakeComplete {
                do { _ = try client.handshake() } catch { failure = error }
            }
            if client.isHandshakeComplete { drainClient() }
            moved = sendClientOutput() || moved
            server.step()
            let back = server.takeOutput()
            if !back.isEmpty {
                back.withUnsafeBytes { client.feed($0) }
                moved = true
            }
            if let failure { throw failure }
            if !moved { return }
        }
    }

    @discardableResult
    func sendClientOutput() -> Bool {
        let output = client.takeOutput()
        guard !output.isEmpty else { return false }
        clientChunks.append(Array(output))
        server.feed(output)
        return true
    }

    /// Reads the client's plaintext until it wants more input.
    func drainClient() {
        guard clientClosed == nil, clientReadFailure == nil else { return }
        while true {
            do {
                let result = try client.read(into: scratch)
                switch result {
                case .bytes(let count): clientReceived += scratch.prefix(count)
                case .wantRead: return
                case .closed: clientClosed = result; return
                }
            } catch {
                clientReadFailure = error
                return
            }
        }
    }

    /// The client writes `bytes` (one `write`), and the pair runs until quiet.
    func clientWrites(_ bytes: [UInt8]) throws(TLSFailure) {
        let plaintext = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes.count), alignment: 16)
        defer { plaintext.deallocate() }
        plaintext.copyBytes(from: bytes)
        try client.write(UnsafeRawBufferPointer(rebasing: plaintext.prefix(bytes.count)))
        try pump()
    }

    /// The TLS records in `bytes`: (content type, length), reading each 5-byte header.
    static func records(in bytes: [UInt8]) -> [(type: UInt8, length: Int)] {
        var records: [(type: UInt8, length: Int)] = []
        var index = 0
        while index + 5 <= bytes.count {
            let length = Int(bytes[index + 3]) << 8 | Int(bytes[index + 4])
            records.append((bytes[index], length))
            index += 5 + length
        }
        return records
    }
}
