import Foundation

extension NginxServer {
    /// The two TLS servers: HTTP/1.1 over TLS, and h2 over TLS (ALPN), both logging to tls-access.log.
    static func tlsServers(_ tls: TLSSetup, ports: (Int, Int), dir: String) -> String {
        let clientAuth = tls.clientCA.map { "ssl_client_certificate \($0); ssl_verify_client on;" } ?? ""
        let common = """
            root \(dir)/www;
                    ssl_certificate \(tls.cert);
                    ssl_certificate_key \(tls.key);
                    ssl_protocols TLSv1.2 TLSv1.3;
                    \(clientAuth)
                    access_log \(dir)/tls-access.log lgtls;
            """
        return """
            log_format lgtls '$server_port $connection $connection_requests $status $server_protocol $ssl_protocol $ssl_session_reused "$request"';
                ssl_session_cache shared:loadgentests:10m;
                server {
                    listen 127.0.0.1:\(ports.0) ssl;
                    \(common)
                }
                server {
                    listen 127.0.0.1:\(ports.1) ssl http2;
                    \(common)
                }
            """
    }

    /// One line of the TLS servers' access log.
    struct TLSAccessLogEntry: Equatable {
        var port: Int
        var connection: Int
        var requestOnConnection: Int
        var status: Int
        /// `HTTP/1.1` or `HTTP/2.0`.
        var proto: String
        /// `TLSv1.2` or `TLSv1.3`.
        var tlsProtocol: String
        /// True when the session was resumed (`r`).
        var resumed: Bool
        var request: String
    }

    /// The TLS access log once it has stopped growing (see `accessLog`). A line that does not parse throws.
    func tlsAccessLog(expected: Int? = nil) async throws -> [TLSAccessLogEntry] {
        try await settledLines(tlsAccessLogPath, expected: expected, seconds: expected == nil ? 2 : 5).map { line in
            let quoted = line.split(separator: "\"", omittingEmptySubsequences: false)
            let fields = quoted[0].split(separator: " ")
            guard quoted.count == 3, fields.count == 7, let port = Int(fields[0]), let connection = Int(fields[1]),
                  let requests = Int(fields[2]), let status = Int(fields[3]) else {
                throw FixtureError("nginx TLS access log: cannot parse '\(line)'")
            }
            return TLSAccessLogEntry(port: port, connection: connection, requestOnConnection: requests, status: status,
                                     proto: String(fields[4]), tlsProtocol: String(fields[5]), resumed: fields[6] == "r",
                                     request: String(quoted[1]))
        }
    }
}
