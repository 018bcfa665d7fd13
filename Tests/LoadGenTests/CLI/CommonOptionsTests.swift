import ArgumentParser
import Testing
@testable import LoadGen

@Suite struct CommonOptionsTests {
    private func parsed(_ arguments: [String]) throws -> LoadOptions.Parsed {
        try LoadOptions.parse(arguments).parsed()
    }

    /// The message of the validation error `arguments` produce, or nil when they are accepted.
    private func loadError(_ arguments: [String]) throws -> String? {
        let options = try LoadOptions.parse(arguments)
        do {
            _ = try options.parsed()
            return nil
        } catch {
            return error.message
        }
    }

    private func spec(_ arguments: [String]) throws -> NetNamespace.Spec? {
        try TargetOptions.parse(arguments).spec()
    }

    private func targetError(_ arguments: [String]) throws -> String? {
        let options = try TargetOptions.parse(arguments)
        do {
            _ = try options.spec()
            return nil
        } catch let error as ValidationError {
            return error.message
        }
    }

    // MARK: LoadOptions

    @Test func defaultsAreTenSecondsClosedLoopOneThread() throws {
        let p = try parsed([])
        #expect(p.pacer == nil)
        #expect(p.requestedRate == nil)
        #expect(p.count == nil)
        #expect(p.durationNanos == 10_000_000_000)
        #expect(p.concurrency == nil)
        #expect(p.timeoutNanos == 5_000_000_000)
        #expect(p.threads == 1)
        #expect(p.tickNanos == nil)
        #expect(p.effectiveTickNanos == 1_000_000)
    }

    @Test func defaultTickShrinksAtHighRatesToKeepBurstsNear32() throws {
        #expect(try parsed(["--rate", "1000"]).effectiveTickNanos == 1_000_000)
        #expect(try parsed(["--rate", "2000"]).effectiveTickNanos == 500_000, "each event its own wake-up")
        #expect(try parsed(["--rate", "4000"]).effectiveTickNanos == 250_000)
        #expect(try parsed(["--rate", "10k"]).effectiveTickNanos == 1_000_000)
        #expect(try parsed(["--rate", "50k"]).effectiveTickNanos == 640_000)
        #expect(try parsed(["--rate", "100k", "--threads", "2"]).effectiveTickNanos == 640_000)
        #expect(try parsed(["--rate", "1M"]).effectiveTickNanos == 250_000)
        #expect(try parsed(["--rate", "1M", "--tick", "1ms"]).effectiveTickNanos == 1_000_000)
    }

    @Test func countAloneHasNoDuration() throws {
        let p = try parsed(["--count", "1000"])
        #expect(p.count == 1_000)
        #expect(p.durationNanos == nil)
        let short = try parsed(["-n", "10k"])
        #expect(short.count == 10_000)
    }

    @Test func durationAloneAndBoth() throws {
        #expect(try parsed(["-d", "5s"]).durationNanos == 5_000_000_000)
        let both = try parsed(["--count", "100", "--duration", "2m"])
        #expect(both.count == 100)
        #expect(both.durationNanos == 120_000_000_000)
    }

    @Test func rateBuildsAnExactPacer() throws {
        let p = try parsed(["--rate", "1.5M"])
        #expect(p.requestedRate == 1_500_000)
        #expect(p.pacer == Pacer(eventsPerSecondNumerator: 1_500_000, denominator: 1))
        #expect(p.pacer?.offsetNanos(ofEvent: 3) == 2_000)
        #expect(p.durationNanos == 10_000_000_000)
        let short = try parsed(["-R", "20k"])
        #expect(short.requestedRate == 20_000)
        #expect(short.pacer?.offsetNanos(ofEvent: 1) == 50_000)
    }

    @Test func fractionalRateAndOnePerDuration() throws {
        let half = try parsed(["--rate", "0.5"])
        #expect(half.requestedRate == 0.5)
        #expect(half.pacer?.offsetNanos(ofEvent: 1) == 2_000_000_000)
        let perFive = try parsed(["--rate", "1/5ms"])
        #expect(perFive.requestedRate == 200)
        #expect(perFive.pacer?.offsetNanos(ofEvent: 1) == 5_000_000)
    }

    @Test func intervalIsOneEventPerDuration() throws {
        let p = try parsed(["--interval", "1ms", "--count", "1000"])
        #expect(p.pacer == Pacer(periodNanos: 1_000_000))
        #expect(p.requestedRate == 1_000)
        #expect(p.count == 1_000)
        #expect(p.pacer?.offsetNanos(ofEvent: 999) == 999_000_000)
        #expect(try parsed(["--interval", "250us"]).requestedRate == 4_000)
        #expect(try parsed(["--interval", "5"]).pacer?.offsetNanos(ofEvent: 2) == 10_000_000_000)
    }

    @Test func pacerMatchesTheRequestedRateForLongDecimals() throws {
        // The pacer must run at the rate the user typed, however many decimals it has.
        for text in ["20000.0000001", "20000.00000000001", "0.00000000001"] {
            let p = try? parsed(["--rate", text])
            guard let p, let pacer = p.pacer, let requested = p.requestedRate else { continue } // rejecting is fine too
            #expect(abs(pacer.rate - requested) <= requested * 1e-6, "--rate \(text): pacer runs at \(pacer.rate)/s, requested \(requested)/s")
        }
    }

