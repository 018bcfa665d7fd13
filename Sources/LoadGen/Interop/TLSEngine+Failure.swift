import COpenSSL

extension TLSEngine {
    /// A peer that answered with something other than a TLS record (a plain HTTP server on the port): a TLS
    /// record starts with a content type (20–24) and major version 3.
    func notTLSFailure() -> TLSFailure? {
        guard let type = firstBytes.first else { return nil }
        let looksLikeTLS = (20...24).contains(type) && (firstBytes.count < 2 || firstBytes[1] == 3)
        if looksLikeTLS { return nil }
        return firstBytes.withUnsafeBytes { .notTLS(firstBytes: TLSFailure.printableExcerpt($0)) }
    }

    /// Why the handshake failed: not TLS, the certificate check, the peer's alert, or OpenSSL's reason. `drained` is the error queue of the failed call.
    func handshakeFailure(sslError: Int32, drained: OpenSSLErrorQueue.Drained) -> TLSFailure {
        if let notTLS = notTLSFailure() { return notTLS }
        if drained.isSSL(SSL_R_CERTIFICATE_VERIFY_FAILED) {
            return verificationFailure(SSL_get_verify_result(ssl))
        }
        return connectionFailure(sslError: sslError, drained: drained)
    }

    /// A fatal failure of any operation: the peer's alert, or OpenSSL's reason.
    func connectionFailure(sslError: Int32, drained: OpenSSLErrorQueue.Drained) -> TLSFailure {
        let reason = Int(drained.reason)
        if drained.library == ERR_LIB_SSL, reason >= Int(SSL_AD_REASON_OFFSET), reason < Int(SSL_AD_REASON_OFFSET) + 256 {
            let code = reason - Int(SSL_AD_REASON_OFFSET)
            return .alert(code: code, description: TLSEngine.alertDescription(code))
        }
        if sslError == SSL_ERROR_SYSCALL && drained.code == 0 {
            return .other("the connection ended abruptly")
        }
        return .other(drained.text(or: "OpenSSL error \(sslError)"))
    }

    /// The certificate check's verdict (`SSL_get_verify_result`) as the user can act on it.
    func verificationFailure(_ result: Int) -> TLSFailure {
        let reason = String(cString: X509_verify_cert_error_string(result))
        switch Int32(clamping: result) {
        case X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH:
            return .nameMismatch(checked: context.settings.verifiedName(forHost: host).name,
                                 certificateNames: peerCertificateNames())
        case X509_V_ERR_CERT_HAS_EXPIRED, X509_V_ERR_CERT_NOT_YET_VALID:
            return .expired(reason: reason)
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
             X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
             X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, X509_V_ERR_CERT_UNTRUSTED, X509_V_ERR_INVALID_CA:
            return .unknownCA(reason: reason)
        default:
            return .other("certificate verify failed: \(reason)")
        }
    }

    /// OpenSSL's name of an alert; 3.0 calls the TLS 1.3 additions "unknown", so those are named here (RFC 8446 §6).
    static func alertDescription(_ code: Int) -> String {
        let name = String(cString: SSL_alert_desc_string_long(Int32(code)))
        guard name == "unknown" else { return name }
        switch code {
        case 109: return "missing extension"
        case 116: return "certificate required"
        default: return "alert \(code)"
        }
    }
}
