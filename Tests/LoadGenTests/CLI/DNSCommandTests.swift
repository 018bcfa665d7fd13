import ArgumentParser
import Foundation
import Testing
@testable import LoadGen

@Suite struct DNSCommandTests {
    private func config(_ arguments: [String]) throws -> RunConfig {
        try DNSCommand.parse(arguments).makeConfig()
    }

    /// The description of the error `makeConfig` throws, or nil when it succeeds.
    private func configError(_ arguments: [String]) throws -> String? {
        let command = try DNSCommand.parse(arguments)
        do {
            _ = try command.makeConfig()
            return nil
        } catch let error as ValidationError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test func serverWithoutNetnsBuildsAConfigWithoutRoot() throws {
        let c = try config(["--server", "127.0.0.1"])
        let dns = try #require(c.dns)
        #expect(c.kind == .dns)
        #expect(c.targets.isEmpty)
        #expect(dns.servers == [try Endpoint(host: "127.0.0.1", port: 53)])
        #expect(dns.serversSource == "--server")
        #expect(dns.questions == [DNSQuestion(name: try DNSName("localhost"), type: .a)])
        #expect(!dns.tcp)
        #expect(c.load.pacer == nil)
        #expect(c.load.concurrency == 100, "closed loop default")
        #expect(c.load.durationNanos == 10_000_000_000)
        #expect(c.load.threads == 1)
        #expect(c.load.timeoutNanos == 5_000_000_000)
        #expect(!c.output.json && !c.output.latencySpectrum && !c.output.quiet)
    }

    @Test func openLoopDefaultsToOneTimeoutOfQueriesInFlight() throws {
        // 1,000/s × 5 s = 5,000: the floor of 10,000 applies.
        #expect(try config(["--server", "127.0.0.1", "--rate", "1000"]).load.concurrency == 10_000)
        // 20,000/s × 2 s = 40,000.
        #expect(try config(["--server", "127.0.0.1", "--rate", "20k", "--timeout", "2s"]).load.concurrency == 40_000)
        // 20,000/s × 5 s = 100,000: capped at the 16-bit ID space per thread.
        let c = try config(["--server", "127.0.0.1", "--rate", "20k", "--duration", "5s"])
        #expect(c.load.concurrency == 65_536)
        #expect(c.load.requestedRate == 20_000)
        #expect(c.load.durationNanos == 5_000_000_000)
        #expect(c.plan(thread: 0).localLimit == 100_000)
    }

    @Test func everyOptionReachesTheConfig() throws {
        let c = try config(["--server", "127.0.0.1:5353", "--server", "[::1]", "--name", "a.example.test",
                            "--name", "b.example.test.", "--type", "aaaa", "--tcp", "--interval", "1ms",
                            "--count", "1000", "--concurrency", "64", "--threads", "2", "--timeout", "2s",
                            "--json", "--latency", "--quiet"])
        let dns = try #require(c.dns)
        #expect(dns.servers.map(\.description) == ["127.0.0.1:5353", "[::1]:53"])
        #expect(dns.questions.map { "\($0.name) \($0.type)" } == ["a.example.test AAAA", "b.example.test AAAA"])
        #expect(dns.tcp)
        #expect(c.load.pacer == Pacer(periodNanos: 1_000_000))
        #expect(c.load.count == 1_000)
        #expect(c.load.durationNanos == nil)
        #expect(c.load.concurrency == 64)
        #expect(c.load.threads == 2)
        #expect(c.load.timeoutNanos == 2_000_000_000)
        #expect(c.output.json && c.output.latencySpectrum && c.output.quiet)
        // Two threads split the count and the concurrency exactly.
        #expect(c.plan(thread: 0).localLimit + c.plan(thread: 1).localLimit == 1_000)
        #expect(c.plan(thread: 0).maxInFlight + c.plan(thread: 1).maxInFlight == 64)
    }

    @Test func defaultConcurrencyCoversEveryThread() throws {
        let c = try config(["--server", "127.0.0.1", "--threads", "200"])
        #expect(c.load.concurrency == 200)
        #expect((0..<200).allSatisfy { c.plan(thread: $0).maxInFlight >= 1 })
    }

    @Test func concurrencyBelowThreadsIsAnError() throws {
        #expect(try configError(["--server", "127.0.0.1", "--concurrency", "3", "--threads", "4"])
            == "--concurrency 3 is below --threads 4; every thread needs at least one event in flight")
    }

    @Test func concurrencyAboveSixteenBitIDsPerThreadIsAnError() throws {
        let message = try configError(["--server", "127.0.0.1", "--concurrency", "200000"])
        #expect(message?.hasPrefix("--concurrency 200000: at most 65,536 queries can be in flight per thread") == true)
        #expect(message?.contains("--threads 4") == true)
        #expect(try config(["--server", "127.0.0.1", "--concurrency", "200000", "--threads", "4"]).load.concurrency == 200_000)
    }

