import ArgumentParser
import Testing
@testable import LoadGen

@Suite struct CommonOptionsTests {
    private func parsed(_ arguments: [String]) throws -> LoadOptions.Parsed {
        try LoadOptions.parse(arguments).parsed()
    }

    /// The message `arguments` are refused with (by the parser or by `parsed()`), or nil when they are accepted.
    private func loadError(_ arguments: [String]) -> String? {
        do {
            _ = try LoadOptions.parse(arguments).parsed()
            return nil
        } catch {
            return LoadOptions.message(for: error)
        }
    }

    /// argument-parser's message for a value a flag refuses, followed by loadgen's reason.
    private func invalid(_ flag: String, _ value: String, _ reason: String) -> String {
        "The value '\(value)' is invalid for '\(flag) <\(flag == "--interval" || flag == "--duration" || flag == "--timeout" || flag == "--tick" ? "DUR" : "N")>': \(reason)"
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
        #expect(p.pacing == .precise)
        #expect(p.effectiveTickNanos == 0, "precise pacing: a wake-up per event")
    }

    @Test func batchWindowShrinksAtHighRatesToKeepBurstsNear32() throws {
        let batch = ["--pacing", "batch"]
        #expect(try parsed(batch).effectiveTickNanos == 1_000_000)
        #expect(try parsed(batch + ["--rate", "1000"]).effectiveTickNanos == 1_000_000)
        #expect(try parsed(batch + ["--rate", "2000"]).effectiveTickNanos == 500_000, "each event its own wake-up")
        #expect(try parsed(batch + ["--rate", "4000"]).effectiveTickNanos == 250_000)
        #expect(try parsed(batch + ["--rate", "10k"]).effectiveTickNanos == 1_000_000)
        #expect(try parsed(batch + ["--rate", "50k"]).effectiveTickNanos == 1_000_000)
        #expect(try parsed(batch + ["--rate", "80k"]).effectiveTickNanos == 625_000, "bursts of about 50")
        #expect(try parsed(batch + ["--rate", "160k", "--threads", "2"]).effectiveTickNanos == 625_000)
        #expect(try parsed(batch + ["--rate", "1M"]).effectiveTickNanos == 250_000)
        #expect(try parsed(["--rate", "1M", "--pacing", "batch=1ms"]).effectiveTickNanos == 1_000_000)
        #expect(try parsed(["--rate", "1M", "--tick", "1ms"]).effectiveTickNanos == 1_000_000, "--tick is batch=")
        #expect(try parsed(["--rate", "1M", "--pacing", "precise"]).effectiveTickNanos == 0)
    }

    @Test func warmupMustLeaveSomethingToMeasure() throws {
        #expect(try parsed(["--rate", "1000", "--duration", "10s", "--warmup", "2s"]).warmupNanos == 2_000_000_000)
        #expect(try parsed(["--rate", "1000", "--count", "5000", "--warmup", "4s"]).warmupNanos == 4_000_000_000)
        #expect(loadError(["--rate", "1000", "--duration", "2s", "--warmup", "2s"])?.contains("--warmup 2s is not shorter than the run (--duration 2s)") == true)
        #expect(loadError(["--rate", "1000", "--count", "2000", "--warmup", "3s"])?.contains("longer than the schedule of --count 2000 (1.999 s)") == true)
        #expect(loadError(["--warmup", "0s"])?.contains("--warmup") == true)
    }

    @Test func pacingModesAndTheirMistakes() throws {
        #expect(try parsed(["--pacing", "batch=250us"]).pacing == .batch(windowNanos: 250_000))
        #expect(loadError(["--pacing", "smooth"])?.contains("use precise or batch[=WINDOW]") == true)
        #expect(loadError(["--pacing", "batch=10us"])?.contains("below 20us") == true)
        #expect(loadError(["--pacing", "precise", "--tick", "1ms"])?.contains("--tick DUR is --pacing batch=DUR") == true)
        #expect(Pacing.batch(windowNanos: 500_000).description == "batch=500us")
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
        let message = loadError(["--rate", "100", "--interval", "1ms"])
        #expect(message?.contains("--rate") == true)
        #expect(message?.contains("--interval") == true)
    }

    @Test func badValuesNameTheFlagAndTheValue() throws {
        #expect(loadError(["--rate", "0"]) == invalid("--rate", "0", "must be a rate above zero, such as 2500, 20k or 1.5M"))
        #expect(loadError(["--rate", "abc"])?.hasPrefix(invalid("--rate", "abc", "is not a rate")) == true)
        #expect(loadError(["--rate=-5"])?.hasPrefix(invalid("--rate", "-5", "is not a rate")) == true)
        #expect(loadError(["--interval", "0"]) == invalid("--interval", "0", "must be longer than zero"))
        #expect(loadError(["--count", "1.5"])?.hasPrefix(invalid("--count", "1.5", "is not a whole number")) == true)
        #expect(loadError(["--count", "0"]) == invalid("--count", "0", "must be above zero"))
        #expect(loadError(["--duration", "10x"])?.hasPrefix(invalid("--duration", "10x", "is not a duration")) == true)
        #expect(loadError(["--timeout", "0"]) == invalid("--timeout", "0", "must be longer than zero"))
        #expect(loadError(["--concurrency", "0"]) == invalid("--concurrency", "0", "must be above zero"))
        #expect(loadError(["--concurrency", "abc"])?.hasPrefix(invalid("--concurrency", "abc", "is not a count")) == true)
        #expect(loadError(["--concurrency", "20M"]) == invalid("--concurrency", "20M", "is above 10,000,000; use 1 to 10,000,000"))
    }

