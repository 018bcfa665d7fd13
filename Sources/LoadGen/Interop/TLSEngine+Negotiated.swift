import COpenSSL

/// What the handshake agreed on; meaningful once `handshake()` returned true.
extension TLSEngine {
    /// "TLSv1.2" or "TLSv1.3", as OpenSSL names it.
    var negotiatedProtocol: String { String(cString: SSL_get_version(ssl)) }

    var negotiatedVersion: TLSVersion? {
        switch SSL_version(ssl) {
        case TLS1_2_VERSION: .tls12
        case TLS1_3_VERSION: .tls13
        default: nil
        }
    }

    /// OpenSSL's name of the cipher, e.g. "ECDHE-ECDSA-AES128-GCM-SHA256" or "TLS_AES_256_GCM_SHA384".
    var cipher: String? {
        guard let cipher = SSL_get_current_cipher(ssl), let name = SSL_CIPHER_get_name(cipher) else { return nil }
        return String(cString: name)
    }

    /// The protocol the server selected by ALPN, or nil when it selected none.
    var alpnProtocol: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    /// True when the server accepted the session offered (an abbreviated handshake).
    var isResumed: Bool { SSL_session_reused(ssl) == 1 }
}
