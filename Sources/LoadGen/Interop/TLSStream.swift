/// TLS over one `TCPStream`: the `TLSEngine` of the connection, the loop's shared plaintext buffer, and what the
/// handshake took. The TCP stream owns it (`TCPStream.tls`, set before `connect`) and drives it on the loop
/// thread (`TCPStream+TLS`): the handshake starts when TCP connects, every read is fed to the engine and
/// decrypted into `plaintext`, every write is encrypted with exactly one `SSL_write` and its ciphertext goes out
/// with one socket write in flight at a time. Nothing is allocated per request.
final class TLSStream {
    let engine: TLSEngine
    /// Decrypted bytes are handed to the delegate from here; shared by the loop's TLS streams (one read at a time).
    let plaintext: ReadBuffer
    /// When the ClientHello was produced, and how long the handshake took (0 until it completed).
    var startNanos: UInt64 = 0
    var handshakeNanos: UInt64 = 0
    /// A caller's `write` returned false and is owed `streamDidDrain` once its ciphertext has gone out.
    var drainOwed = false

    init(context: TLSContext, host: String, plaintext: ReadBuffer) throws(TLSConfigError) {
        engine = try TLSEngine(context: context, host: host)
        self.plaintext = plaintext
    }

    /// What the handshake agreed on, once complete.
    var summary: TLSHandshakeSummary {
        TLSHandshakeSummary(version: engine.negotiatedProtocol, cipher: engine.cipher ?? "", alpn: engine.alpnProtocol,
                            resumed: engine.isResumed, nanos: handshakeNanos)
    }
}
