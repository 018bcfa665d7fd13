/// What a shaped, sharded or find-max run's report adds, read back for `loadgen merge` and `plot`: the `steps`
/// windows of a shaped run (`--steps`, `--ramp`) with their counts and two-digit histograms (`hdr`), a sharded
/// run's `shard`, and the search table of `--find-max`. Each step is checked as the totals are: its counts add up
/// (`intended == sent + not_sent`, `sent == completed + timeouts + errors + cancelled`), its histograms hold one
/// value per completed event, and the steps add up to the document's totals.
extension ReportInput {
    /// `shard: {index, count}`, or nil for a whole run.
    static func shard(_ doc: JSONInput.Object) throws(JSONInput.Failure) -> Shard? {
        guard doc.has("shard") else { return nil }
        let o = try doc.object("shard")
        let (index, count) = (try o.uint("index"), try o.uint("count"))
        guard count >= 1, count <= UInt64(Shard.maxCount), index < count else {
            throw JSONInput.Failure(description: "\(o.path): \(index)/\(count) is not a shard (0 ≤ index < count ≤ \(Shard.maxCount))")
        }
        return Shard(index: Int(index), count: Int(count))
    }

    /// The plan and the windows' parts of `steps` into the header and onto `first` (the thread carrying the
    /// totals); `rate_shape` and `find_max` into the header.
    static func attachShape(_ doc: JSONInput.Object, header: inout ReportHeader,
                            to first: inout ThreadResult) throws(JSONInput.Failure) {
        if doc.has("find_max") { header.findMax = try FindMaxSummary(reading: doc.object("find_max")) }
        guard doc.has("steps") else { return }
        var windows: [StepPlan.Window] = []
        var parts: [StepPart] = []
        for o in try doc.objects("steps") {
            let window = try self.window(o)
            guard window.startNanos >= (windows.last?.endNanos ?? 0) else {
                throw JSONInput.Failure(description: "\(o.path): start_s is before the previous step's end_s (steps are windows in order)")
            }
            windows.append(window)
            parts.append(try part(o))
        }
        guard !windows.isEmpty else { throw JSONInput.Failure(description: "\(doc.path): 'steps' is empty") }
        try checkStepsAddUp(doc, parts)
        header.steps = StepPlan(windows: windows)
        header.shapeText = try doc.optionalString("rate_shape")
        first.steps = parts
    }

    /// A step's window: `step`, `start_s`, `end_s`, `rate_from`, `rate_to`.
    private static func window(_ o: JSONInput.Object) throws(JSONInput.Failure) -> StepPlan.Window {
        let start = nanos(seconds: try o.double("start_s")), end = nanos(seconds: try o.double("end_s"))
        guard end > start else { throw JSONInput.Failure(description: "\(o.path): end_s is not after start_s") }
        return StepPlan.Window(startNanos: start, endNanos: end, fromRate: try o.double("rate_from"),
                               toRate: try o.double("rate_to"), step: Int(clamping: try o.uint("step")))
    }

    /// A step's counts and histograms, checked.
    private static func part(_ o: JSONInput.Object) throws(JSONInput.Failure) -> StepPart {
        var p = StepPart()
        p.intended = try o.uint("intended")
        var e = EventPart.coarse()
        (e.sent, e.completed, e.timeouts) = (try o.uint("sent"), try o.uint("completed"), try o.uint("timeouts"))
        (e.errors, e.cancelled) = (try o.uint("errors"), try o.uint("cancelled"))
        // Each count is at most 2^53 (JSONInput.uint): the sums cannot overflow.
        guard e.sent == e.completed + e.timeouts + e.errors + e.cancelled else {
            throw JSONInput.Failure(description: "\(o.path): sent \(e.sent) is not completed + timeouts + errors + cancelled")
        }
        let notSent = try o.uint("not_sent")
        guard p.intended == e.sent + notSent else {
            throw JSONInput.Failure(description: "\(o.path): intended \(p.intended) is not sent \(e.sent) + not_sent \(notSent)")
        }
        guard try o.object("latency_us").has("hdr") else {
            throw JSONInput.Failure(description: "\(o.path) latency_us: no 'hdr' (a report of a loadgen whose steps did not carry their histograms): its steps cannot be added up exactly")
        }
        e.responseTime = try histogram(o.object("latency_us"), overRange: 0, coarse: true)
        e.serviceTime = try histogram(o.object("service_time_us"), overRange: 0, coarse: true)
        for (key, h) in [("latency_us", e.responseTime), ("service_time_us", e.serviceTime)] where h.count != e.completed {
            throw JSONInput.Failure(description: "\(o.path) \(key): holds \(h.count) values for \(e.completed) completed")
        }
        p.events = e
        return p
    }

    /// Every event of a shaped run belongs to one step: the steps' counts add up to the document's.
    private static func checkStepsAddUp(_ doc: JSONInput.Object, _ parts: [StepPart]) throws(JSONInput.Failure) {
        let sums: [(String, (StepPart) -> UInt64)] = [
            ("intended", \.intended), ("sent", \.events.sent), ("completed", \.events.completed),
            ("timeouts", \.events.timeouts), ("errors", \.events.errors), ("cancelled", \.events.cancelled),
        ]
        for (key, count) in sums {
            let total = try doc.uint(key)
            var sum: UInt64 = 0, overflow = false
            for part in parts where !overflow { (sum, overflow) = sum.addingReportingOverflow(count(part)) }
            guard !overflow, sum == total else {
                throw JSONInput.Failure(description: "\(doc.path): the steps' '\(key)' add up to \(overflow ? "more than 2^64" : String(sum)), not the report's \(total)")
            }
        }
    }
}
