/// `loadgen merge` and `loadgen plot` of one file of JSON reports, as MergeCommand and PlotCommand read it
/// (CLI/MergeCommand.swift itself needs ArgumentParser), and what must hold of the merged report: its counts are
/// the documents' sums, its percentiles ascend, it plots, and the JSON it renders reads back and merges to the
/// same JSON ("merging one report reproduces it", ReportMergeTests).
enum ReportRoundTrip {
    typealias Merged = (header: ReportHeader, result: RunResult)

    /// The reports in `text`, as `MergeCommand.reports(in:source:)` reads them.
    static func read(_ text: String, source: String) throws(JSONInput.Failure) -> [ReportInput] {
        let documents = try JSONInput.documents(in: text, source: source)
        guard !documents.isEmpty else { throw JSONInput.Failure(description: "\(source): no JSON report in it") }
        var inputs: [ReportInput] = []
        for (document, line) in documents {
            inputs.append(try ReportInput(JSONInput.Object(parsing: document, path: "\(source):\(line)")))
        }
        return inputs
    }

    /// `loadgen merge --json`'s output (without the trailing newline), code names as MergeCommand gives them.
    static func render(_ merged: Merged) -> String {
        JSONReport.make(merged.header, merged.result, codeNames: ReportInput.codeNames(kind: merged.header.kind)).serialized()
    }

    static func check(_ inputs: [ReportInput], _ merged: Merged) {
        checkSums(inputs, merged)
        checkPercentiles(merged.result.responseTime, "response time")
        checkPercentiles(merged.result.serviceTime, "service time")
        let svg = SVGChart.document([Plots.spectrumChart([("fuzz", merged.result)])]
            + Plots.stepCharts([("fuzz", merged.header, merged.result)]))
        fuzzCheck(svg.hasSuffix("</svg>\n"), "the spectrum plot is cut short")
        checkText(merged)
        checkReadBack(render(merged))
    }

    /// What `loadgen merge --latency` prints: the text report, then both spectra (HdrHistogram's own output, or the
    /// line that says why one is left out).
    private static func checkText(_ merged: Merged) {
        let rendered = Reports.make(merged.header, merged.result, json: false, spectrum: true,
                                    codeNames: ReportInput.codeNames(kind: merged.header.kind))
        let text = rendered.stdout
        fuzzCheck(text.hasPrefix("loadgen ") && rendered.stderr.isEmpty, "the text report starts with \(text.prefix(40).debugDescription)")
        fuzzCheck(text.contains("# Service time (from actual send), microseconds\n") && text.hasSuffix("\n"), "the spectra are cut short")
    }

    /// Counts, threads and histogram counts of the merge are the sums over the documents' threads.
    private static func checkSums(_ inputs: [ReportInput], _ merged: Merged) {
        let threads = inputs.flatMap(\.threads)
        let c = merged.result.counters
        let counts: [(String, KeyPath<Counters, UInt64>)] = [("sent", \.sent), ("completed", \.completed),
            ("timeouts", \.timeouts), ("errors", \.errors), ("cancelled", \.cancelled), ("not_sent", \.notSent)]
        for (name, path) in counts {
            let sum = threads.reduce(UInt64(0)) { $0 &+ $1.counters[keyPath: path] }
            fuzzCheck(c[keyPath: path] == sum, "\(name) \(c[keyPath: path]), the threads add up to \(sum)")
        }
        fuzzCheck(c.intended == c.sent &+ c.notSent, "intended \(c.intended) is not sent + not sent")
        let responses = threads.reduce(UInt64(0)) { $0 &+ $1.responseTime.count }
        fuzzCheck(merged.result.responseTime.count == responses, "response times: \(merged.result.responseTime.count), threads hold \(responses)")
        fuzzCheck(merged.result.threads.count == threads.count, "\(merged.result.threads.count) threads of \(threads.count)")
        let declared = inputs.reduce(0) { $0 &+ $1.header.threads }
        fuzzCheck(merged.header.threads == declared, "threads \(merged.header.threads), the documents say \(declared)")
    }

    private static func checkPercentiles(_ h: LatencyHistogram, _ name: String) {
        guard !h.isEmpty else { return }
        var last = h.minNanos
        for p in [50.0, 90, 99, 99.9, 99.99] {
            let value = h.percentileNanos(p)
            fuzzCheck(value >= last, "\(name): p\(p) \(value) ns below \(last) ns (min \(h.minNanos))")
            last = value
        }
    }

    /// The merged report's JSON read back and merged alone is the same JSON.
    private static func checkReadBack(_ json: String) {
        let again: Merged
        do throws(JSONInput.Failure) {
            let inputs = try read(json, source: "merged.json")
            fuzzCheck(inputs.count == 1, "the merged report reads back as \(inputs.count) documents")
            again = try ReportMerge.merge(inputs)
        } catch {
            fuzzCheck(false, "loadgen merge refuses the report it wrote: \(error.description)")
            return
        }
        let rendered = render(again)
        fuzzCheck(rendered == json, "merging the merged report changed it: \(firstDifference(json, rendered))")
    }

    /// The first line that differs, before and after.
    static func firstDifference(_ a: String, _ b: String) -> String {
        let left = a.split(separator: "\n", omittingEmptySubsequences: false)
        let right = b.split(separator: "\n", omittingEmptySubsequences: false)
        for (i, (x, y)) in zip(left, right).enumerated() where x != y { return "line \(i + 1): \(x) became \(y)" }
        return "\(left.count) lines became \(right.count)"
    }
}
