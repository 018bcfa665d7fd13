import ArgumentParser
import Testing
@testable import LoadGen

@Suite struct ThresholdOptionsTests {
    private func thresholds(_ arguments: [String], openLoop: Bool = true) throws -> [Threshold] {
        try ThresholdOptions.parse(arguments).thresholds(openLoop: openLoop)
    }

    /// The message argument-parser prints for `arguments`, as `loadgen dns` shows it ("" when accepted), and
    /// whether it is a usage error (exit 2).
    private func message(_ arguments: [String]) -> (text: String, usage: Bool) {
        do {
            _ = try DNSCommand.parse(arguments)
            return ("", false)
        } catch {
            return (DNSCommand.message(for: error), DNSCommand.exitCode(for: error) == .validationFailure)
        }
    }

    @Test func parsesEachKind() throws {
        let parsed = try thresholds(["--max-error-ratio", "0.01", "--min-rate-ratio", "99%",
                                     "--max-latency", "p99=5ms", "--max-latency", "p99.9=20ms", "--max-latency", "P50=250us"])
        #expect(parsed == [.maxErrorRatio(0.01), .minRateRatio(0.99), .maxLatency(percentile: 99, nanos: 5_000_000),
                           .maxLatency(percentile: 99.9, nanos: 20_000_000), .maxLatency(percentile: 50, nanos: 250_000)])
        #expect(try thresholds([]) == [])
    }

    @Test("boundaries that are accepted", arguments: [
        ["--max-error-ratio", "0"], ["--max-error-ratio", "1"], ["--max-error-ratio", "100%"], ["--min-rate-ratio", "1"],
        ["--min-rate-ratio", "0.000001"], ["--max-latency", "p100=1h"], ["--max-latency", "p0.001=1ns"],
    ])
    func accepted(arguments: [String]) throws {
        #expect(try thresholds(arguments).count == 1)
    }

    @Test("bad values name the flag and say what would work", arguments: [
        (["--max-error-ratio", "abc"], ["--max-error-ratio", "0.01"]),
        (["--max-error-ratio", "1.5"], ["--max-error-ratio", "above 1"]),
        (["--max-error-ratio", "-0.1"], ["--max-error-ratio"]),
        (["--min-rate-ratio", "0"], ["--min-rate-ratio", "above 0"]),
        (["--min-rate-ratio", "120%"], ["--min-rate-ratio", "above 1"]),
        (["--max-latency", "p99"], ["--max-latency", "p99=5ms"]),
        (["--max-latency", "99=5ms"], ["--max-latency", "percentile", "p99.9"]),
        (["--max-latency", "p0=5ms"], ["--max-latency", "above 0"]),
        (["--max-latency", "p100.1=5ms"], ["--max-latency", "at most 100"]),
        (["--max-latency", "pxx=5ms"], ["--max-latency", "percentile"]),
        (["--max-latency", "p99=fast"], ["--max-latency", "250us"]),
        (["--max-latency", "p99=0ms"], ["--max-latency", "longer than zero"]),
        (["--max-latency", "p99=1ms", "--max-latency", "p99=2ms"], ["--max-latency", "twice"]),
    ] as [([String], [String])])
    func rejected(arguments: [String], mentions: [String]) {
        let (text, usage) = message(arguments)
        #expect(!text.isEmpty, "\(arguments) was accepted")
        #expect(usage, "\(arguments) is not a usage error: \(text)")
        for word in mentions { #expect(text.contains(word), "\(arguments): \(text)") }
    }

    @Test("--min-rate-ratio needs a requested rate: a usage error in closed loop")
    func rateRatioNeedsOpenLoop() throws {
        #expect(throws: ValidationError.self) { try thresholds(["--min-rate-ratio", "0.9"], openLoop: false) }
        #expect(try thresholds(["--max-error-ratio", "0.5", "--max-latency", "p99=1s"], openLoop: false).count == 2)
        do {
            _ = try thresholds(["--min-rate-ratio", "0.9"], openLoop: false)
        } catch let error as ValidationError {
            #expect(error.message.contains("--rate or --interval"))
        }
    }

    @Test("arguments round-trip (eventgen passes them on to dns and http)")
    func roundTrip() throws {
        let options = try ThresholdOptions.parse(["--max-error-ratio", "1%", "--min-rate-ratio", "0.9", "--max-latency", "p99.9=20ms"])
        #expect(options.arguments == ["--max-error-ratio", "1%", "--min-rate-ratio", "0.9", "--max-latency", "p99.9=20ms"])
        #expect(try ThresholdOptions.parse(options.arguments).thresholds(openLoop: true) == options.thresholds(openLoop: true))
        let eventgen = try EventgenCommand.parse(["--type", "dns", "--params", "domain:a.test", "--max-latency", "p99=5ms"])
        #expect(try eventgen.translatedArguments().suffix(2) == ["--max-latency", "p99=5ms"])
    }

    @Test("dns and http take the thresholds")
    func commandsTakeThem() throws {
        let dns = try DNSCommand.parse(["--server", "127.0.0.1", "--max-error-ratio", "0.01"])
        #expect(try dns.thresholds.thresholds(openLoop: false) == [.maxErrorRatio(0.01)])
        let http = try HTTPCommand.parse(["http://127.0.0.1/", "--max-latency", "p90=1s"])
        #expect(try http.thresholds.thresholds(openLoop: false) == [.maxLatency(percentile: 90, nanos: 1_000_000_000)])
    }
}
