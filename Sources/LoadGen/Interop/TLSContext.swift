import COpenSSL
import Glibc
import Synchronization

/// The client side of TLS for one run: one OpenSSL `SSL_CTX` built from `TLSSettings`, shared by every
/// connection of every loop thread (creating `SSL`s from a configured context is thread-safe in OpenSSL 3; the
/// session store is behind a lock). Every configuration mistake is found here, before any connection, and
/// thrown as a `TLSConfigError` naming its flag. Freed (with its sessions) when the last `TLSEngine` using it goes.
///
/// Verification is curl's default: the system CA store (or `--cacert`), `SSL_VERIFY_PEER` (unless
/// `--insecure`), and per connection the URL's host checked against the certificate (`TLSEngine`).
/// Resumption: the last resumable session per host, kept from OpenSSL's new-session callback (TLS 1.3 tickets
/// arrive after the handshake, while the connection reads), offered to new connections when `resume` is on.
final class TLSContext: @unchecked Sendable {
    let settings: TLSSettings
    /// The `SSL_CTX`; immutable after init.
    let raw: OpaquePointer
    /// The newest resumable session per host, as `SSL_SESSION *` bit patterns (sendable across the lock). Each
    /// holds one reference, freed on replacement and in deinit.
    private let sessions = Mutex<[String: UInt]>([:])

