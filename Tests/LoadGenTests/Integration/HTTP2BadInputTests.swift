import Foundation
import Glibc
import Testing

extension HTTP2IntegrationTests {
    /// Bad HTTP/2 input: usage errors exit 2 naming the flag, a server that is not HTTP/2 exits 1 with a clear
    /// error. Every invocation names a namespace the test made and is bounded (`--count 5`, a short timeout, a hard
    /// deadline), so that a bad value wrongly accepted would still send a few requests to 127.0.0.1 inside it.
    @Suite struct BadInput {
        /// Arguments after `http --netns NS`; `URL` becomes http://127.0.0.1:PORT/ (nothing listens there).
        typealias Case = BadInputCase

        static let bounded = ["--count", "5", "--timeout", "200ms", "--connect-timeout", "200ms"]

        static let usageCases: [Case] = [
            Case(label: "--streams 0", arguments: ["--http2", "--streams", "0", "URL"] + bounded, exitCode: 2, mentions: ["--streams", "0"]),
            Case(label: "--streams abc", arguments: ["--http2", "--streams", "abc", "URL"] + bounded, exitCode: 2, mentions: ["--streams", "abc"]),
            Case(label: "--streams 5 without --http2", arguments: ["--streams", "5", "URL"] + bounded, exitCode: 2,
                 mentions: ["--streams", "--http2"]),
            Case(label: "--http2 with URLs of both schemes", arguments: ["--http2", "https://127.0.0.1/", "URL"] + bounded, exitCode: 2,
                 mentions: ["http://", "https://", "one scheme"]),
            Case(label: "--http2 with a TLS flag on http://", arguments: ["--http2", "--sni", "a.test", "URL"] + bounded, exitCode: 2,
                 mentions: ["--sni", "https://"]),
            Case(label: "--http2 --no-keepalive", arguments: ["--http2", "--no-keepalive", "URL"] + bounded, exitCode: 2,
                 mentions: ["--no-keepalive", "--http2"]),
        ]

        @Test("usage errors", arguments: usageCases)
        func usage(_ testCase: Case) async throws {
            try await NetworkNamespace.with { ns in
                let port = try await TestPorts.freeOnHost()
                let arguments = ["http", "--netns", ns.name]
                    + testCase.arguments.map { $0 == "URL" ? "http://127.0.0.1:\(port)/" : $0 } + ["--json", "--quiet"]
                let run = try await LoadGen.run(arguments, deadline: 10)
                run.expectError(exitCode: testCase.exitCode, mentions: testCase.mentions)
            }
        }

        @Test("no server listening: exit 1, says the connection was refused, once the events' --timeout passed")
        func nothingListening() async throws {
            try await NetworkNamespace.with { ns in
                let port = try await TestPorts.freeOnHost()
                let run = try await LoadGen.run(
                    HTTP2Run.arguments(netns: ns, url: "http://127.0.0.1:\(port)/",
                                       ["-c", "2", "--count", "10", "--connect-timeout", "1s", "--timeout", "1s"]),
                    deadline: 10)
                run.expectError(exitCode: 1, mentions: ["127.0.0.1:\(port)", "refused"])
                #expect(run.wallSeconds < 3, "took \(run.wallSeconds) s")
            }
        }

        @Test("a server answering the preface with something that is not HTTP (an SSH banner): exit 1 promptly, says HTTP/2")
        func garbageServer() async throws {
            try await NetworkNamespace.with { ns in
                let python = try IntegrationEnvironment.requireTool("python3", package: "python3")
                let port = try await TestPorts.freeOnHost()
                // Accepts, sends a banner, reads and ignores everything, keeps the connection open.
                let script = """
                    import socket, threading
                    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    s.bind(("127.0.0.1", \(port))); s.listen(64)
                    def serve(c):
                        c.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\\r\\n")
                        while c.recv(65536): pass
                    while True:
                        c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
                    """
                let server = try ns.spawn([python, "-c", script])
                defer { server.stop(signal: SIGKILL) }
                try await ns.waitUntilListening(port: port, tcp: true, what: "the banner server")
                let run = try await LoadGen.run(
                    HTTP2Run.arguments(netns: ns, url: "http://127.0.0.1:\(port)/",
                                       ["-c", "2", "--count", "10", "--timeout", "1s", "--connect-timeout", "5s"]),
                    deadline: 15)
                run.expectError(exitCode: 1, mentions: ["HTTP/2", "127.0.0.1:\(port)"])
                // nghttp2 knows at the first bytes that this is not HTTP/2; waiting out the 5 s connect timeout
                // for SETTINGS that cannot come is a slow, vague failure.
                #expect(run.wallSeconds < 3, "the failure is known from the first answer, yet the run took \(String(format: "%.1f", run.wallSeconds)) s; stderr: \(run.stderr)")
            }
        }
    }
}
