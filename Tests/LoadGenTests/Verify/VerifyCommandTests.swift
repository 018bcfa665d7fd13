import ArgumentParser
import Foundation
import Testing
@testable import LoadGen

@Suite struct VerifyCommandTests {
    private func options(_ arguments: [String]) throws -> VerifyOptions {
        try VerifyCommand.parse(arguments).makeOptions()
    }

    private func usageError(_ arguments: [String]) -> String? {
        do {
            _ = try options(arguments)
            return nil
        } catch let error as ValidationError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    private let base = ["--events", "ev.jsonl", "--observed", "obs"]

    @Test func formatsAndTheirOptions() throws {
        #expect(try options(base + ["--format", "ig-trace-dns"]).format == .igTraceDNS)
        #expect(try options(base + ["--format", "ig-trace-tcp"]).format == .igTraceTCP)
        #expect(try options(base + ["--format", "ig-trace-ssl"]).format == .igTraceSSL)
        let tshark = try options(base + ["--format", "tshark-fields", "--columns", "frame.time_epoch, dns.id,dns.qry.name"])
        #expect(tshark.columns == ["frame.time_epoch", "dns.id", "dns.qry.name"])
        let jsonl = try options(base + ["--format", "jsonl", "--key", "id=dns.id:hex", "--key", "qname=dns.name",
                                        "--where", "qr=Q", "--time", "ts:boottime"])
        #expect(jsonl.keys.map(\.observedPath) == ["dns.id", "dns.name"])
        #expect(jsonl.filters == [.init(path: "qr", value: "Q", equal: true)])
        #expect(jsonl.time == .init(path: "ts", clock: .boottime))
    }

    @Test func usageErrors() {
        #expect(usageError(base + ["--format", "pcap"])?.contains("use one of ig-trace-dns, ig-trace-tcp, ig-trace-ssl, tshark-fields, jsonl") == true)
        #expect(usageError(base + ["--format", "jsonl"])?.contains("needs --key") == true)
        #expect(usageError(base + ["--format", "ig-trace-dns", "--key", "id"])?.contains("--key applies to --format jsonl only") == true)
        #expect(usageError(base + ["--format", "ig-trace-dns", "--columns", "dns.id"])?.contains("--columns applies") == true)
        #expect(usageError(base + ["--format", "ig-trace-ssl", "--key", "url"])?.contains("--key applies to --format jsonl only") == true)
        #expect(usageError(base + ["--format", "jsonl", "--key", "id:bogus"])?.contains("unknown conversion 'bogus'") == true)
        #expect(usageError(base + ["--format", "tshark-fields", "--columns", "dns.id,,x"])?.contains("an empty name") == true)
        #expect(usageError(["--events", "-", "--observed", "-", "--format", "jsonl", "--key", "id"])?.contains("both be stdin") == true)
        #expect(throws: (any Error).self) { _ = try VerifyCommand.parse(["--events", "ev.jsonl", "--format", "jsonl"]) }
    }

    @Test func helpDocumentsFormatsKeysAndExitCodes() {
        let help = VerifyCommand.helpMessage(columns: 120)
        for text in ["ig-trace-dns", "ig-trace-tcp", "ig-trace-ssl", "libssl_SSL_write", "tshark-fields", "jsonl", "[EVENT_FIELD=]PATH[:CONVERSION]",
                     "--key id=dns.id:hex,qname=dns.name", "sent_boottime_ns", "Exit status: 0", "3 something was"] {
            #expect(help.contains(text), "\(text)")
        }
    }

    @Test func unreadableFilesAreInputErrors() {
        #expect(throws: VerifyInputError(file: "/nonexistent/ev.jsonl", "does not exist (--events)")) {
            _ = try VerifyCommand.read("/nonexistent/ev.jsonl", flag: "--events")
        }
        #expect(throws: VerifyInputError(file: "/", "is a directory (--observed)")) {
            _ = try VerifyCommand.read("/", flag: "--observed")
        }
    }

    @Test func filesAreReadWhole() throws {
        let directory = try TemporaryDirectory.make(prefix: "verify-read")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("events.jsonl").path
        let content = (0..<300_000).map { UInt8($0 % 251) }
        try Data(content).write(to: URL(fileURLWithPath: path))
        #expect(try VerifyCommand.read(path, flag: "--events") == content)
        let empty = directory.appendingPathComponent("empty").path
        try Data().write(to: URL(fileURLWithPath: empty))
        #expect(try VerifyCommand.read(empty, flag: "--events") == [])
    }
}

/// An events log with nothing to verify against is an error (exit 1), never "every one of the 0 queries was
/// observed".
@Suite struct VerifyNoGroundTruthTests {
    private let observed = VerifySamples.igImageDNS(id: 0x1000, name: "q0.example.test") + "\n"

    private func failure(events: String, format: VerifyFormat = .igTraceDNS) -> VerifyInputError? {
        do {
            _ = try Verifier.run(events: events, observed: observed, options: VerifyOptions(format: format))
            return nil
        } catch {
            return error
        }
    }

    @Test func anEmptyEventsLogIsNoGroundTruth() throws {
        for events in ["", "\n\n"] {
            let error = try #require(failure(events: events))
            #expect(error.exitCode == 1)
            #expect(error.description.hasPrefix("events.jsonl: no events to verify against (--events): the log is empty"))
        }
    }

    @Test func aLogWithoutEventsOfTheJoinedKindIsNoGroundTruth() throws {
        let http = (0..<3).map { VerifySamples.httpEvent(seq: $0, connection: 0, srcPort: 40_000) }.joined(separator: "\n")
        let error = try #require(failure(events: http))
        #expect(error.exitCode == 1)
        #expect(error.message == "no events to verify against (--events): none of its 3 events is a DNS query (loadgen dns --events), which --format ig-trace-dns joins")
        #expect(failure(events: VerifySamples.dnsEvents(2), format: .igTraceTCP)?.exitCode == 1)
    }

    @Test func oneEventIsEnoughToVerify() throws {
        let report = try Verifier.run(events: VerifySamples.dnsEvents(1), observed: observed,
                                      options: VerifyOptions(format: .igTraceDNS))
        #expect(report.exitCode == 0 && report.generated == 1)
        #expect(VerifyInputError(file: "x", "malformed").exitCode == 2, "other input errors stay usage errors")
    }

    @Test func theCommandExitsOneAndSaysWhy() async throws {
        let directory = try TemporaryDirectory.make(prefix: "verify-empty")
        defer { try? FileManager.default.removeItem(at: directory) }
        let events = directory.appendingPathComponent("events.jsonl").path
        let observedPath = directory.appendingPathComponent("observed.json").path
        try Data().write(to: URL(fileURLWithPath: events))
        try observed.write(toFile: observedPath, atomically: true, encoding: .utf8)
        let run = try await LoadGen.run(["verify", "--events", events, "--observed", observedPath, "--format", "ig-trace-dns"],
                                        deadline: 20)
        run.expectError(exitCode: 1, mentions: ["no events to verify against", events, "empty"], errorLine: false)
        #expect(run.stderr.hasPrefix("loadgen verify: \(events): no events to verify against"))
        #expect(!run.stdout.contains("every one of"))
    }
}
