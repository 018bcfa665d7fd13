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
        Reads loadgen dns|http --json reports: one or more files, or - for \
        stdin, where documents may follow one another (what `kubectl logs -l \
        job-name=NAME` prints for the pods of a sharded Job). Counts, rcodes or \
        status, error kinds, not-sent reasons and protocol counters add up; the \
        response-time, service-time and TLS handshake histograms are decoded from \
        their hdr members (HdrHistogram's compressed V2 encoding) and added, so \
        the merged percentiles are those of all events together, not an \
        average of percentiles. Requested rates and concurrency add up (each \
        shard reports its share), durations are the longest input's (shards \
        share one origin, --start-at), CPU adds up. The threads of every input \
        are listed under per_thread. Reports of different kinds (dns, http1, \
        http2) or transports do not merge.

        Merging one report reproduces it (its warnings are recomputed, without \
        the times at which problems began).

        Examples:
          loadgen merge shard-0.json shard-1.json shard-2.json shard-3.json
          kubectl logs -l job-name=dns-load --tail=-1 | loadgen merge - --json
        """
    )

    @Argument(help: ArgumentHelp("loadgen --json reports; - for stdin (concatenated documents).", valueName: "FILE"))
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
        if let hlog = files.first(where: { $0.hasSuffix(".hlog") }) {
            throw ValidationError("\(hlog): interval logs (.hlog) do not merge yet; give the --json reports of the runs")
        }
    }

    func run() throws {
        let header: ReportHeader
        let result: RunResult
        do {
            var inputs: [ReportInput] = []
            for file in files { inputs += try MergeCommand.reports(in: file) }
            (header, result) = try ReportMerge.merge(inputs)
        } catch {
            Console.error("loadgen merge: \(error.description)\n")
            Glibc.exit(2)
        }
        let codeNames: (Int) -> String = header.kind == "dns" ? { DNSRcode.name($0) } : { (code: Int) -> String in "\(code)" }
        let rendered = Reports.make(header, result, json: json, spectrum: latency, codeNames: codeNames)
        if !rendered.stderr.isEmpty { Console.error(rendered.stderr) }
        print(rendered.stdout, terminator: "")
        if result.counters.completed == 0 {
            fflush(nil)
            Console.error("loadgen merge: no \(header.eventNounSingular) completed in the merged reports\n")
            Glibc.exit(1)
        }
    }

    /// Every report document in `file` (or stdin).
    static func reports(in file: String) throws(JSONInput.Failure) -> [ReportInput] {
        let name = file == "-" ? "<stdin>" : file
        let bytes: [UInt8]
        do {
            bytes = try VerifyCommand.read(file, flag: "FILE")
        } catch {
            throw JSONInput.Failure(description: error.description)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw JSONInput.Failure(description: "\(name): not UTF-8 text; expected loadgen --json reports")
        }
        let documents = try JSONInput.documents(in: text, source: name)
        guard !documents.isEmpty else { throw JSONInput.Failure(description: "\(name): no JSON report in it") }
        var inputs: [ReportInput] = []
        for (document, line) in documents {
            inputs.append(try ReportInput(JSONInput.Object(parsing: document, path: "\(name):\(line)")))
        }
        return inputs
    }
}
