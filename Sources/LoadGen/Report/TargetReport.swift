/// tcp and udp: each target's sent events and its addresses' (`TargetPart`), in the text report and in JSON
/// (`per_target`), and read back by `loadgen merge`.
enum TargetReport {
    /// `per_target`: `[{target, addresses, sent, completed, timeouts, errors, cancelled, latency_us, per_address:
    /// [{address, sent, …, latency_us}]}]`, targets and addresses in the order the run met them. `latency_us` is
    /// the response time of the completed events outside the warm-up (percentiles and a two-digit `hdr`), left out
    /// where it is unknown (a merge with a report of a loadgen before per-target latencies).
    static func json(_ targets: [TargetPart]) -> JSON {
        .array(targets.map { target in
            .object([("target", .string(target.target)), ("addresses", .array(target.addresses.map { .string($0.address) }))]
                    + fates(target)
                    + [("per_address", .array(target.addresses.map { .object([("address", .string($0.address))] + fates($0)) }))])
        })
    }

    private static func fates(_ part: some FateCounting & LatencyCounting) -> [(String, JSON)] {
        [("sent", .uint(part.sent)), ("completed", .uint(part.completed)), ("timeouts", .uint(part.timeouts)),
         ("errors", .uint(part.errors)), ("cancelled", .uint(part.cancelled))]
            + (part.responseTime.map { [("latency_us", JSONReport.latency($0))] } ?? [])
    }

    /// One line per target and, under a target with addresses other than itself (a name), one per address; none
    /// when the run had one address only (the totals say it all).
    static func text(_ targets: [TargetPart]) -> [String] {
        guard targets.reduce(0, { $0 + $1.addresses.count }) > 1 else { return [] }
        var lines: [String] = []
        for target in targets {
            lines.append("  target    \(target.target): \(counts(target))")
            for part in target.addresses where part.address != target.target {
                lines.append("              \(part.address): \(counts(part))")
            }
        }
        return lines
    }

    private static func counts(_ p: some FateCounting & LatencyCounting) -> String {
        "sent \(p.sent)  completed \(p.completed)  timeouts \(p.timeouts)  errors \(p.errors)  cancelled \(p.cancelled)"
            + latency(p.responseTime) + (p.balanced ? "" : "  (UNBALANCED)")
    }

    /// "  p50 … p99 … max …" of the response time, when known and any event completed.
    private static func latency(_ h: LatencyHistogram?) -> String {
        guard let h, !h.isEmpty else { return "" }
        let (p50, p99) = (h.percentileNanos(50), h.percentileNanos(99))
        return "  p50 \(TextReport.duration(Double(p50)))  p99 \(TextReport.duration(Double(p99)))  max \(TextReport.duration(Double(h.maxNanos)))"
    }

    /// A report's `per_target` as address parts, checked: each address's and target's fates add up, the addresses
    /// add up to their target, and the targets to the document's totals.
    static func read(_ doc: JSONInput.Object) throws(JSONInput.Failure) -> [AddressPart] {
        var parts: [AddressPart] = []
        var sum = AddressPart(target: "", address: "")
        for target in try doc.objects("per_target") {
            let name = try target.string("target")
            var own = try fates(target, into: AddressPart(target: name, address: ""))
            var addresses = AddressPart(target: name, address: "")
            // How many latencies the addresses hold (nil when one has none): each at most its completed count.
            var addressLatencies: UInt64? = 0
            for address in try target.objects("per_address") {
                let part = try fates(address, into: AddressPart(target: name, address: try address.string("address")))
                try add(part, to: &addresses, at: address)
                addressLatencies = part.responseTime.flatMap { h in addressLatencies.map { $0 + h.count } }
                parts.append(part)
            }
            own.address = ""
            guard own == addresses else {
                throw JSONInput.Failure(description: "\(target.path): per_address does not add up to the target's counts")
            }
            if let mine = own.responseTime, let theirs = addressLatencies, mine.count != theirs {
                throw JSONInput.Failure(description: "\(target.path) latency_us: holds \(mine.count) values, its addresses \(theirs)")
            }
            try add(own, to: &sum, at: target)
        }
        for (key, value) in [("sent", sum.sent), ("completed", sum.completed), ("timeouts", sum.timeouts),
                             ("errors", sum.errors), ("cancelled", sum.cancelled)] {
            guard try doc.uint(key) == value else {
                throw JSONInput.Failure(description: "\(doc.path): '\(key)' is \(try doc.uint(key)) but per_target adds up to \(value)")
            }
        }
        return parts
    }

    /// An object's five counts into `part`, which must balance, and its `latency_us` (nil without one): at most
    /// one value per completed event (a warm-up's are left out).
    private static func fates(_ o: JSONInput.Object, into part: AddressPart) throws(JSONInput.Failure) -> AddressPart {
        var p = part
        (p.sent, p.completed, p.timeouts) = (try o.uint("sent"), try o.uint("completed"), try o.uint("timeouts"))
        (p.errors, p.cancelled) = (try o.uint("errors"), try o.uint("cancelled"))
        guard p.balanced else {
            throw JSONInput.Failure(description: "\(o.path): sent \(p.sent) is not completed + timeouts + errors + cancelled")
        }
        p.responseTime = nil
        if o.has("latency_us") {
            let h = try ReportInput.histogram(o.object("latency_us"), overRange: 0, coarse: true)
            guard h.count <= p.completed else {
                throw JSONInput.Failure(description: "\(o.path) latency_us: holds \(h.count) values for \(p.completed) completed")
            }
            p.responseTime = h
        }
        return p
    }

    /// `part` added into `sum`, refusing a sum past 2^64.
    private static func add(_ part: AddressPart, to sum: inout AddressPart, at o: JSONInput.Object) throws(JSONInput.Failure) {
        let (s, overflow) = sum.sent.addingReportingOverflow(part.sent)
        guard !overflow, s < 1 << 62 else { throw JSONInput.Failure(description: "\(o.path): counts add up to more than 2^62") }
        sum.addFates(part)
    }
}