    @Test func badServerNameAndTypeNameTheirFlag() throws {
        #expect(try configError(["--server", "300.1.1.1"])?.hasPrefix("--server: '300.1.1.1' is not an IPv4 or IPv6 address") == true)
        #expect(try configError(["--server", "127.0.0.1:0"]) == "--server: '127.0.0.1:0': port '0' must be a number from 1 to 65535")
        #expect(try configError(["--server", "127.0.0.1", "--name", "a..b"]) == "--name: 'a..b' has an empty label (two dots in a row or a leading dot)")
        let long = String(repeating: "x", count: 64) + ".test"
        #expect(try configError(["--server", "127.0.0.1", "--name", long])?.hasPrefix("--name: ") == true)
        #expect(try configError(["--server", "127.0.0.1", "--type", "BOGUS"])?.hasPrefix("--type: unknown query type 'BOGUS'") == true)
        let many = (1...65).flatMap { ["--server", "127.0.0.\($0)"] }
        #expect(try configError(many) == "--server: at most 64 servers")
    }

    @Test func namesFileIsReadAndItsErrorsNameIt() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("loadgen-unit-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("names.txt").path
        try "# test\nwww.example.test A\nmail.example.test MX\nplain.example.test\n".write(toFile: good, atomically: true, encoding: .utf8)
        let c = try config(["--server", "127.0.0.1", "--names-file", good, "--type", "AAAA", "--name", "first.test"])
        let dns = try #require(c.dns)
        #expect(dns.questions.map { "\($0.name) \($0.type)" }
            == ["first.test AAAA", "www.example.test A", "mail.example.test MX", "plain.example.test AAAA"])

        let missing = dir.appendingPathComponent("missing.txt").path
        #expect(try configError(["--server", "127.0.0.1", "--names-file", missing])
            == "--names-file: '\(missing)' does not exist; give a file with one 'name [type]' per line")
        let empty = dir.appendingPathComponent("empty.txt").path
        try "# nothing\n\n".write(toFile: empty, atomically: true, encoding: .utf8)
        #expect(try configError(["--server", "127.0.0.1", "--names-file", empty])
            == "--names-file '\(empty)': it has no usable line; write one 'name [type]' per line, e.g. 'www.example.test A'")
        let bad = dir.appendingPathComponent("bad.txt").path
        try "ok.test\nbad.test BOGUS\n".write(toFile: bad, atomically: true, encoding: .utf8)
        #expect(try configError(["--server", "127.0.0.1", "--names-file", bad])?.hasPrefix("--names-file '\(bad)': line 2 'bad.test BOGUS': unknown query type") == true)
    }

    @Test func missingNamespaceIsARunFailureNamingIt() throws {
        let name = "loadgen-unit-no-such-ns-\(getpid())"
        let message = try configError(["--server", "127.0.0.1", "--netns", name])
        #expect(message == "--netns '\(name)': no such network namespace (/run/netns/\(name) does not exist); `ip netns list` shows the names")
        let path = "/nonexistent/loadgen/ns"
        #expect(try configError(["--server", "127.0.0.1", "--netns", path])?.hasPrefix("--netns '\(path)': no such file") == true)
        #expect(try configError(["--server", "127.0.0.1", "--netns", "/dev/null"])
            == "--netns '/dev/null': /dev/null is not a network namespace file; give a name under /run/netns or /proc/PID/ns/net")
        #expect(try configError(["--server", "127.0.0.1", "--pid", "999999999"]) == "--pid 999999999: no such process")
        // Several targets are allowed; the first that cannot be opened is named.
        #expect(try configError(["--server", "127.0.0.1", "--netns", name, "--pid", "1"])?.hasPrefix("--netns '\(name)': no such network namespace") == true)
    }

    @Test func ownNamespaceFileOpensWithoutRoot() throws {
        // Opening (not entering) the caller's own netns file needs no privilege.
        let c = try config(["--server", "127.0.0.1", "--netns", "/proc/self/ns/net"])
        #expect(c.targets.first?.spec == .path("/proc/self/ns/net"))
        #expect(c.targets.first?.label == "/proc/self/ns/net")
        #expect(c.targets.first?.inode == NetNamespace.currentThreadInode)
        #expect(c.targets.count == 1 && c.targets[0].inode != 0)
    }

    @Test func renderJSONIsOneValidDocument() throws {
        let c = try config(["--server", "127.0.0.1", "--name", "a.example.test", "--rate", "100", "--count", "10", "--json"])
        var t = ThreadResult()
        t.counters.sent = 10
        t.counters.completed = 10
        t.counters.codes = [0: 7, 3: 3]
        for _ in 0..<10 { t.responseTime.record(100_000); t.serviceTime.record(80_000) }
        t.firstSentNanos = 1_000
        t.lastSentNanos = 90_001_000
        let result = RunResult(threads: [t], originNanos: 0, endNanos: 100_000_000)
        let text = DNSCommand.render(config: c, result: result)
        #expect(text.hasSuffix("}\n"))
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect(object?["kind"] as? String == "dns")
        #expect(object?["servers"] as? [String] == ["127.0.0.1:53"])
        #expect(object?["requested_rate"] as? Double == 100)
        #expect(object?["rcodes"] as? [String: Int] == ["NOERROR": 7, "NXDOMAIN": 3])
        #expect(object?["netns"] is NSNull)
    }

    @Test func renderTextNamesServersAndQuestions() throws {
        let c = try config(["--server", "127.0.0.1:5353", "--name", "a.example.test", "--type", "MX"])
        let result = RunResult(threads: [ThreadResult()], originNanos: 0, endNanos: 1_000_000_000)
        let text = DNSCommand.render(config: c, result: result)
        #expect(text.hasPrefix("loadgen dns: 0 queries from the current netns"))
        #expect(text.contains("127.0.0.1:5353 (udp, from --server)"))
        #expect(text.contains("a.example.test MX"))
    }
}