    init(settings: TLSSettings) throws(TLSConfigError) {
        try settings.validate()
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            throw TLSConfigError(flag: "tls", message: "OpenSSL could not create a TLS context: " +
                                     OpenSSLErrorQueue.drain().text(or: "out of memory"))
        }
        do {
            try TLSContext.configure(context, settings)
        } catch {
            SSL_CTX_free(context)
            throw error
        }
        self.settings = settings
        raw = context
        if settings.resume {
            _ = COpenSSL_SSL_CTX_set_session_cache_mode(raw, Int(SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE))
            SSL_CTX_sess_set_new_cb(raw) { ssl, session in
                guard let ssl, let session, let engine = SSL_get_ex_data(ssl, 0) else { return 0 }
                return Unmanaged<TLSEngine>.fromOpaque(engine).takeUnretainedValue().didReceive(session: session) ? 1 : 0
            }
        } else {
            _ = COpenSSL_SSL_CTX_set_session_cache_mode(raw, Int(SSL_SESS_CACHE_OFF))
        }
    }

    deinit {
        sessions.withLock { stored in
            for session in stored.values { SSL_SESSION_free(OpaquePointer(bitPattern: session)) }
            stored.removeAll()
        }
        SSL_CTX_free(raw)
    }

    // MARK: Sessions

    /// Keeps `session` (taking over the caller's reference) as the one to resume with `host`, when it is
    /// resumable. Returns false when it was not kept (the caller keeps its reference).
    func store(_ session: OpaquePointer, for host: String) -> Bool {
        guard SSL_SESSION_is_resumable(session) == 1 else { return false }
        let bits = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(session)))
        let replaced: UInt? = sessions.withLock { stored in
            let old = stored[host]
            stored[host] = bits
            return old
        }
        if let replaced { SSL_SESSION_free(OpaquePointer(bitPattern: replaced)) }
        return true
    }

    /// Sets the last session stored for `host`, if any, on `ssl` (which takes its own reference). Returns
    /// whether a session was offered.
    func offerSession(for host: String, to ssl: OpaquePointer) -> Bool {
        sessions.withLock { stored in
            guard let session = stored[host] else { return false }
            return SSL_set_session(ssl, OpaquePointer(bitPattern: session)) == 1
        }
    }

    /// How many hosts have a session stored (tests, reports).
    var storedSessionCount: Int { sessions.withLock { $0.count } }

    // MARK: Configuration

    private static func configure(_ context: OpaquePointer, _ settings: TLSSettings) throws(TLSConfigError) {
        try setVersions(context, settings)
        try setVerification(context, settings)
        try setClientCertificate(context, settings)
        try setCiphers(context, settings)
        let alpn = settings.alpnWireFormat
        if !alpn.isEmpty && SSL_CTX_set_alpn_protos(context, alpn, UInt32(alpn.count)) != 0 {
            throw TLSConfigError(flag: "tls", message: "OpenSSL refused the ALPN list \(settings.alpn)")
        }
        // SSL_MODE_ENABLE_PARTIAL_WRITE stays off (OpenSSL's default): one SSL_write takes a whole request, and
        // the write BIO is a growing memory BIO, so it never has to stop half way (see TLSEngine.write).
        COpenSSL_SSL_CTX_refuse_renegotiation(context)
    }

    private static func protocolVersion(_ version: TLSVersion) -> Int32 {
        switch version {
        case .tls12: TLS1_2_VERSION
        case .tls13: TLS1_3_VERSION
        }
    }

    private static func setVersions(_ context: OpaquePointer, _ settings: TLSSettings) throws(TLSConfigError) {
        let minimum = protocolVersion(settings.minVersion ?? .tls12)
        // 0: the highest version this OpenSSL supports.
        let maximum = settings.maxVersion.map(protocolVersion) ?? 0
        guard COpenSSL_SSL_CTX_set_min_proto_version(context, minimum) == 1,
              COpenSSL_SSL_CTX_set_max_proto_version(context, maximum) == 1 else {
            throw TLSConfigError(flag: "--tls-min/--tls-max",
                                 message: "--tls-min/--tls-max: OpenSSL refused the version range (" +
                                     OpenSSLErrorQueue.drain().text(or: "unsupported") + "); give 1.2 or 1.3")
        }
    }

    private static func setVerification(_ context: OpaquePointer, _ settings: TLSSettings) throws(TLSConfigError) {
        if let caFile = settings.caFile {
            try checkReadable(caFile, flag: "--cacert", what: "a PEM file of the CA certificates that signed the server's")
            OpenSSLErrorQueue.clear()
            guard SSL_CTX_load_verify_locations(context, caFile, nil) == 1 else {
                let reason = OpenSSLErrorQueue.drain().text(or: "no certificate found")
                throw TLSConfigError(flag: "--cacert",
                                     message: "--cacert '\(caFile)' holds no CA certificate OpenSSL can read (\(reason)); " +
                                         "give a PEM file of the CA certificates that signed the server's")
            }
        } else if !settings.insecure {
            try loadSystemStore(context)
        }
        // With -k and no --cacert there is no store at all: OpenSSL still walks the chain under SSL_VERIFY_NONE,
        // and with nothing to search that costs nothing (wrk and h2load load no CAs either).
        SSL_CTX_set_verify(context, settings.insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, nil)
    }

    /// The system's CA bundle ($SSL_CERT_FILE, else OpenSSL's default file), parsed into memory once. OpenSSL's
    /// default paths would add the hashed directory too, and OpenSSL 3 lists that directory (/etc/ssl/certs,
    /// hundreds of entries) on every handshake whose issuer is not in memory: measured, that tripled the CPU of a
    /// full handshake. Without a readable bundle, the default paths it is.
    private static func loadSystemStore(_ context: OpaquePointer) throws(TLSConfigError) {
        let variable = String(cString: X509_get_default_cert_file_env())
        let bundle = getenv(variable).map { String(cString: $0) } ?? String(cString: X509_get_default_cert_file())
        OpenSSLErrorQueue.clear()
        if access(bundle, R_OK) == 0, SSL_CTX_load_verify_locations(context, bundle, nil) == 1 { return }
        OpenSSLErrorQueue.clear()
        guard SSL_CTX_set_default_verify_paths(context) == 1 else {
            throw TLSConfigError(flag: "--cacert",
                                 message: "the system CA store could not be loaded (" +
                                     OpenSSLErrorQueue.drain().text(or: "unknown error") +
                                     "); give the server's CA with --cacert FILE, or skip verification with -k/--insecure")
        }
    }

    private static func setClientCertificate(_ context: OpaquePointer, _ settings: TLSSettings) throws(TLSConfigError) {
        guard let certFile = settings.certFile else { return }
        try checkReadable(certFile, flag: "--cert", what: "the client certificate in PEM")
        OpenSSLErrorQueue.clear()
        guard SSL_CTX_use_certificate_chain_file(context, certFile) == 1 else {
            let reason = OpenSSLErrorQueue.drain().text(or: "no certificate found")
            throw TLSConfigError(flag: "--cert", message: "--cert '\(certFile)' holds no certificate OpenSSL can read " +
                                     "(\(reason)); give the client certificate in PEM")
        }
        let keyFile = settings.keyFile ?? certFile
        let keyFlag = settings.keyFile == nil ? "--key (read from --cert's file when --key is not given)" : "--key"
        try checkReadable(keyFile, flag: "--key", what: "the client certificate's private key in PEM")
        let mismatch = TLSConfigError(flag: "--key",
                                      message: "--key '\(keyFile)' is not the private key of --cert '\(certFile)': " +
                                          "give the key the certificate was made for")
        OpenSSLErrorQueue.clear()
        guard SSL_CTX_use_PrivateKey_file(context, keyFile, SSL_FILETYPE_PEM) == 1 else {
            let drained = OpenSSLErrorQueue.drain()
            if drained.library == ERR_LIB_X509 &&
                (drained.reason == X509_R_KEY_VALUES_MISMATCH || drained.reason == X509_R_KEY_TYPE_MISMATCH) {
                throw mismatch
            }
            throw TLSConfigError(flag: "--key", message: "\(keyFlag) '\(keyFile)' holds no private key OpenSSL can read " +
                                     "(\(drained.text(or: "no key found"))); give the client certificate's key in PEM")
        }
        guard SSL_CTX_check_private_key(context) == 1 else {
            OpenSSLErrorQueue.clear()
            throw mismatch
        }
    }

    private static func checkReadable(_ path: String, flag: String, what: String) throws(TLSConfigError) {
        guard access(path, R_OK) != 0 else { return }
        let reason = String(cString: strerror(errno))
        throw TLSConfigError(flag: flag, message: "\(flag) '\(path)': cannot read it (\(reason)); give \(what)")
    }
}
