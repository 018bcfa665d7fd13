import Foundation
import Testing

extension HTTP1IntegrationTests {
    /// What goes on the wire: method, headers, body and names, as nginx received them.
    @Suite struct Requests {
        @Test("-m POST -H 'X-Test: abc' --body hello: nginx saw POST, abc, Content-Length 5, Host and User-Agent")
        func methodHeadersBody() async throws {
            try await NetworkNamespace.with { ns in
                let port = try await TestPorts.freeOnHost()
                try await NginxServer.with(in: ns, port: port) { nginx in
                    let run = try await LoadGen.run(
                        HTTP1Run.arguments([nginx.url("/echo")], netns: ns,
                                           ["-m", "POST", "-H", "X-Test: abc", "--body", "hello", "--count", "10", "--timeout", "2s"]),
                        deadline: 10)
                    let report = try run.report()
                    let log = try await nginx.accessLog()
                    let echo = try await nginx.echoLog()
                    try HTTP1Run.expectMatchesServer(report, log, netns: ns)

                    #expect(try report.completed == 10, "\(HTTP1Run.summary(report))")
                    #expect(try HTTP1Run.status(report) == ["200": 10])
                    #expect(echo.count == 10, "nginx's /echo log: \(echo)")
                    for entry in echo {
                        #expect(entry.method == "POST" && entry.xTest == "abc" && entry.contentLength == "5", "\(entry)")
                        #expect(entry.userAgent.hasPrefix("loadgen/"), "User-Agent: \(entry.userAgent)")
                        #expect(entry.host == "127.0.0.1", "Host: \(entry.host)")
                    }
                    #expect(log.allSatisfy { $0.request == "POST /echo HTTP/1.1" }, "\(log.prefix(3))")
                }
            }
        }

        @Test("-H 'Content-Length: 5' that agrees with --body hello is sent once; nginx reads every request in step")
        func ownContentLengthThatAgrees() async throws {
            try await NetworkNamespace.with { ns in
                let port = try await TestPorts.freeOnHost()
                try await NginxServer.with(in: ns, port: port) { nginx in
                    let run = try await LoadGen.run(
                        HTTP1Run.arguments([nginx.url("/echo")], netns: ns,
                                           ["-m", "POST", "-H", "content-length: 5", "--body", "hello", "--count", "6",
                                            "-c", "1", "--timeout", "2s"]),
                        deadline: 10)
                    let report = try run.report()
                    let log = try await nginx.accessLog()
                    let echo = try await nginx.echoLog()
                    try HTTP1Run.expectMatchesServer(report, log, netns: ns)
                    // nginx answers 400 to a request with two Content-Length lines, and a wrong one desynchronises
                    // the connection: six 200s in step on one connection show the header went out once and right.
                    #expect(try HTTP1Run.status(report) == ["200": 6], "\(HTTP1Run.summary(report))")
                    #expect(echo.count == 6 && echo.allSatisfy { $0.contentLength == "5" }, "\(echo)")
                    #expect(Set(log.map(\.connection)).count == 1 && log.map(\.requestOnConnection) == [1, 2, 3, 4, 5, 6],
                            "\(log)")
                }
            }
        }

        @Test("--body @FILE sends the file with its Content-Length; -H User-Agent replaces loadgen's")
        func bodyFromFileAndOwnUserAgent() async throws {
            try await NetworkNamespace.with { ns in
                let port = try await TestPorts.freeOnHost()
                let directory = try TemporaryDirectory.make(prefix: "body")
                defer { try? FileManager.default.removeItem(at: directory) }
                let file = directory.appendingPathComponent("body.bin").path
                try Data(repeating: 0x61, count: 3000).write(to: URL(fileURLWithPath: file))
                try await NginxServer.with(in: ns, port: port) { nginx in
                    let run = try await LoadGen.run(
                        HTTP1Run.arguments([nginx.url("/echo")], netns: ns,
                                           ["-m", "PUT", "--body", "@\(file)", "-H", "User-Agent: tracer-test/1",
                                            "--count", "5", "-c", "1", "--timeout", "2s"]),
                        deadline: 10)
                    let report = try run.report()
                    let log = try await nginx.accessLog()
                    let echo = try await nginx.echoLog()
                    try HTTP1Run.expectMatchesServer(report, log, netns: ns)

                    #expect(try report.completed == 5, "\(HTTP1Run.summary(report))")
                    #expect(echo.count == 5)
                    #expect(echo.allSatisfy { $0.method == "PUT" && $0.contentLength == "3000" && $0.xTest == "-" }, "\(echo)")
                    #expect(echo.allSatisfy { $0.userAgent == "tracer-test/1" }, "\(echo.map(\.userAgent))")
                    // The body was consumed as a body: one connection carried all five requests in step.
                    #expect(Set(log.map(\.connection)).count == 1 && log.map(\.requestOnConnection) == [1, 2, 3, 4, 5],
                            "\(log)")
                }
            }
        }
    }
}
