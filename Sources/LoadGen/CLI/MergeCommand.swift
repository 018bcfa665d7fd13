import ArgumentParser
import Glibc

/// `loadgen merge FILE...`: the reports of several runs (the shards of one, or runs side by side) as one report,
/// exact because every histogram travels in full (`hdr`). Exit codes: 0 merged and something completed, 1 nothing
/// completed, 2 usage errors and unreadable or malformed inputs.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge loadgen --json reports (shards of one run, or runs side by side) into one exact report.",
        discussion: """
        Reads loadgen dns|http|tcp|udp --json reports: one or more files, or - for \
        stdin, where documents may follow one another (what `kubectl logs -l \
        job-name=NAME` prints for the pods of a sharded Job). Counts, rcodes, \
        status or outcomes, error kinds, not-sent reasons and protocol counters add up; the \
        response-time, service-time and TLS handshake histograms are decoded from \
        their hdr members (HdrHistogram's compressed V2 encoding) and added, so \
        the merged percentiles are those of all events together, not an \
        average of percentiles. Requested rates and concurrency add up (each \
        shard reports its share), durations are the longest input's (shards \
        share one origin, --start-at), CPU adds up. The threads of every input \
        are listed under per_thread. Reports of different kinds (dns, http1, \
        http2, tcp, udp) or transports do not merge.

        Shaped runs (--steps, --ramp) merge step by step: every input must \
        have run the same plan (the same windows: step, start_s, end_s, \
        rate_from, rate_to), and each window's counts and histograms add up, \
        so the merged steps table is the whole job's. The shards of one job \
        state the job's rates in their steps (each sent its share of one \
        schedule), so the merge keeps them; whole runs side by side each ran \
        the schedule, so their rates add up. Shaped and unshaped reports, \
        different plans, or shards of different jobs do not merge.

        --find-max searches merge step by step while the shards went the same \
        way (the same rates with the same verdicts, so step k ran at one \
        global rate in every shard at once): counts add up and percentiles \
        come from the added histograms; the job held what every shard held. \
        Searches that went different ways do not merge: the error says where \
        they parted and the highest rate every shard held until then.

        Merging one report reproduces it (its warnings are recomputed, without \
        the times at which problems began).

        Interval logs (--hlog) merge into one interval log on stdout: intervals \
        with the same tag and start time (shards sharing --start-at line up) add \
        up. JSON reports and interval logs do not mix.

        Examples:
          loadgen merge shard-0.json shard-1.json shard-2.json shard-3.json
          kubectl logs -l job-name=dns-load --tail=-1 | loadgen merge - --json
          loadgen merge shard-*.hlog > all.hlog
        """
    )

    @Argument(help: ArgumentHelp("loadgen --json reports, or --hlog interval logs; - for stdin (concatenated documents).", valueName: "FILE"))
    var files: [String] = []

    @Flag(help: "Print one JSON document on stdout instead of the text report.")
    var json = false

    @Flag(help: "Add the full HdrHistogram percentile spectrum (response and service time).")
    var latency = false

    func validate() throws {
        guard !files.isEmpty else {
            throw ValidationError("merge needs at least one report: loadgen merge FILE... (- for stdin)")
        }
        guard files.filter({ $0 == "-" }).count <= 1 else { throw ValidationError("- (stdin) may be given once") }
    }

    func run() throws {
        let header: ReportHeader
        let result: RunResult
        do throws(JSONInput.Failure) {
            switch try MergeCommand.load(files) {
            case .logs(let logs):
                print(try HlogFile.merge(logs.map(\.log)), terminator: "")
                return
            case .reports(let reports):
                (header, result) = try ReportMerge.merge(reports.flatMap(\.inputs))
            }
        } catch {
            Console.error("loadgen merge: \(error.description)\n")
            Glibc.exit(2)
        }
        let rendered = Reports.make(header, result, json: json, spectrum: latency, codeNames: ReportInput.codeNames(kind: header.kind))
        if !rendered.stderr.isEmpty { Console.error(rendered.stderr) }
        print(rendered.stdout, terminator: "")
        if result.counters.completed == 0 {
            fflush(nil)
            Console.error("loadgen merge: no \(header.eventNounSingular) completed in the merged reports\n")
            Glibc.exit(1)
        }
    }

    static func name(_ file: String) -> String { file == "-" ? "<stdin>" : file }

    /// What a list of result files holds: interval logs or JSON reports, one kind only.
    enum Loaded {
        case logs([(file: String, log: HlogFile)])
        case reports([(file: String, inputs: [ReportInput])])
    }

    static func load(_ files: [String]) throws(JSONInput.Failure) -> Loaded {
        var texts: [(String, String)] = []
        for file in files { texts.append((file, try text(of: file))) }
        let logs = texts.filter { HlogFile.looksLikeLog($0.1[...]) }
        if !logs.isEmpty {
            guard logs.count == texts.count, let report = texts.first(where: { !HlogFile.looksLikeLog($0.1[...]) }) else {
                var parsed: [(file: String, log: HlogFile)] = []
                for (file, text) in logs { parsed.append((file, try HlogFile(parsing: text, source: name(file)))) }
                return .logs(parsed)
            }
            throw JSONInput.Failure(description: "\(name(logs[0].0)) is an interval log and \(name(report.0)) a JSON report: one kind at a time")
        }
        var reports: [(file: String, inputs: [ReportInput])] = []
        for (file, text) in texts { reports.append((file, try self.reports(in: text, source: name(file)))) }
        let documents = reports.reduce(0) { $0 + $1.inputs.count }
        guard documents <= JSONInput.maxDocuments else {
            throw JSONInput.Failure(description: "\(documents) reports: at most \(JSONInput.maxDocuments) add up at once ")
        }
        return .reports(reports)
    }

    /// The whole of `file` (or stdin) as text.
    static func text(of file: String) throws(JSONInput.Failure) -> String {
        let bytes: [UInt8]
        do {
            bytes = try VerifyCommand.read(file, flag: "FILE")
        } catch {
            throw JSONInput.Failure(description: error.description)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw JSONInput.Failure(description: "\(name(file)): not UTF-8 text; expected loadgen --json reports or --hlog interval logs")
        }
        return text
    }

    /// Every report document in `text`.
    static func reports(in text: String, source name: String) throws(JSONInput.Failure) -> [ReportInput] {
        let documents = try JSONInput.documents(in: text, source: name)
        guard !documents.isEmpty else { throw JSONInput.Failure(description: "\(name): no JSON report in it") }
        var inputs: [ReportInput] = []
        for (document, line) in documents {
            inputs.append(try ReportInput(JSONInput.Object(parsing: document, path: "\(name):\(line)")))
        }
        return inputs
    }
}
