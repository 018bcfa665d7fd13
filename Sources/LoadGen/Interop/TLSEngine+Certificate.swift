import COpenSSL
import Glibc

extension TLSEngine {
    /// The DNS names and IP addresses the server's certificate is for (its subjectAltName entries), as sent by
    /// the peer: at most `limit` entries, each printable and at most 64 bytes. Empty before the certificate
    /// arrived. Read from the received chain, which is there even when verification failed.
    func peerCertificateNames(limit: Int = 6) -> [String] {
        guard let chain = SSL_get_peer_cert_chain(ssl), OPENSSL_sk_num(chain) > 0,
              let leaf = OPENSSL_sk_value(chain, 0),
              let extensionData = X509_get_ext_d2i(OpaquePointer(leaf), NID_subject_alt_name, nil, nil) else { return [] }
        let names = OpaquePointer(extensionData)
        defer { GENERAL_NAMES_free(names) }
        var result: [String] = []
        for index in 0..<max(0, OPENSSL_sk_num(names)) where result.count < limit {
            guard let entry = OPENSSL_sk_value(names, index)?.assumingMemoryBound(to: GENERAL_NAME.self) else { continue }
            switch entry.pointee.type {
            case GEN_DNS:
                if let text = TLSEngine.text(of: entry.pointee.d.dNSName) { result.append(text) }
            case GEN_IPADD:
                if let text = TLSEngine.address(in: entry.pointee.d.iPAddress) { result.append(text) }
            default:
                continue
            }
        }
        return result
    }

    private static func bytes(of string: UnsafeMutablePointer<ASN1_STRING>?) -> UnsafeRawBufferPointer? {
        guard let string, let data = ASN1_STRING_get0_data(string) else { return nil }
        let length = Int(ASN1_STRING_length(string))
        return length > 0 ? UnsafeRawBufferPointer(start: data, count: length) : nil
    }

    private static func text(of string: UnsafeMutablePointer<ASN1_STRING>?) -> String? {
        guard let bytes = bytes(of: string) else { return nil }
        return TLSFailure.printableExcerpt(bytes, limit: 64)
    }

    /// An IPv4 (4 bytes) or IPv6 (16 bytes) address entry in text; nil for any other length.
    private static func address(in string: UnsafeMutablePointer<ASN1_STRING>?) -> String? {
        guard let bytes = bytes(of: string), bytes.count == 4 || bytes.count == 16 else { return nil }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        guard inet_ntop(family, bytes.baseAddress, &text, socklen_t(text.count)) != nil else { return nil }
        return String(cString: text)
    }
}
