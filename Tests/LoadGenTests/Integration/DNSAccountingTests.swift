import Foundation
import Glibc
import Testing

extension DNSIntegrationTests {
    /// Counts per rcode and per outcome, pacing, transports, server failures and interruption.
    @Suite struct Accounting {
        @Test("rcodes: two names round-robin give 500 NOERROR and 500 NXDOMAIN, as knot counted")
        func rcodesMatchTheServer() async throws {
            try await DNSRun.withKnot { ns, port, knot in
                let (_, report, delta) = try await knot.measure(
                    DNSRun.arguments(netns: ns, port: port,
                                     ["--name", KnotServer.missingName, "--count", "1000", "--concurrency", "20", "--timeout", "2s"]),
                    deadline: 15)

                #expect(try report.sent == 1000)
                #expect(try report.completed == 1000, "\(report)")
                let rcodes = try report.counts("rcodes")
                #expect(rcodes["NOERROR"] == 500, "rcodes: \(rcodes)")
                #expect(rcodes["NXDOMAIN"] == 500, "rcodes: \(rcodes)")
                #expect(rcodes["NOERROR"] == delta.rcode("NOERROR"), "knot: \(delta.counters)")
                #expect(rcodes["NXDOMAIN"] == delta.rcode("NXDOMAIN"), "knot: \(delta.counters)")
                #expect(try report.completed == delta.udp4)
            }
        }

        @Test("a server that never answers: every query times out and the run still ends on time")
        func deadServerGivesTimeouts() async throws {
            try await NetworkNamespace.with { ns in
                let port = try await TestPorts.freeOnHost()
                try await SilentUDPServer.with(in: ns, port: port) {
                    let run = try await LoadGen.run(
                        DNSRun.arguments(netns: ns, port: port, ["--rate", "200", "--duration", "1s", "--timeout", "500ms"]),
                        deadline: 10)
                    let report = try run.report(exitCode: 1)
                    try report.expectAccounting()

                    let sent = try report.sent
                    DNSRun.expectNear(sent, 200, within: 0.05, "sent at 200/s for 1 s")
                    #expect(try report.timeouts == sent, "\(report)")
                    #expect(try report.completed == 0)
                    #expect(try report.errors == 0)
                    // duration + timeout + 1.5 s for start-up and shut-down.
                    #expect(run.wallSeconds <= 1 + 0.5 + 1.5, "took \(run.wallSeconds) s")
                }
            }
        }

        @Test("a port nobody listens on: errors (refused), no completions, on time, and no CPU spin")
        func refusingServerGivesErrorsWithoutSpinning() async throws {
            try await LoadGate.exclusive {
                try await NetworkNamespace.with { ns in
                    let port = try await TestPorts.freeOnHost()
                    try #require(try await !ns.isListening(port: port))
                    let run = try await LoadGen.run(
                        DNSRun.arguments(netns: ns, port: port, ["--rate", "1000", "--duration", "1s", "--timeout", "500ms"]),
                        deadline: 10)
                    let report = try run.report(exitCode: 1)
                    try report.expectAccounting()

                    #expect(try report.sent > 0)
                    #expect(try report.completed == 0, "\(report)")
                    #expect(try report.errors > 0, "\(report)")
                    #expect(try report.counts("error_kinds")["refused", default: 0] > 0, "\(report)")
                    #expect(run.wallSeconds <= 1 + 0.5 + 1.5, "took \(run.wallSeconds) s")
                    // A client that retries refused sockets in a tight loop burns a whole core for the whole run.
                    #expect(run.cpuSeconds < 0.3 * run.wallSeconds,
                            "loadgen used \(run.cpuSeconds) s of CPU in \(run.wallSeconds) s against a refusing server")
                }
            }
        }

        /// How the run is held back while --duration runs out.
        enum HeldBack: String, Sendable, CaseIterable, CustomTestStringConvertible {
            /// Every query is refused (ICMP port unreachable) at 20,000/s: loadgen backs off.
            case refusalsAtHighRate = "refused at 20k/s"
            /// A server that never answers and --concurrency 10 at 1000/s: at most 20 queries/s can go out.
            case concurrencyLimit = "concurrency 10 against a silent server"
            var testDescription: String { rawValue }
        }

        @Test("--duration ends issuing on time even when events are held back", arguments: HeldBack.allCases)
        func durationBoundsTheRun(_ heldBack: HeldBack) async throws {
            try await NetworkNamespace.with { ns in
                let port = try await TestPorts.freeOnHost()
                func check(_ extra: [String]) async throws {
                    let run = try await LoadGen.run(
                        DNSRun.arguments(netns: ns, port: port, extra + ["--duration", "1s", "--timeout", "500ms"]),
                        deadline: 8)
                    // Stop issuing after 1 s, wait at most the 500 ms timeout, plus 1.5 s for start and exit.
                    #expect(run.wallSeconds <= 1 + 0.5 + 1.5, "took \(run.wallSeconds) s: \(run.commandLine)")
                    let report = try run.report(exitCode: 1)
                    try report.expectAccounting()
                    #expect(try report.completed == 0)
                    #expect(try report.double("duration_s") <= 1 + 0.5 + 0.5, "\(report)")
                }
                switch heldBack {
                case .refusalsAtHighRate:
                    try #require(try await !ns.isListening(port: port))
                    try await check(["--rate", "20000"])
                case .concurrencyLimit:
                    try await SilentUDPServer.with(in: ns, port: port) {
                        try await check(["--rate", "1000", "--concurrency", "10"])
                    }
                }
            }
        }