    @Test func rateAndIntervalTogetherIsAnErrorNamingBoth() throws {
        let message = try loadError(["--rate", "100", "--interval", "1ms"])
        #expect(message?.contains("--rate") == true)
        #expect(message?.contains("--interval") == true)
    }

    @Test func badValuesNameTheFlagAndTheValue() throws {
        #expect(try loadError(["--rate", "0"]) == "--rate: '0' must be a rate above zero, such as 2500, 20k or 1.5M")
        #expect(try loadError(["--rate", "abc"])?.hasPrefix("--rate: 'abc' is not a rate") == true)
        #expect(try loadError(["--rate=-5"])?.hasPrefix("--rate: '-5' is not a rate") == true)
        #expect(try loadError(["--interval", "0"]) == "--interval: '0' must be longer than zero")
        #expect(try loadError(["--count", "1.5"])?.hasPrefix("--count: '1.5' is not a whole number") == true)
        #expect(try loadError(["--count", "0"]) == "--count: '0' must be above zero")
        #expect(try loadError(["--duration", "10x"])?.hasPrefix("--duration: '10x' is not a duration") == true)
        #expect(try loadError(["--timeout", "0"]) == "--timeout: '0' must be longer than zero")
        #expect(try loadError(["--concurrency", "0"]) == "--concurrency: '0' must be above zero")
        #expect(try loadError(["--concurrency", "abc"])?.hasPrefix("--concurrency: 'abc' is not a count") == true)
        #expect(try loadError(["--concurrency", "20M"]) == "--concurrency: '20M' is above 10,000,000")
    }

    @Test func threadsMustBeFromOneTo256() throws {
        #expect(try loadError(["--threads", "0"]) == "--threads: '0' must be above zero")
        #expect(try loadError(["--threads", "257"]) == "--threads: '257' must be from 1 to 256")
        #expect(try loadError(["-t", "abc"])?.hasPrefix("--threads: 'abc' is not a count") == true)
        #expect(try parsed(["--threads", "256"]).threads == 256)
        #expect(try parsed(["-t", "4"]).threads == 4)
    }

    @Test func concurrencyTimeoutAndTick() throws {
        let p = try parsed(["--concurrency", "10k", "--timeout", "250ms", "--tick", "100us"])
        #expect(p.concurrency == 10_000)
        #expect(p.timeoutNanos == 250_000_000)
        #expect(p.tickNanos == 100_000)
        #expect(try parsed(["--concurrency", "10M"]).concurrency == 10_000_000)
        #expect(try loadError(["--tick", "10us"]) == "--tick: '10us' must be from 20us to 1s")
        #expect(try loadError(["--tick", "2s"]) == "--tick: '2s' must be from 20us to 1s")
        #expect(try parsed(["--tick", "20us"]).tickNanos == 20_000)
        #expect(try parsed(["--tick", "1s"]).tickNanos == 1_000_000_000)
    }

    // MARK: TargetOptions

    @Test func noTargetMeansTheCurrentNamespace() throws {
        #expect(try spec([]) == nil)
    }

    @Test func netnsWithASlashIsAPathWithoutIsAName() throws {
        #expect(try spec(["--netns", "bench"]) == .name("bench"))
        #expect(try spec(["--netns", "/proc/42/ns/net"]) == .path("/proc/42/ns/net"))
        #expect(try spec(["--netns", "./ns"]) == .path("./ns"))
        #expect(try targetError(["--netns", ""]) == "--netns: give a name under /run/netns or a path")
    }

    @Test func pidIsAPositiveNumber() throws {
        #expect(try spec(["--pid", "4242"]) == .pid(4242))
        for bad in ["0", "-1", "abc", "", "99999999999"] {
            #expect(try targetError(bad.hasPrefix("-") ? ["--pid=\(bad)"] : ["--pid", bad]) == "--pid: '\(bad)' is not a process ID; give a number above zero such as $(pidof nginx)", "\(bad)")
        }
    }

    @Test func severalTargetsAreKeptInOrderNetnsFirst() throws {
        let specs = try TargetOptions.parse(["--pid", "1", "--netns", "a", "--netns", "b"]).specs()
        #expect(specs == [.name("a"), .name("b"), .pid(1)])
        #expect(try targetError(["--netns", "a", "--netns", "a"]) == "the same namespace is named twice; name each target once")
    }

    @Test func threadsAndRateSpreadOverTargets() throws {
        var p = try parsed(["--rate", "1000", "--threads", "2"])
        try TargetOptions.parse(["--netns", "a", "--netns", "b"]).apply(to: &p, targets: 2)
        #expect(p.threads == 4)
        #expect(p.requestedRate == 1000, "the rate is split, not multiplied")
        var q = try parsed(["--rate", "1000"])
        try TargetOptions.parse(["--netns", "a", "--netns", "b", "--rate-per-target"]).apply(to: &q, targets: 2)
        #expect(q.requestedRate == 2000)
        #expect(q.pacer?.offsetNanos(ofEvent: 2_000) == 1_000_000_000)
        var r = try parsed(["--rate", "1000"])
        #expect(throws: ValidationError.self) {
            try TargetOptions.parse(["--rate-per-target"]).apply(to: &r, targets: 1)
        }
    }

    @Test func outputFlagsDefaultOff() throws {
        let o = try OutputOptions.parse([])
        #expect(!o.json && !o.latency && !o.progress && !o.quiet)
        let on = try OutputOptions.parse(["--json", "--latency", "--progress", "--quiet"])
        #expect(on.json && on.latency && on.progress && on.quiet)
    }
}
