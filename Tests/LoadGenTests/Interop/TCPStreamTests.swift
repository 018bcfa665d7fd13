import Glibc
import Testing
@testable import LoadGen

/// `TCPStream.close()` while a connect is still unreported: whether the kernel had already completed the
/// handshake decides whether the connection counts as opened (the server accepted it either way). Runs on the
/// host's loopback only, against a listening socket the test opens itself.
@Suite struct TCPStreamTests {
    private final class Quiet: TCPStreamDelegate {
        var connected = 0
        func streamDidConnect(_ stream: TCPStream) { connected += 1 }
        func stream(_ stream: TCPStream, didFailToConnect error: UVError) {}
        func stream(_ stream: TCPStream, didRead bytes: UnsafeRawBufferPointer) {}
        func stream(_ stream: TCPStream, didEndWith error: UVError?) {}
        func stream(_ stream: TCPStream, didWrite error: UVError?) {}
        func streamDidDrain(_ stream: TCPStream) {}
        func streamDidFinishHandshake(_ stream: TCPStream) {}
        func stream(_ stream: TCPStream, didFailTLS failure: TLSFailure) {}
    }

    /// A TCP socket on 127.0.0.1 at a free port; listening when `listen` is true, else only bound (nothing
    /// accepts, so connects to it are refused). Returns the descriptor and the port.
    private func socketOnLoopback(listen: Bool) throws -> (Int32, UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        try #require(bound)
        if listen { try #require(Glibc.listen(fd, 16) == 0) }
        return (fd, UInt16(bigEndian: address.sin_port))
    }

    /// Starts a connect to `port` and closes the stream after `wait` without running the loop, so libuv never
    /// delivers the connect callback. Returns what `close()` said.
    private func closeBeforeConnectReported(port: UInt16) throws -> Bool {
        let loop = try Loop()
        let delegate = Quiet()
        let stream = try TCPStream(loop: loop, tag: 0, readBuffer: ReadBuffer(size: 4096), delegate: delegate)
        try stream.connect(to: Endpoint(host: "127.0.0.1", port: port))
        usleep(50_000)  // loopback handshakes finish inside the kernel at once; give it ample time anyway
        let established = stream.close()
        loop.run()
        loop.close()
        #expect(delegate.connected == 0, "the loop never ran before the close, so no connect was reported")
        return established
    }

    @Test("closed before libuv reported the connect: true when the server's kernel had completed the handshake")
    func establishedButUnreported() throws {
        let (listener, port) = try socketOnLoopback(listen: true)
        defer { Glibc.close(listener) }
        #expect(try closeBeforeConnectReported(port: port))
    }

    @Test("closed before the connect was reported, nobody listening (refused): false")
    func refusedAndUnreported() throws {
        let (bound, port) = try socketOnLoopback(listen: false)
        defer { Glibc.close(bound) }
        #expect(try !closeBeforeConnectReported(port: port))
    }

    @Test("a stream that never connected, and a second close: false")
    func neverConnected() throws {
        let loop = try Loop()
        let delegate = Quiet()  // the stream does not retain its delegate
        let stream = try TCPStream(loop: loop, tag: 0, readBuffer: ReadBuffer(size: 4096), delegate: delegate)
        #expect(!stream.close())
        #expect(!stream.close())
        loop.run()
        loop.close()
        #expect(delegate.connected == 0)
    }
}
