/// What differs by kind when a report is read back: the answer codes' section (`rcodes`, `status` or `outcomes`),
/// the event noun, and the counters only one kind writes (`echoes` of udp).
extension ReportInput {
    /// The kinds `loadgen merge` and `plot` read.
    static let kinds = ["dns", "http1", "http2", "tcp", "udp"]
    /// The one outcome a completed tcp event (the connection was established) and udp event have in `outcomes`.
    static let tcpOutcome = "established"
    static let udpOutcome = "ok"

    /// The text report's event noun for `kind`, as the kind's own command says it.
    static func eventNoun(kind: String) -> String {
        switch kind {
        case "dns": "queries"
        case "tcp": "connections"
        case "udp": "datagrams"
        default: "requests"
        }
    }

    /// How the report of `kind` names its answer codes (the inverse of `code(named:kind:)`).
    static func codeNames(kind: String) -> (Int) -> String {
        switch kind {
        case "dns": { DNSRcode.name($0) }
        case "tcp": { _ in tcpOutcome }
        case "udp": { _ in udpOutcome }
        default: { String($0) }
        }
    }

    /// The code a report's `name` stands for, or nil when no report of `kind` writes that name.
    static func code(named name: String, kind: String) -> Int? {
        switch kind {
        case "dns": return (0..<16).first { DNSRcode.name($0) == name }
        case "tcp", "udp": return name == codeNames(kind: kind)(0) ? 0 : nil
        default:
            guard let status = Int(name), (100...599).contains(status) else { return nil }
            return status
        }
    }

    /// The document's answer codes into `counters`. A tcp or udp event completes with its one outcome, so there
    /// the outcomes must add up to `completed`.
    static func readCodes(_ doc: JSONInput.Object, kind: String, into counters: inout Counters) throws(JSONInput.Failure) {
        let key = kind == "dns" ? "rcodes" : kind.hasPrefix("http") ? "status" : "outcomes"
        for (name, count) in try doc.counts(key) where count > 0 {
            guard let code = code(named: name, kind: kind) else {
                throw JSONInput.Failure(description: "\(doc.path): '\(name)' in \(key) is not \(what(key, kind: kind))")
            }
            counters.codes[code, default: 0] += count
        }
        guard key == "outcomes" else { return }
        let sum = counters.codes.values.reduce(0, +), completed = try doc.uint("completed")
        guard sum == completed else {
            throw JSONInput.Failure(description: "\(doc.path): outcomes add up to \(sum), not completed \(completed)")
        }
    }

    private static func what(_ key: String, kind: String) -> String {
        switch key {
        case "rcodes": "a DNS rcode"
        case "status": "an HTTP status"
        default: "a \(kind) outcome (only '\(codeNames(kind: kind)(0))')"
        }
    }

    /// A udp report's `echoes`: the same counters as its top-level `duplicate_answers`, `late_answers`,
    /// `truncated` and `id_mismatch`, which a document that was not edited keeps equal.
    static func checkEchoes(_ doc: JSONInput.Object) throws(JSONInput.Failure) {
        let echoes = try doc.object("echoes")
        let pairs = [("duplicates", "duplicate_answers"), ("late", "late_answers"), ("truncated", "truncated"),
                     ("foreign", "id_mismatch")]
        for (echo, total) in pairs {
            let (a, b) = (try echoes.uint(echo), try doc.uint(total))
            guard a == b else {
                throw JSONInput.Failure(description: "\(echoes.path): '\(echo)' is \(a) but '\(total)' is \(b); they count the same datagrams")
            }
        }
    }

    /// `sent == completed + timeouts + errors + cancelled`: every sent event has one fate.
    static func checkFates(_ doc: JSONInput.Object) throws(JSONInput.Failure) {
        let sent = try doc.uint("sent")
        var fates: UInt64 = 0
        // Each is at most 2^53 (JSONInput.uint): the sum cannot overflow.
        for key in ["completed", "timeouts", "errors", "cancelled"] { fates += try doc.uint(key) }
        guard fates == sent else {
            throw JSONInput.Failure(description: "\(doc.path): 'sent' is \(sent) but completed + timeouts + errors + cancelled is \(fates)")
        }
    }
}