        @Test("closed loop, 1000 in flight: every answer is credited, every loss is a kernel drop")
        func closedLoopManyInFlight() async throws {
            try await DNSRun.withKnot { ns, port, knot in
                let before = try await knot.stats()
                let udpBefore = try await ns.udpCounters()
                let run = try await LoadGen.run(
                    DNSRun.arguments(netns: ns, port: port,
                                     ["--name", KnotServer.missingName, "--concurrency", "1000", "--count", "20000", "--timeout", "2s"]),
                    deadline: 20)
                let delta = try await knot.stats() - before
                let udpAfter = try await ns.udpCounters()
                let report = try run.report()
                try report.expectAccounting()

                // A burst of 1000 can overflow a socket's receive buffer (knot's or loadgen's): the kernel counts
                // that as RcvbufErrors, and loadgen must count exactly those as timeouts, and nothing else.
                let kernelDrops = udpAfter["RcvbufErrors", default: 0] - udpBefore["RcvbufErrors", default: 0]
                let sent = try report.sent, completed = try report.completed
                #expect(sent == 20000)
                #expect(try report.timeouts == kernelDrops, "kernel dropped \(kernelDrops) datagrams; \(report)")
                #expect(try report.errors == 0 && report.cancelled == 0, "\(report)")
                #expect(completed <= delta.udp4 && delta.udp4 - completed <= kernelDrops,
                        "knot answered \(delta.udp4), loadgen completed \(completed), kernel dropped \(kernelDrops)")
                #expect(delta.udp4 + kernelDrops >= sent, "knot saw \(delta.udp4) of \(sent) with \(kernelDrops) dropped")
                let kinds = try report.counts("error_kinds")
                #expect(kinds["id_mismatch", default: 0] == 0 && kinds["bad_response", default: 0] == 0, "\(kinds)")
                // Which answer belongs to which query: the rcodes must match what knot sent, name by name
                // (up to the answers the kernel dropped on loadgen's side).
                let rcodes = try report.counts("rcodes")
                let lostAnswers = delta.udp4 - completed
                for rcode in ["NOERROR", "NXDOMAIN"] {
                    let mine = rcodes[rcode, default: 0], knots = delta.rcode(rcode)
                    #expect(mine <= knots && knots - mine <= lostAnswers, "\(rcode): loadgen \(mine), knot \(knots)")
                }
                #expect(rcodes.values.reduce(0, +) == completed, "\(rcodes)")
                #expect(try report.requestedRateIsNull, "closed loop: requested_rate is null")
            }
        }

        @Test("--tcp: knot counts the queries over TCP and the report says tcp")
        func tcpTransport() async throws {
            try await DNSRun.withKnot { ns, port, knot in
                let (_, report, delta) = try await knot.measure(
                    DNSRun.arguments(netns: ns, port: port, ["--tcp", "--rate", "1000", "--duration", "1s", "--timeout", "1s"]),
                    deadline: 10)

                #expect(try report.string("transport") == "tcp")
                let completed = try report.completed
                #expect(completed > 0, "\(report)")
                #expect(completed == delta.tcp4, "knot: \(delta.counters); \(report)")
                #expect(delta.udp4 == 0, "no query may go over UDP with --tcp: \(delta.counters)")
                DNSRun.expectNear(try report.sent, 1000, within: 0.02, "sent at 1000/s for 1 s")
                #expect(try report.int("sockets_outside_netns") == 0)
            }
        }

        @Test("--interval 1ms --count 1000 sends exactly 1000 queries, one per millisecond")
        func intervalAndCount() async throws {
            try await DNSRun.withKnot { ns, port, knot in
                let (_, report, delta) = try await knot.measure(
                    DNSRun.arguments(netns: ns, port: port, ["--interval", "1ms", "--count", "1000", "--timeout", "1s"]),
                    deadline: 10)

                #expect(try report.sent == 1000)
                #expect(delta.udp4 == 1000, "knot: \(delta.counters)")
                #expect(try report.completed == delta.udp4)
                let duration = try report.double("duration_s")
                #expect(duration >= 0.99 && duration <= 1.5, "duration_s \(duration)")
            }
        }

        @Test("SIGINT or SIGTERM stops a 20 s run at once, reports interrupted, accounting intact",
              arguments: [SIGINT, SIGTERM])
        func stopSignal(_ signal: Int32) async throws {
            try await DNSRun.withKnot { ns, port, knot in
                let before = try await knot.stats()
                let arguments = DNSRun.arguments(netns: ns, port: port, ["--rate", "1000", "--duration", "20s", "--timeout", "1s"])
                let child = try LoadGen.start(arguments)
                defer { child.kill() }
                try await Task.sleep(nanoseconds: 1_000_000_000)
                try #require(child.isRunning, "loadgen ended before the signal: \(child.endedSummary)")
                let signalledAt = ChildProcess.nowNanos
                child.signal(signal)
                let outcome = await child.wait(seconds: 10)
                let afterSignal = Double(ChildProcess.nowNanos - signalledAt) / 1e9
                let delta = try await knot.stats() - before

                #expect(!outcome.killedAfterDeadline, "loadgen did not stop within 10 s of the signal")
                #expect(afterSignal <= 3, "loadgen took \(afterSignal) s to stop after signal \(signal)")
                // The run did happen: 0, or 128 + signal for tools that report the interruption in the status.
                try #require(outcome.exitCode == 0 || outcome.exitCode == 128 + signal,
                             "\(outcome.termination); stderr: \(outcome.stderr)")
                var finished = outcome
                finished.termination = .exited(0)
                let report = try LoadGenRun(arguments: arguments, finished, sourceLocation: #_sourceLocation).report()
                try report.expectAccounting()

                #expect(try report.bool("interrupted"))
                let sent = try report.sent
                #expect(sent > 500 && sent < 3000, "about 1 s at 1000/s before the signal: \(report)")
                #expect(try report.completed == delta.udp4, "knot: \(delta.counters); \(report)")
            }
        }
    }
}
