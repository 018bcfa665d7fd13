/// Inspektor Gadget's `trace tcp` JSON output: `connect` records are joined with loadgen's HTTP and `loadgen tcp` connections by
/// (source, destination) endpoints; `accept` and `close` are counted and otherwise ignored.
///
/// Field names, from the inspektor-gadget repository (github.com/inspektor-gadget/inspektor-gadget):
/// - image-based gadget, `gadgets/trace_tcp/gadget.yaml`, `ebpf/common.h` (struct event) and
///   `test/integration/trace_tcp_test.go` (at aeac857b): `type` ("connect", "accept", "close"), `src` and `dst`
///   endpoint objects with `addr` and `port`, `netns_id`, `proc`, `error`, `timestamp` (RFC 3339 string) and
///   `timestamp_raw` (ns, wall-clock after IG's formatter);
/// - built-in gadget, `pkg/gadgets/trace/tcp/types/types.go` (b50f06ef): `operation` ("connect", "accept",
///   "close"), `src` / `dst` as `pkg/types` L4Endpoint (`addr`, `port`, `version`), `mountnsid`, `pid`, `comm`,
///   `timestamp` (int64 ns since the epoch); before IG commit 1c51eb93 (2023) `saddr`, `daddr`, `sport`, `dport`.
enum IGTraceTCPFormat {
    private static let paths = JSONFieldReader.Paths([
        ["operation"], ["type"], ["src", "addr"], ["src", "port"], ["dst", "addr"], ["dst", "port"], ["saddr"],
        ["sport"], ["daddr"], ["dport"], ["netns_id"], ["netnsid"], ["netns"], ["timestamp_raw"], ["timestamp"],
    ])

    static let keyNames = ["src", "dst"]

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, file: String) throws(VerifyInputError) -> ObservedSet {
        var set = ObservedSet(keyNames: keyNames, noun: "TCP connects")
        try JSONFieldReader.forEachObject(in: bytes, paths: paths, file: file) { line, s in
            func fail(_ message: String) -> VerifyInputError { VerifyInputError(file: file, line: line, message) }
            let operation = s[0]?.string ?? s[1]?.string
            switch operation?.lowercased() {
            case "connect"?:
                break
            case let op? where op == "accept" || op == "close":
                set.ignore("\(op) records")
                return
            default:
                set.ignore("records that are not connect/accept/close events")
                return
            }
            func endpoint(_ addr: JSONFieldReader.Value?, _ port: JSONFieldReader.Value?, _ name: String) throws -> String {
                guard let host = addr?.string, let p = port?.unsigned, p <= 0xFFFF else {
                    throw fail("a connect without '\(name).addr' and '\(name).port'")
                }
                return VerifyText.endpoint(host: host, port: UInt16(p))
            }
            let src = try s[2] != nil ? endpoint(s[2], s[3], "src") : endpoint(s[6], s[7], "src")
            let dst = try s[4] != nil ? endpoint(s[4], s[5], "dst") : endpoint(s[8], s[9], "dst")
            var netns = (s[10] ?? s[11] ?? s[12])?.unsigned
            if netns == 0 { netns = nil }
            var time: ObservedTime?
            if let raw = s[13], case .int = raw { time = ObservedTime.read(raw) }
            if time == nil, let stamp = s[14] { time = ObservedTime.read(stamp) }
            set.records.append(ObservedRecord(line: line, key: VerifyKey.make([src, dst]), netns: netns, time: time))
        }
        return set
    }
}
