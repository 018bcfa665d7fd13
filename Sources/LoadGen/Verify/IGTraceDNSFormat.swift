/// Inspektor Gadget's `trace dns` JSON output (`ig trace dns -o json`, `ig run trace_dns -o json`,
/// `kubectl gadget ...`): one object per line, pretty-printed objects, or arrays of them.
///
/// Field names, from the inspektor-gadget repository (github.com/inspektor-gadget/inspektor-gadget):
/// - built-in gadget, `pkg/gadgets/trace/dns/types/dns.go` (last at b50f06ef, before the built-ins were removed
///   in 3ba4e550): `id` (string, `fmt.Sprintf("%.4x", ID)` in `tracer/tracer.go`), `qr` ("Q"/"R"), `name`
///   (with the trailing dot), `pktType` ("OUTGOING", "HOST", ...), `nameserver`, `qtype`, `rcode`, `latency`,
///   `netnsid` and `mountnsid` (`pkg/types/types.go` WithNetNsID / WithMountNsID), `timestamp` (int64 ns since the
///   epoch, `pkg/types/types.go` Event.Timestamp), and `k8s` / `runtime` metadata objects;
/// - image-based gadget, `gadgets/trace_dns/gadget.yaml`, `program.bpf.c`, `go/program.go` and
///   `test/integration/trace_dns_test.go` (at aeac857b): `id` (again `%.4x`), `qr` ("Q"/"R") and `qr_raw` (bool),
///   `name`, `pkt_type` and `pkt_type_raw` (0 = HOST, 4 = OUTGOING), `netns_id`, `timestamp` (RFC 3339 string with
///   ns, `pkg/operators/formatters/formatters.go`) and `timestamp_raw` (ns, converted from boot time to wall-clock
///   by that formatter), `src` / `dst` / `nameserver` endpoint objects, `proc`;
/// - the raw eBPF event printed by the library example `examples/gadgets/simple/trace_dns`: numeric `id`, `qr`
///   0/1, `name` in wire format, `netns`, `timestamp` in boot-time ns.
enum IGTraceDNSFormat {
    private static let paths = JSONFieldReader.Paths([
        ["id"], ["qr"], ["qr_raw"], ["name"], ["netns_id"], ["netnsid"], ["netns"], ["timestamp_raw"], ["timestamp"],
        ["pkt_type"], ["pktType"], ["pkt_type_raw"],
    ])

    static let keyNames = ["id", "qname"]

    /// The join key of a generated DNS event.
    static func key(id: UInt16, qname: String) -> String { VerifyKey.make([String(id), VerifyText.dnsName(qname)]) }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, file: String) throws(VerifyInputError) -> ObservedSet {
        var set = ObservedSet(keyNames: keyNames, noun: "DNS queries")
        try JSONFieldReader.forEachObject(in: bytes, paths: paths, file: file) { line, s in
            func fail(_ message: String) -> VerifyInputError { VerifyInputError(file: file, line: line, message) }
            guard s[0] != nil || s[1] != nil || s[3] != nil else {
                set.ignore("records that are not DNS events")
                return
            }
            guard let isResponse = qr(s[1]) ?? qr(s[2]) else {
                throw fail("a DNS event without 'qr' (Q or R); is this Inspektor Gadget's trace dns output?")
            }
            if isResponse {
                set.ignore("responses")
                return
            }
            let id: UInt16
            switch s[0] {
            case .string(let text)?:
                guard let v = VerifyText.dnsIDFromHex(text) else {
                    throw fail("'id' '\(text)' is not a DNS ID (IG prints 4 hex digits)")
                }
                id = v
            case .int(let v)? where (0...0xFFFF).contains(v):
                id = UInt16(v)
            case nil:
                throw fail("a DNS query without 'id'")
            default:
                throw fail("'id' is not a DNS ID")
            }
            guard case .string(let name)? = s[3] else { throw fail("a DNS query without a 'name' string") }
            var netns = (s[4] ?? s[5] ?? s[6])?.unsigned
            if netns == 0 { netns = nil }
            var time: ObservedTime?
            if let raw = s[7], case .int = raw { time = ObservedTime.read(raw) }
            if time == nil, let stamp = s[8] { time = ObservedTime.read(stamp) }
            set.records.append(ObservedRecord(line: line, key: VerifyKey.make([String(id), VerifyText.dnsName(name)]),
                                              netns: netns, side: side(s[9] ?? s[10], raw: s[11]), time: time))
        }
        return set
    }

    /// true for a response, false for a query.
    private static func qr(_ value: JSONFieldReader.Value?) -> Bool? {
        switch value {
        case .string(let s)?:
            switch s.uppercased() {
            case "Q": return false
            case "R": return true
            default: return nil
            }
        case .bool(let b)?: return b
        case .int(let v)? where v == 0 || v == 1: return v == 1
        default: return nil
        }
    }

    /// HOST (arriving) is the receiving side; OUTGOING and anything else the sending side.
    private static func side(_ name: JSONFieldReader.Value?, raw: JSONFieldReader.Value?) -> ObservedSide {
        if let text = name?.string { return text.uppercased() == "HOST" ? .received : .sent }
        if let v = raw?.int { return v == 0 ? .received : .sent }
        return .sent
    }
}
