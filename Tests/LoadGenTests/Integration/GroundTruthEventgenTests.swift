import Foundation
import Glibc
import Testing

extension GroundTruthIntegrationTests {
    /// `eventgen` as Inspektor Gadget's users type it: several --params targets, and --count -1 (unlimited).
    @Suite struct EventgenTargets {
        @Test("eventgen --type http --params url:A,url:B --count 20: nginx logged 10 requests for each URL")
        func everyURLIsRequested() async throws {
            try await NetworkNamespace.with { ns in
                let port = try await TestPorts.freeOnHost()
                try await NginxServer.with(in: ns, port: port) { nginx in
                    let run = try await LoadGen.run(
                        ["eventgen", "--type", "http", "--params", "url:127.0.0.1:\(port)/,url:127.0.0.1:\(port)/204",
                         "--count", "20", "--netns", ns.name, "--json"],
                        deadline: 15)
                    let report = try run.report()
                    try report.expectAccounting()
                    #expect(try report.completed == 20, "\(HTTP1Run.summary(report))")
                    #expect(try HTTP1Run.status(report) == ["200": 10, "204": 10])
                    let log = try await nginx.accessLog()
                    #expect(log.filter { $0.request == "GET / HTTP/1.1" }.count == 10, "\(log.map(\.request))")
                    #expect(log.filter { $0.request == "GET /204 HTTP/1.1" }.count == 10, "\(log.map(\.request))")
                }
            }
        }

        @Test("eventgen --type dns --params domain:A --params domain:B --count -1: runs until SIGINT, both names queried, knot counted every answer")
        func unlimitedCountAndTwoDomains() async throws {
            try await NetworkNamespace.with { ns in
                try ns.writeResolvConf("nameserver 127.0.0.1\n")
                try await KnotServer.with(in: ns, extraRecords: ["*   A   192.0.2.9"]) { knot in
                    let directory = try TemporaryDirectory.make(prefix: "eventgen")
                    defer { try? FileManager.default.removeItem(at: directory) }
                    let eventsPath = directory.appendingPathComponent("events.jsonl").path
                    let before = try await knot.stats()
                    let arguments = ["eventgen", "--type", "dns", "--params", "domain:one.example.test",
                                     "--params", "domain:two.example.test", "--count", "-1", "--interval", "5ms",
                                     "--netns", ns.name, "--events", eventsPath, "--json", "--quiet"]
                    let child = try LoadGen.start(arguments)
                    defer { _ = child.kill() }
                    try await Task.sleep(nanoseconds: 1_000_000_000)
                    try #require(child.isRunning, "--count -1 ended by itself: \(child.stderrSoFar)")
                    child.signal(SIGINT)
                    var outcome = await child.wait(seconds: 10)
                    #expect(!outcome.killedAfterDeadline, "did not stop within 10 s of SIGINT")
                    try #require(outcome.exitCode == 0 || outcome.exitCode == 128 + SIGINT, "\(outcome.termination); \(outcome.stderr)")
                    outcome.termination = .exited(0)
                    let report = try LoadGenRun(arguments: arguments, outcome, sourceLocation: #_sourceLocation).report()
                    let delta = try await knot.stats() - before
                    try report.expectAccounting()
                    #expect(try report.bool("interrupted"))
                    let sent = try report.sent
                    #expect(sent > 50 && sent < 1000, "about 1 s at 200/s before SIGINT: \(report)")
                    #expect(try report.completed == delta.udp4, "knot: \(delta.counters); \(report)")

                    let events = try EventLog.parse(try String(contentsOfFile: eventsPath, encoding: .utf8), source: eventsPath)
                    let one = try events.filter { try $0.string("qname") == "one.example.test" }.count
                    let two = try events.filter { try $0.string("qname") == "two.example.test" }.count
                    #expect(one + two == events.count && events.count == sent, "events: \(one) + \(two) of \(events.count); sent \(sent)")
                    #expect(abs(one - two) <= 1, "round-robin over both names: \(one) and \(two)")
                }
            }
        }
    }
}
