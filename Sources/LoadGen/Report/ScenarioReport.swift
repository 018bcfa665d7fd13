import Foundation

/// The report of a scenario run (`loadgen run`): each stream's own report, as its command prints it, headed by
/// the stream's name, then the total. In JSON, the total's usual keys (without answer codes: DNS rcodes and HTTP
/// statuses do not add up) and `streams`, each stream's whole report object with its `name` first.
enum ScenarioReport {
    /// One stream's part of the run.
    struct Part {
        var name: String
        var header: ReportHeader
        var result: RunResult
        var codeName: (Int) -> String
    }

    static func make(_ parts: [Part], json: Bool, spectrum: Bool) -> Reports.Rendered {
        let (header, total) = ScenarioReport.total(parts)
        var rendered = Reports.Rendered(stdout: "", stderr: "")
        var streams: [JSON] = []
        for part in parts {
            let own = Reports.make(part.header, part.result, json: false, spectrum: spectrum, codeNames: part.codeName)
            if json {
                if spectrum { rendered.stderr += "stream '\(part.name)':\n" + own.stdout }
                guard case .object(let members) = JSONReport.make(part.header, part.result, codeNames: part.codeName) else { continue }
                streams.append(.object([("name", .string(part.name))] + members))
            } else {
                rendered.stdout += "== stream '\(part.name)' ==\n" + own.stdout + "\n"
            }
        }
        guard json else {
            rendered.stdout += totalText(header, total, parts.map(\.name))
            return rendered
        }
        guard case .object(let members) = JSONReport.make(header, total, codeNames: { String($0) }) else { return rendered }
        let codeKeys: Set = ["rcodes", "status", "status_classes", "outcomes"]
        let document = JSON.object(members.filter { !codeKeys.contains($0.0) } + [("streams", .array(streams))])
        rendered.stdout = document.serialized() + "\n"
        return rendered
    }

    /// The whole run: every stream's threads merged, its window the longest stream's; the header sums what adds
    /// up (rates and counts when every stream has one, concurrency) and names the streams.
    static func total(_ parts: [Part]) -> (ReportHeader, RunResult) {
        let first = parts[0]
        var result = RunResult(threads: parts.flatMap(\.result.threads), originNanos: first.result.originNanos,
                               endNanos: parts.map(\.result.endNanos).max() ?? first.result.endNanos,
                               windowNanos: parts.map(\.result.windowNanos).max() ?? 0,
                               interrupted: parts.contains { $0.result.interrupted })
        result.windowNanos = max(result.windowNanos, 1)
        let headers = parts.map(\.header)
        let rates = headers.compactMap(\.requestedRate)
        let counts = headers.compactMap(\.count)
        var targets: [String] = []
        for target in headers.flatMap(\.targets) where !targets.contains(target) { targets.append(target) }
        let header = ReportHeader(
            kind: "scenario", eventNoun: "events", threads: first.header.threads, netns: first.header.netns,
            netnsInode: first.header.netnsInode, requestedRate: rates.count == parts.count ? rates.reduce(0, +) : nil,
            concurrency: headers.map(\.concurrency).reduce(0, +), timeoutNanos: headers.map(\.timeoutNanos).max() ?? 0,
            count: counts.count == parts.count ? counts.reduce(0, +) : nil,
            durationNanos: headers.compactMap(\.durationNanos).max(), targets: targets,
            targetsSource: "\(parts.count) streams: " + parts.map(\.name).joined(separator: ", "), transport: "mixed",
            workload: parts.map(\.name), shard: first.header.shard, startAt: first.header.startAt,
            warmupNanos: headers.compactMap(\.warmupNanos).max())
        return (header, result)
    }

    /// "== total: 3 streams (dns, web, h2) ==" and the counts, rate and CPU of the whole run.
    static func totalText(_ header: ReportHeader, _ result: RunResult, _ names: [String]) -> String {
        let c = result.counters
        var lines = ["== total: \(Wording.count(UInt64(names.count), "stream")) (\(names.joined(separator: ", ")))\(result.interrupted ? " — interrupted" : "") =="]
        lines += RunWarnings.make(header, result).map { "WARNING " + $0 }
        lines.append("  events    intended \(c.intended)  sent \(c.sent)  completed \(c.completed)  timeouts \(c.timeouts)  errors \(c.errors)  cancelled \(c.cancelled)  not sent \(c.notSent)")
        let requested = header.requestedRate.map { "requested \(rate: $0)/s, " } ?? ""
        lines.append("  rate      \(requested)achieved \(rate: result.achievedRate)/s; \(String(format: "%.3f", result.durationSeconds)) s in all")
        lines.append(String(format: "  client CPU %.1f ms (%.2f ms per 1000 events)", Double(result.cpuNanos) / 1e6,
                            result.cpuMillisPerThousand))
        return lines.joined(separator: "\n") + "\n"
    }
}
