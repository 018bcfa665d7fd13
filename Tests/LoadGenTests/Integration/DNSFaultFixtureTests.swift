import Foundation
import Testing

extension DNSIntegrationTests {
    /// A misbehaving server (the suite's own fixture): what loadgen counts, checked against what the server logged.
    @Suite struct FaultFixture {
        @Test("an answer sent twice completes its query once; the second is a duplicate_answer")
        func answerTwice() async throws {
            try await DNSFault.withFixture(.twice) { ns, port, server in
                let (_, report) = try await DNSFault.run(
                    DNSFault.arguments(ns, port: port, ["--rate", "200", "--count", "200", "--timeout", "1s"]),
                    schedule: 1, timeout: 1)
                let queries = server.entries("query", proto: "udp").count
                let duplicates = server.entries("answer", proto: "udp").filter { $0.kind == "duplicate" }.count
                #expect(try report.sent == 200 && queries == 200, "server saw \(queries); \(report)")
                #expect(try report.completed == 200, "\(report)")
                #expect(duplicates == 200, "the server sent \(duplicates) duplicates")
                #expect(try report.int("duplicate_answers") == duplicates, "\(report.object["duplicate_answers"] ?? "")")
                #expect(try report.int("id_mismatch") == 0 && report.int("late_answers") == 0)
            }
        }

        @Test("TC set: the answer completes its query and counts as truncated; nothing goes over TCP")
        func truncatedWithoutFallback() async throws {
            try await DNSFault.withFixture(.tc) { ns, port, server in
                let (_, report) = try await DNSFault.run(
                    DNSFault.arguments(ns, port: port, ["--rate", "200", "--count", "100", "--timeout", "1s"]),
                    schedule: 0.5, timeout: 1)
                #expect(try report.completed == 100, "\(report)")
                #expect(try report.int("truncated") == 100)
                #expect(try report.int("tc_fallbacks") == 0)
                #expect(server.entries("answer", proto: "udp").filter { $0.kind == "truncated" }.count == 100)
                #expect(server.entries("query", proto: "tcp").isEmpty, "no TCP query without --tc-fallback")
            }
        }

        @Test("TC set with --tc-fallback: each query goes again over TCP and completes once from there")
        func truncatedWithFallback() async throws {
            try await DNSFault.withFixture(.tc) { ns, port, server in
                let (_, report) = try await DNSFault.run(
                    DNSFault.arguments(ns, port: port, ["--rate", "200", "--count", "100", "--timeout", "1s", "--tc-fallback"]),
                    schedule: 0.5, timeout: 1)
                let udpIDs = Set(server.entries("query", proto: "udp").compactMap(\.id))
                let tcpIDs = server.entries("query", proto: "tcp").compactMap(\.id)
                #expect(try report.sent == 100 && report.completed == 100, "\(report)")
                #expect(try report.int("tc_fallbacks") == 100, "\(report.object["tc_fallbacks"] ?? "")")
                #expect(try report.int("truncated") == 0, "the answers that completed came over TCP, whole")
                #expect(tcpIDs.count == 100 && Set(tcpIDs) == udpIDs, "TCP queries \(tcpIDs.count), the same IDs as over UDP")
                #expect(server.entries("answer", proto: "tcp").count == 100)
            }
        }

        @Test("SERVFAIL and REFUSED answers are completions with those rcodes", arguments: [
            DNSFixtureServer.Mode.servfail, .refused,
        ])
        func errorRcodes(_ mode: DNSFixtureServer.Mode) async throws {
            try await DNSFault.withFixture(mode) { ns, port, server in
                let (_, report) = try await DNSFault.run(
                    DNSFault.arguments(ns, port: port, ["--rate", "200", "--count", "100", "--timeout", "1s"]),
                    schedule: 0.5, timeout: 1)
                let rcodes = try report.counts("rcodes")
                let name = mode == .servfail ? "SERVFAIL" : "REFUSED"
                #expect(try report.completed == 100 && report.errors == 0, "\(report)")
                #expect(rcodes == [name: 100], "rcodes \(rcodes)")
                #expect(server.entries("answer", proto: "udp").filter { $0.kind == mode.rawValue }.count == 100)
            }
        }

        @Test("an answer 2 s late with --timeout 1s: a timeout, and the late answer is counted, never completed")
        func lateAnswer() async throws {
            // Answers to the queries of the first ~2 s arrive while the run still listens.
            try await expectLateAnswers(delay: 2, ["--rate", "5", "--duration", "3s", "--timeout", "1s"],
                                        sent: 15, schedule: 3, answeredAtLeast: 5)
        }

        /// At 50/s the loop wakes every 10 ms (send, then the 10 ms housekeeping wake), and each wake reads the
        /// answers before c-ares expires queries. An answer 28 ms after a 25 ms timeout thus arrives between
        /// the wake that could have expired its query (20 ms) and the one that reads it (30 ms): c-ares still
        /// matches it, and only its kernel receive time says it came too late.
        @Test("an answer 3 ms after --timeout 25ms, read before c-ares expired its query: a timeout and a late answer")
        func answerJustAfterTimeout() async throws {
            try await expectLateAnswers(delay: 0.028, ["--rate", "50", "--count", "50", "--timeout", "25ms"],
                                        sent: 50, schedule: 1, answeredAtLeast: 45)
        }

        /// Every query times out and every answer the server sent while loadgen listened is a late answer (the
        /// server may send one or two more as loadgen closes its socket).
        private func expectLateAnswers(delay: Double, _ options: [String], sent: Int, schedule: Double,
                                       answeredAtLeast: Int) async throws {
            try await DNSFault.withFixture(.delay, delay: delay) { ns, port, server in
                let (_, report) = try await DNSFault.run(DNSFault.arguments(ns, port: port, options),
                                                         schedule: schedule, timeout: 1)
                let answered = server.entries("answer", proto: "udp").count
                let late = try report.int("late_answers")
                #expect(try report.sent == sent && server.entries("query", proto: "udp").count == sent, "\(report)")
                #expect(try report.completed == 0 && report.timeouts == sent, "\(report)")
                #expect(answered >= answeredAtLeast && late <= answered && late >= answered - 2,
                        "late \(late), server answered \(answered)")
                #expect(try report.int("duplicate_answers") == 0 && report.int("id_mismatch") == 0)
            }
        }

        @Test("an answer with a wrong ID or question is an id_mismatch, and its query times out", arguments: [
            DNSFixtureServer.Mode.wrongID, .wrongQuestion,
        ])
        func mismatchedAnswer(_ mode: DNSFixtureServer.Mode) async throws {
            try await DNSFault.withFixture(mode) { ns, port, server in
                let (_, report) = try await DNSFault.run(
                    DNSFault.arguments(ns, port: port, ["--rate", "100", "--count", "50", "--timeout", "1s"]),
                    schedule: 0.5, timeout: 1)
                let answered = server.entries("answer", proto: "udp").count
                #expect(answered == 50, "the server answered \(answered) times")
                #expect(try report.completed == 0 && report.timeouts == 50, "\(report)")
                #expect(try report.int("id_mismatch") == answered)
                #expect(try report.int("late_answers") == 0 && report.int("duplicate_answers") == 0)
            }
        }
    }
}
