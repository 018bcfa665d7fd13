import Foundation
import Testing

extension HTTP1IntegrationTests {
    /// Bad input and an unreachable server: a one-line error naming the problem and the right exit code (1 could
    /// not run, 2 usage error), never a crash or a hang.
    ///
    /// Every invocation names a namespace the test made and is bounded, so that a bad value that were wrongly
    /// accepted would still send only a few requests, to 127.0.0.1 inside that namespace.
    @Suite struct BadInput {
        /// Arguments after `http`; `PORT` becomes a port where nothing listens.
        typealias Case = BadInputCase

        static let bounded = ["--count", "5", "--timeout", "200ms"]

        static let usageCases: [Case] = [
            Case(label: "ftp://x/", arguments: ["ftp://x/"], mentions: ["ftp", "http://"]),
            Case(label: "ftp:// says which schemes are supported", arguments: ["ftp://127.0.0.1/"], mentions: ["ftp", "http://", "https://"]),
            Case(label: "-k on an http:// URL names the flag", arguments: ["-k", "http://127.0.0.1/"], mentions: ["--insecure", "https://"]),
            Case(label: "--tls-min 1.1", arguments: ["--tls-min", "1.1", "https://127.0.0.1/"], mentions: ["--tls-min", "1.2 or 1.3"]),
            Case(label: "--cacert that does not exist", arguments: ["--cacert", "/nonexistent/ca.pem", "https://127.0.0.1/"],
                 mentions: ["--cacert", "/nonexistent/ca.pem"]),
            Case(label: "port 70000", arguments: ["http://127.0.0.1:70000/"], mentions: ["70000"]),
            Case(label: "port 0", arguments: ["http://127.0.0.1:0/"], mentions: ["port"]),
            Case(label: "unclosed IPv6 bracket", arguments: ["http://[::1/"], mentions: ["[::1"]),
            Case(label: "no host", arguments: ["http:///path"], mentions: ["http:///path"]),
            Case(label: "header without a colon", arguments: ["http://127.0.0.1:PORT/", "-H", "NoColon"], mentions: ["--header", "NoColon"]),
            Case(label: "missing body file", arguments: ["http://127.0.0.1:PORT/", "--body", "@/nonexistent/lgt-body"],
                 mentions: ["--body", "/nonexistent/lgt-body"]),
            Case(label: "-c 0", arguments: ["http://127.0.0.1:PORT/", "-c", "0"], mentions: ["'-c <N>'", "'0'", "above zero"]),
            Case(label: "--connections 0", arguments: ["http://127.0.0.1:PORT/", "--connections", "0"], mentions: ["--connections", "above zero"]),
            Case(label: "-H Content-Length that contradicts --body",
                 arguments: ["http://127.0.0.1:PORT/", "-m", "POST", "-H", "Content-Length: 3", "--body", "hello"],
                 mentions: ["--header", "Content-Length: 3", "5 bytes"]),
            Case(label: "-H Transfer-Encoding (loadgen frames bodies with Content-Length)",
                 arguments: ["http://127.0.0.1:PORT/", "-m", "POST", "-H", "Transfer-Encoding: chunked", "--body", "hello"],
                 mentions: ["--header", "Transfer-Encoding: chunked", "Content-Length"]),
            Case(label: "--connect-timeout 0.5ms", arguments: ["http://127.0.0.1:PORT/", "--connect-timeout", "0.5ms"],
                 mentions: ["--connect-timeout", "0.5ms", "1ms to 1h"]),
            Case(label: "--streams 2M", arguments: ["http://127.0.0.1:PORT/", "--http2", "--streams", "2M"],
                 mentions: ["--streams", "2M", "1,000,000"]),
            Case(label: "no URL", arguments: [], mentions: ["URL"]),
            Case(label: "missing --urls-file", arguments: ["--urls-file", "/nonexistent/lgt-urls"], mentions: ["--urls-file", "/nonexistent/lgt-urls"]),
        ]

        @Test("usage errors exit 2 and name the problem", arguments: usageCases)
        func usageError(_ testCase: Case) async throws {
            try await NetworkNamespace.with { ns in
                let port = try await TestPorts.freeOnHost()
                let arguments = ["http"] + testCase.arguments.map { $0.replacingOccurrences(of: "PORT", with: "\(port)") }
                    + ["--netns", ns.name] + BadInput.bounded + ["--json", "--quiet"]
                let run = try await LoadGen.run(arguments, deadline: 10)
                run.expectError(exitCode: 2, mentions: testCase.mentions, errorLine: false)
            }
        }

        @Test("--netns that does not exist: exit 1, names it")
        func missingNamespace() async throws {
            try await NetworkNamespace.with { ns in  // made only so that the run would stay in a namespace of ours
                let missing = "lgt-missing-\(UInt32.random(in: 0...UInt32.max))"
                try #require(!FileManager.default.fileExists(atPath: "/run/netns/\(missing)"))
                let port = try await TestPorts.freeOnHost()
                let run = try await LoadGen.run(
                    ["http", "http://127.0.0.1:\(port)/", "--netns", missing] + BadInput.bounded + ["--json", "--quiet"], deadline: 10)
                run.expectError(exitCode: 1, mentions: [missing], errorLine: false)
                _ = ns
            }
        }

        @Test("nothing listens from the start: exit 1, 'cannot connect', quickly",
              arguments: [[], ["--no-keepalive"]])
        func refusedFromTheStart(_ mode: [String]) async throws {
            try await NetworkNamespace.with { ns in
                let port = try await TestPorts.freeOnHost()
                try #require(try await !ns.isListening(port: port, tcp: true))
                let run = try await LoadGen.run(
                    HTTP1Run.arguments(["http://127.0.0.1:\(port)/"], netns: ns, mode + ["--rate", "100", "--duration", "2s", "--timeout", "500ms"]),
                    deadline: 10)
                run.expectError(exitCode: 1, mentions: ["cannot connect", "127.0.0.1:\(port)"], errorLine: false)
                #expect(run.wallSeconds < 2 + 0.5 + 1.5, "took \(run.wallSeconds) s")
            }
        }
    }
}
