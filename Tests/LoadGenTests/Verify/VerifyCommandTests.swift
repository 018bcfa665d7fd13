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
        let tshark = try options(base + ["--format", "tshark-fields", "--columns", "frame.time_epoch, dns.id,dns.qry.name"])
        #expect(tshark.columns == ["frame.time_epoch", "dns.id", "dns.qry.name"])
        let jsonl = try options(base + ["--format", "jsonl", "--key", "id=dns.id:hex", "--key", "qname=dns.name",
                                        "--where", "qr=Q", "--time", "ts:boottime"])
        #expect(jsonl.keys.map(\.observedPath) == ["dns.id", "dns.name"])
        #expect(jsonl.filters == [.init(path: "qr", value: "Q", equal: true)])
        #expect(jsonl.time == .init(path: "ts", clock: .boottime))
    }

    @Test func usageErrors() {
        #expect(usageError(base + ["--format", "pcap"])?.contains("use one of ig-trace-dns, ig-trace-tcp, tshark-fields, jsonl") == true)
        #expect(usageError(base + ["--format", "jsonl"])?.contains("needs --key") == true)
        #expect(usageError(base + ["--format", "ig-trace-dns", "--key", "id"])?.contains("--key applies to --format jsonl only") == true)
        #expect(usageError(base + ["--format", "ig-trace-dns", "--columns", "dns.id"])?.contains("--columns applies") == true)
        #expect(usageError(base + ["--format", "jsonl", "--key", "id:bogus"])?.contains("unknown conversion 'bogus'") == true)
        #expect(usageError(base + ["--format", "tshark-fields", "--columns", "dns.id,,x"])?.contains("an empty name") == true)
        #expect(usageError(["--events", "-", "--observed", "-", "--format", "jsonl", "--key", "id"])?.contains("both be stdin") == true)
        #expect(throws: (any Error).self) { _ = try VerifyCommand.parse(["--events", "ev.jsonl", "--format", "jsonl"]) }
    }

    @Test func helpDocumentsFormatsKeysAndExitCodes() {
        let help = VerifyCommand.helpMessage(columns: 120)
        for text in ["ig-trace-dns", "ig-trace-tcp", "tshark-fields", "jsonl", "[EVENT_FIELD=]PATH[:CONVERSION]",
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