    @Test func threadsMustBeFromOneTo256() throws {
        #expect(loadError(["--threads", "0"]) == invalid("--threads", "0", "must be above zero"))
        #expect(loadError(["--threads", "257"]) == invalid("--threads", "257", "is above 256; use 1 to 256"))
        #expect(loadError(["-t", "abc"])?.hasPrefix("The value 'abc' is invalid for '-t <N>': is not a count") == true)
        #expect(try parsed(["--threads", "256"]).threads == 256)
        #expect(try parsed(["-t", "4"]).threads == 4)
    }

    @Test func concurrencyTimeoutAndTick() throws {
        let p = try parsed(["--concurrency", "10k", "--timeout", "250ms", "--tick", "100us"])
        #expect(p.concurrency == 10_000)
        #expect(p.timeoutNanos == 250_000_000)
        #expect(p.pacing == .batch(windowNanos: 100_000))
        #expect(try parsed(["--concurrency", "10M"]).concurrency == 10_000_000)
        #expect(loadError(["--tick", "10us"]) == invalid("--tick", "10us", "is below 20us; use 20us to 1s"))
        #expect(loadError(["--tick", "2s"]) == invalid("--tick", "2s", "is above 1s; use 20us to 1s"))
        #expect(try parsed(["--tick", "20us"]).effectiveTickNanos == 20_000)
        #expect(try parsed(["--tick", "1s"]).effectiveTickNanos == 1_000_000_000)
    }

    @Test func timeoutIsFromOneMillisecondToOneHour() throws {
        // Below 1 ms it used to be accepted and never enforced; above 1 h c-ares' Int32 milliseconds overflow.
        #expect(loadError(["--timeout", "50us"])
            == invalid("--timeout", "50us", "is below 1ms, the granularity at which loadgen times events out; use 1ms to 1h"))
        #expect(loadError(["--timeout", "999999ns"])?.contains("is below 1ms") == true)
        #expect(loadError(["--timeout", "61m"]) == invalid("--timeout", "61m", "is above 1h; use 1ms to 1h"))
        #expect(loadError(["--timeout", "25d"]) == invalid("--timeout", "25d", "is above 1h; use 1ms to 1h"))
        #expect(try parsed(["--timeout", "1ms"]).timeoutNanos == 1_000_000)
        #expect(try parsed(["--timeout", "1h"]).timeoutNanos == 3_600_000_000_000)
    }

    @Test func intervalIsCappedAtTheRateCap() throws {
        // --rate refuses more than 50M/s; --interval 1ns (10^9/s) must be refused the same way.
        #expect(loadError(["--rate", "1G"]) == invalid("--rate", "1G", "is above 50M events per second"))
        #expect(loadError(["--interval", "1ns"])
            == invalid("--interval", "1ns", "is above 50M events per second, the most --rate takes too; use 20ns or longer"))
        #expect(loadError(["--interval", "19ns"])?.contains("above 50M events per second") == true)
        #expect(try parsed(["--interval", "20ns"]).requestedRate == 50_000_000)
        #expect(loadError(["--interval", "31d"]) == invalid("--interval", "31d", "is above 30d; use 20ns to 30d"))
    }

    @Test func durationAndCountAreBounded() throws {
        #expect(loadError(["--duration", "31d"]) == invalid("--duration", "31d", "is above 30d; use 1ns to 30d"))
        #expect(try parsed(["--duration", "30d"]).durationNanos == 30 * 86_400_000_000_000)
        #expect(loadError(["--count", "10000000G"])
            == invalid("--count", "10000000G", "is above 9,007,199,254,740,992; use 1 to 9,007,199,254,740,992 (event numbers stay exact in JSON up to 2^53)"))
        #expect(try parsed(["--count", "9007199254740992"]).count == 1 << 53)
    }

    @Test func aPacedCountMustFitTheSchedule() throws {
        // count / rate beyond 30 days without --duration; beyond 64-bit nanoseconds in any case (it used to trap).
        #expect(loadError(["--count", "3M", "--rate", "1"])
            == "--count 3000000 at --rate 1 would issue for 35 days; a run issues for at most 30d: lower --count, raise the rate, or add --duration")
        #expect(try parsed(["--count", "3M", "--rate", "1", "--duration", "10s"]).count == 3_000_000)
        #expect(try parsed(["--count", "2M", "--rate", "1"]).count == 2_000_000, "23 days")
        #expect(loadError(["--count", "1G", "--rate", "0.000001", "--duration", "1s"])
            == "--count 1000000000 at --rate 1e-06 would take centuries to issue; lower --count or raise the rate")
        #expect(loadError(["--count", "9007199254740992", "--interval", "30d", "-d", "1s"])?.contains("centuries") == true)
        #expect(loadError(["--count", "100", "--interval", "1d"])?.contains("would issue for 100 days") == true)
        #expect(try parsed(["--count", "9007199254740992"]).count == 1 << 53, "closed loop: no schedule")
    }

    @Test func valuesAreTypedWhenParsed() throws {
        let options = try LoadOptions.parse(["-R", "1.5k", "-n", "10k", "-d", "2m", "--timeout", "250ms", "-t", "2"])
        #expect(options.rate == .rate(Rate(argument: "1500")!))
        #expect(options.count == Count(10_000))
        #expect(options.duration == TimeSpan(nanos: 120_000_000_000))
        #expect(options.timeout == TimeSpan(nanos: 250_000_000))
        #expect(options.threads == Count(2))
        #expect(TimeSpan(nanos: 250_000_000).description == "250ms")
        #expect(TimeSpan.day.description == "1d" && TimeSpan(nanos: 1_500_000_000).description == "1500ms")
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
