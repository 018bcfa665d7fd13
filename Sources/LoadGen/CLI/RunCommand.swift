import ArgumentParser
import CLoadGenSys

/// `loadgen run SCENARIO.yaml`: several streams of different kinds, each at its own rate, on the same loop
/// threads in the same namespaces from one origin (issue 12 point 4; the file format is DESIGN.md §3).
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a scenario file: streams of DNS, HTTP/1.1 and HTTP/2 load, each at its own rate, on the same loops in the same namespaces.",
        discussion: """
        The file's top-level keys are the run's: targets (netns, pid, container, pod + namespace), threads, \
        pacing, duration or count, timeout, warmup, output (json, latency, events, hlog, quiet, progress), and \
        rate: when streams take a share: of it. Each stream under streams: has a unique name, a kind (\
        \(StreamKind.all.map(\.name).joined(separator: ", "))), its rate: (or share:) and the long options of its \
        kind's command as keys (dns: `loadgen dns`, http1: `loadgen http`, http2: `loadgen http --http2`); lists \
        repeat a flag, true gives a bare flag, urls: are the URLs, names: the DNS names (name: is the stream's). \
        Top-level load keys (duration, count, timeout, …) apply to every stream unless the stream sets its own.
        Example:
          netns: bench
          duration: 30s
          events: events.jsonl
          streams:
            - name: dns
              kind: dns
              rate: 2000
              server: 127.0.0.1
              names: ['q{seq}.example.test']
            - name: web
              kind: http1
              rate: 1000
              urls: ['http://127.0.0.1:8080/']
              connections: 4
        The report has a section per stream and a total; --json adds `streams` (each stream's report with its \
        name) to the total's keys; every events-log record has the stream's name in `stream`.
        """
    )

    @Argument(help: ArgumentHelp("The scenario file (YAML).", valueName: "SCENARIO.yaml"))
    var scenario: String

    @OptionGroup(title: "Output (added to the file's)") var output: OutputOptions

    func run() throws {
        let plan: ScenarioPlan
        do {
            let file = try ScenarioPlan.read(path: scenario)
            plan = try ScenarioPlan(file: file, output: merge)
        } catch let error as ScenarioError {
            throw RunExit(code: 2, description: error.description)
        }
        // A Ctrl-C caught during setup becomes the run's stop request (a report with nothing sent).
        CLoadGenSys_hold_stop_signals()
        let results = try Runner.run(streams: plan.configs)
        var parts: [ScenarioReport.Part] = []
        var breached: [String] = []
        for (stream, result) in zip(plan.streams, results) {
            let setup = stream.setup
            let outcomes = Thresholds.evaluate(setup.thresholds, result, requestedRate: setup.config.load.requestedRate)
            let header = setup.header(setup.config, outcomes)
            if let exit = Reports.verdict(header, result), exit.code == 4 { breached.append("stream '\(stream.name)': \(exit.description)") }
            parts.append(ScenarioReport.Part(name: stream.name, header: header, result: result, codeName: setup.codeName))
        }
        let rendered = ScenarioReport.make(parts, json: plan.output.json, spectrum: plan.output.latencySpectrum)
        if !rendered.stderr.isEmpty { Console.error(rendered.stderr) }
        Reports.emit(rendered.stdout, output: plan.output)
        let (header, total) = ScenarioReport.total(parts)
        if let exit = Reports.verdict(header, total) { throw exit }
        if !breached.isEmpty { throw RunExit(code: 4, description: breached.joined(separator: "; ")) }
    }

    /// The command line's output flags on top of the file's.
    private func merge(_ file: inout OutputOptions) {
        file.json = file.json || output.json
        file.latency = file.latency || output.latency
        file.progress = file.progress || output.progress
        file.quiet = file.quiet || output.quiet
        file.progressJSON = file.progressJSON || output.progressJSON
        file.events = output.events ?? file.events
        file.hlog = output.hlog ?? file.hlog
    }
}
