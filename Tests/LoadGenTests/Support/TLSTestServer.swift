import COpenSSL
@testable import LoadGen

/// A server-side OpenSSL context for in-memory TLS tests: a certificate and key, a version range, the ALPN
/// protocols it accepts, and optionally client certificates it requires. Sessions (TLS 1.2 IDs and tickets,
/// TLS 1.3 tickets) resume across the connections made from one context. Immutable after init, and OpenSSL's
/// server contexts are thread-safe, so connections may be made from several threads.
final class TLSTestServerContext: @unchecked Sendable {
    let raw: OpaquePointer
    /// Accepted ALPN protocols in the server's order of preference; nil: no ALPN callback (selects nothing).
    let alpn: [String]?
    /// When the client offers none of `alpn`: fail with no_application_protocol (true) or select nothing.
    let alpnStrict: Bool

    init(cert: String, key: String, minVersion: Int32 = TLS1_2_VERSION, maxVersion: Int32 = 0,
         alpn: [String]? = nil, alpnStrict: Bool = false, requireClientCertificateFrom clientCA: String? = nil) throws {
        guard let context = SSL_CTX_new(TLS_server_method()) else { throw FixtureError("SSL_CTX_new failed") }
        raw = context
        self.alpn = alpn
        self.alpnStrict = alpnStrict
        guard SSL_CTX_use_certificate_chain_file(context, cert) == 1,
              SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) == 1,
              COpenSSL_SSL_CTX_set_min_proto_version(context, minVersion) == 1,
              COpenSSL_SSL_CTX_set_max_proto_version(context, maxVersion) == 1 else {
            throw FixtureError("test server context: " + OpenSSLErrorQueue.drain().text(or: "?"))
        }
        let sessionContext: [UInt8] = Array("loadgen-tests".utf8)
        SSL_CTX_set_session_id_context(context, sessionContext, UInt32(sessionContext.count))
        if let clientCA {
            guard SSL_CTX_load_verify_locations(context, clientCA, nil) == 1 else { throw FixtureError("client CA") }
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
        }
        if alpn != nil {
            SSL_CTX_set_alpn_select_cb(context, { _, out, outLength, offered, offeredLength, arg in
                let server = Unmanaged<TLSTestServerContext>.fromOpaque(arg!).takeUnretainedValue()
                return server.selectALPN(out!, outLength!, offered!, Int(offeredLength))
            }, Unmanaged.passUnretained(self).toOpaque())
        }
    }

    deinit { SSL_CTX_free(raw) }

    /// Picks the first of `alpn` that the client's list (wire format, bounds-checked) contains.
    private func selectALPN(_ out: UnsafeMutablePointer<UnsafePointer<UInt8>?>, _ outLength: UnsafeMutablePointer<UInt8>,
                            _ offered: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
        for wanted in alpn ?? [] {
            var index = 0
            while index < count {
                let length = Int(offered[index])
                guard index + 1 + length <= count else { break }
                let name = String(decoding: UnsafeBufferPointer(start: offered + index + 1, count: length), as: UTF8.self)
                if name == wanted {
                    out.pointee = offered + index + 1
                    outLength.pointee = UInt8(length)
                    return SSL_TLSEXT_ERR_OK
                }
                index += 1 + length
            }
        }
        return alpnStrict ? SSL_TLSEXT_ERR_ALERT_FATAL : SSL_TLSEXT_ERR_NOACK
    }
}

/// One server connection between memory BIOs: ciphertext in with `feed`, out with `takeOutput`; `step()` runs
/// the handshake and then reads every plaintext byte into `received`.
final class TLSTestServerConnection {
    let context: TLSTestServerContext
    let ssl: OpaquePointer
    private let readBIO: OpaquePointer
    private let writeBIO: OpaquePointer
    private(set) var isHandshakeComplete = false
    /// OpenSSL's reason when the server side failed.
    private(set) var failure: String?
    private(set) var received: [UInt8] = []
    /// SSL_read calls that returned bytes.
    private(set) var readCalls = 0

    init(context: TLSTestServerContext) {
        self.context = context
        ssl = SSL_new(context.raw)!
        readBIO = BIO_new(BIO_s_mem())!
        writeBIO = BIO_new(BIO_s_mem())!
        COpenSSL_BIO_set_mem_eof_return(readBIO, -1)
        SSL_set_bio(ssl, readBIO, writeBIO)
        SSL_set_accept_state(ssl)
    }

    deinit { SSL_free(ssl) }

    func feed(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        precondition(BIO_write(readBIO, bytes.baseAddress, Int32(bytes.count)) == Int32(bytes.count))
    }

    func takeOutput() -> [UInt8] {
        let pending = Int(COpenSSL_BIO_pending(writeBIO))
        guard pending > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: pending)
        let count = bytes.withUnsafeMutableBytes { BIO_read(writeBIO, $0.baseAddress, Int32(pending)) }
        return Array(bytes.prefix(Int(max(0, count))))
    }

    func step() {
        guard failure == nil else { return }
        OpenSSLErrorQueue.clear()
        if !isHandshakeComplete {
            let rc = SSL_do_handshake(ssl)
            if rc != 1 {
                noteFailure(rc)
                return
            }
            isHandshakeComplete = true
        }
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
            guard n > 0 else {
                noteFailure(n)
                return
            }
            readCalls += 1
            received += buffer.prefix(Int(n))
        }
    }

    private func noteFailure(_ rc: Int32) {
        let error = SSL_get_error(ssl, rc)
        if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_ZERO_RETURN { return }
        failure = OpenSSLErrorQueue.drain().text(or: "SSL error \(error)")
    }

    func write(_ bytes: [UInt8]) {
        let n = bytes.withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32($0.count)) }
        precondition(n == Int32(bytes.count), "test server SSL_write: \(n)")
    }

    /// Queues a close_notify.
    func shutdown() { _ = SSL_shutdown(ssl) }

    var serverName: String? {
        SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name).map { String(cString: $0) }
    }

    var isResumed: Bool { SSL_session_reused(ssl) == 1 }

    /// The common name of the client's certificate, if it sent one.
    var clientCommonName: String? {
        guard let certificate = SSL_get1_peer_certificate(ssl) else { return nil }
        defer { X509_free(certificate) }
        var name = [CChar](repeating: 0, count: 256)
        let length = X509_NAME_get_text_by_NID(X509_get_subject_name(certificate), NID_commonName, &name, Int32(name.count))
        return length > 0 ? String(decoding: name.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self) : nil
    }
}
