import CLoadGenSys

extension Reports {
    /// Renders and returns what goes to stdout; writes the stderr part itself.
    static func render(_ header: ReportHeader, _ result: RunResult, output: RunConfig.Output,
                       codeNames: (Int) -> String) -> String {
        let rendered = make(header, result, json: output.json, spectrum: output.latencySpectrum, codeNames: codeNames)
        if !rendered.stderr.isEmpty { Console.error(rendered.stderr) }
        return rendered.stdout
    }
}

extension Reports {
    /// Runs `config` once and prints its report (thresholds evaluated); returns the header and the result for the
    /// caller's verdict. A Ctrl-C caught during setup becomes the run's stop request (a report with nothing sent).
    static func runOnce(_ config: RunConfig, thresholds options: ThresholdOptions,
                        header: (RunConfig, [ThresholdOutcome]) -> ReportHeader,
                        codeNames: (Int) -> String) throws -> (ReportHeader, RunResult) {
        let limits = try options.thresholds(openLoop: config.load.requestedRate != nil)
        CLoadGenSys_hold_stop_signals()
        let result = try Runner.run(config)
        let outcomes = Thresholds.evaluate(limits, result, requestedRate: config.load.requestedRate)
        let header = header(config, outcomes)
        emit(render(header, result, output: config.output, codeNames: codeNames), output: config.output)
        return (header, result)
    }
}

extension Reports {
    /// The report goes to stdout, or to stderr when stdout carries the event log (`--events -`).
    static func emit(_ text: String, output: RunConfig.Output) {
        if output.eventsOnStdout {
            Console.error(text)
        } else {
            print(text, terminator: "")
        }
    }
}

/// A finished run that must not exit 0 (DESIGN.md §3): its report was printed; the message goes to stderr.
struct RunExit: Error, CustomStringConvertible {
    /// 1: no event completed; 4: a threshold was breached.
    let code: Int32
    let description: String
}

extension Reports {
    /// The exit status of a run whose report was printed: nil for 0 (at least one event completed and every
    /// threshold held), 1 when no event completed, else 4 when a threshold was breached.
    static func verdict(_ header: ReportHeader, _ result: RunResult) -> RunExit? {
        let c = result.counters
        if c.completed == 0 {
            return RunExit(code: 1, description: nothingCompleted(header, result))
        }
        let failed = header.thresholds.filter { !$0.held }
        guard !failed.isEmpty else { return nil }
        let which = failed.map {
            "\($0.threshold.name) measured \(TextReport.value($0.measured, $0.threshold)), limit \(TextReport.comparison($0.threshold)) \(TextReport.value($0.threshold.limit, $0.threshold))"
        }
        return RunExit(code: 4, description: "\(Wording.count(UInt64(failed.count), "threshold")) breached: \(which.joined(separator: "; "))")
    }

    /// "no query completed: 1,000 sent, all refused from 0.00 s on" and the like.
    static func nothingCompleted(_ header: ReportHeader, _ result: RunResult) -> String {
        let c = result.counters
        let warnings = RunWarnings.make(header, result)
        let why = warnings.isEmpty ? "" : ": " + warnings.joined(separator: "; ")
        if c.sent == 0 {
            return "nothing was sent\(c.intended == 0 ? "" : why)"
        }
        guard warnings.isEmpty else { return "no \(header.eventNounSingular) completed\(why)" }
        let counts = "\(Wording.group(c.sent)) sent, \(Wording.group(c.timeouts)) timed out, \(Wording.group(c.errors)) failed, \(Wording.group(c.cancelled)) cancelled"
        return "no \(header.eventNounSingular) completed (\(counts))"
    }
}

extension NameTemplate {
    /// The template as the user wrote it: `q{seq}.example.test` (`{rand:8}` reads back as `{rand}`).
    var written: String {
        parts.map { part in
            switch part {
            case .literal(let bytes): String(decoding: bytes, as: UTF8.self)
            case .sequence: "{seq}"
            case .thread: "{thread}"
            case .random(let n): n == 8 ? "{rand}" : "{rand:\(n)}"
            }
        }.joined()
    }
}
