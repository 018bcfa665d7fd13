// Can Foundation read a large Inspektor Gadget trace_dns capture fast enough for `loadgen verify`?
// Built and run by Benchmarks/verify_decoder.sh (swiftc -O). Subcommands:
//   gen N OBSERVED EVENTS   N IG `ig run trace_dns -o json` lines (a query leaving, the same query arriving on
//                           loopback, the response: N/3 queries) and the loadgen --events log of those queries
//   serialization FILE      reads FILE with JSONSerialization, one object per line, and extracts the fields
//                           IGTraceDNSFormat uses
//   decoder FILE            the same with JSONDecoder and a Decodable record
//   decoder-array FILE      JSONDecoder once on the whole file made one array (no per-call overhead)
// Each reader prints its wall and CPU seconds and a checksum of what it read (so nothing is optimised away).
import Foundation

/// 2025-11-28T06:00:00Z in ns since the epoch.
let baseWallNanos: Int64 = 1_764_309_600_000_000_000
let netns: UInt64 = 4_026_532_177

func hex4(_ v: Int) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: 4 - s.count) + s
}

func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }

/// RFC 3339 with ns, as IG's formatter writes it (times within 24 h of the base).
func wallText(_ nanos: Int64) -> String {
    let offset = nanos - baseWallNanos
    let seconds = offset / 1_000_000_000
    var fraction = String(offset % 1_000_000_000)
    fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
    return "2025-11-28T\(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60)).\(fraction)Z"
}

/// One `ig run trace_dns -o json` record (field names from inspektor-gadget gadgets/trace_dns/gadget.yaml and
/// its integration test; see Sources/LoadGen/Verify/IGTraceDNSFormat.swift).
func igLine(seq: Int, response: Bool, pktType: String) -> String {
    let time = baseWallNanos + Int64(seq) * 20_000 + (response ? 80_000 : pktType == "HOST" ? 9_000 : 5_000)
    let id = (0x1000 + seq) & 0xFFFF
    let port = 40_000 + seq % 20_000
    let client = #"{"addr":"127.0.0.1","version":4,"port":\#(port),"proto":"UDP","k8s":{"kind":"raw","name":"","namespace":"","labels":""}}"#
    let server = #"{"addr":"127.0.0.1","version":4,"port":53,"proto":"UDP","k8s":{"kind":"raw","name":"","namespace":"","labels":""}}"#
    let typeRaw = pktType == "HOST" ? 0 : 4
    return #"{"runtime":{"containerName":"bench","containerId":"3c9e2a7f1b7d","containerImageName":"busybox","containerImageDigest":""},"k8s":{"node":"","namespace":"","podName":"","containerName":"","owner":{"kind":"","name":""}},"timestamp":"\#(wallText(time))","timestamp_raw":\#(time),"netns_id":\#(netns),"proc":{"comm":"loadgen","pid":4123,"tid":4124,"creds":{"uid":0,"gid":0},"parent":{"comm":"bash","pid":4100},"mntns_id":4026532256},"src":\#(response ? server : client),"dst":\#(response ? client : server),"nameserver":{"addr":"127.0.0.1","version":4},"id":"\#(hex4(id))","qtype":"A","qtype_raw":1,"pkt_type":"\#(pktType)","pkt_type_raw":\#(typeRaw),"rcode":"\#(response ? "Success" : "")","rcode_raw":0,"latency_ns_raw":\#(response ? 80_000 : 0),"qr_raw":\#(response),"qr":"\#(response ? "R" : "Q")","name":"q\#(seq).example.test.","addresses":"\#(response ? "127.0.0.1" : "")","tc":false,"rd":true,"ra":false}"#
}

/// The loadgen --events line of query `seq`.
func eventLine(seq: Int) -> String {
    let sent = Int64(seq) * 20_000
    let id = (0x1000 + seq) & 0xFFFF
    return #"{"seq":\#(seq),"thread":0,"pid":4123,"tid":4124,"netns":\#(netns),"kind":"dns","intended":\#(1_000_000 + sent),"sent":\#(1_000_010 + sent),"done":\#(1_000_090 + sent),"sent_boottime_ns":\#(5_000_000_000 + sent),"sent_wall":"\#(wallText(baseWallNanos + sent))","outcome":"completed","id":\#(id),"qname":"q\#(seq).example.test","qtype":"A","rcode":"NOERROR","src":"127.0.0.1:\#(40_000 + seq % 20_000)","dst":"127.0.0.1:53","transport":"udp"}"#
}

func generate(lines: Int, observed: String, events: String) throws {
    _ = FileManager.default.createFile(atPath: observed, contents: nil)
    _ = FileManager.default.createFile(atPath: events, contents: nil)
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: observed))
    let ev = try FileHandle(forWritingTo: URL(fileURLWithPath: events))
    var chunk = "", evChunk = ""
    var written = 0
    var seq = 0
    while written < lines {
        for (response, pkt) in [(false, "OUTGOING"), (false, "HOST"), (true, "HOST")] where written < lines {
            chunk += igLine(seq: seq, response: response, pktType: pkt) + "\n"
            written += 1
        }
        evChunk += eventLine(seq: seq) + "\n"
        seq += 1
        if chunk.utf8.count > 1 << 20 {
            out.write(chunk.data(using: .utf8)!)
            ev.write(evChunk.data(using: .utf8)!)
            chunk = ""
            evChunk = ""
        }
    }
    out.write(chunk.data(using: .utf8)!)
    ev.write(evChunk.data(using: .utf8)!)
    try out.close()
    try ev.close()
    print("wrote \(written) lines (\(seq) queries) to \(observed), \(seq) events to \(events)")
}

/// The fields IGTraceDNSFormat reads, as JSONDecoder gives them.
struct IGRecord: Decodable {
    var id: String?
    var qr: String?
    var qr_raw: Bool?
    var name: String?
    var netns_id: UInt64?
    var timestamp_raw: Int64?
    var timestamp: String?
    var pkt_type: String?
    var pkt_type_raw: Int?
}

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

/// Calls `body` with each line of the file (without its newline) as Data.
func forEachLine(_ data: Data, _ body: (Data) throws -> Void) rethrows {
    var start = data.startIndex
    while start < data.endIndex {
        let end = data[start...].firstIndex(of: UInt8(ascii: "\n")) ?? data.endIndex
        if end > start { try body(data[start..<end]) }
        start = end + 1
    }
}

func measure(_ name: String, file: String, _ read: (Data) throws -> (records: Int, checksum: UInt64)) throws {
    let wall0 = Date(), cpu0 = cpuSeconds()
    let data = try Data(contentsOf: URL(fileURLWithPath: file), options: .alwaysMapped)
    let (records, checksum) = try read(data)
    let wall = Date().timeIntervalSince(wall0), cpu = cpuSeconds() - cpu0
    print(String(format: "%@: %d records, %.1f MB in %.2f s wall, %.2f s CPU (%.0f records/s) checksum %llu",
                 name, records, Double(data.count) / 1e6, wall, cpu, Double(records) / wall, checksum))
}

func viaSerialization(_ data: Data) throws -> (Int, UInt64) {
    var records = 0, checksum: UInt64 = 0
    try forEachLine(data) { line in
        guard let object = try JSONSerialization.jsonObject(with: line) as? [String: Any] else { return }
        records += 1
        guard (object["qr"] as? String) == "Q", let id = object["id"] as? String, let name = object["name"] as? String
        else { return }
        let netns = (object["netns_id"] as? NSNumber)?.uint64Value ?? 0
        let time = (object["timestamp_raw"] as? NSNumber)?.int64Value ?? 0
        let host = (object["pkt_type"] as? String) == "HOST" ? 1 : 0
        checksum &+= UInt64(UInt16(id, radix: 16) ?? 0) &+ UInt64(name.utf8.count) &+ netns &+ UInt64(time) &+ UInt64(host)
    }
    return (records, checksum)
}

func viaDecoder(_ data: Data) throws -> (Int, UInt64) {
    var records = 0, checksum: UInt64 = 0
    let decoder = JSONDecoder()
    try forEachLine(data) { line in
        let r = try decoder.decode(IGRecord.self, from: line)
        records += 1
        guard r.qr == "Q", let id = r.id, let name = r.name else { return }
        let host = r.pkt_type == "HOST" ? 1 : 0
        checksum &+= UInt64(UInt16(id, radix: 16) ?? 0) &+ UInt64(name.utf8.count) &+ (r.netns_id ?? 0)
            &+ UInt64(r.timestamp_raw ?? 0) &+ UInt64(host)
    }
    return (records, checksum)
}

/// The file as one JSON array: `[` line `,` line ... `]`.
func viaDecoderArray(_ data: Data) throws -> (Int, UInt64) {
    var array = Data([UInt8(ascii: "[")])
    array.reserveCapacity(data.count + 2)
    var first = true
    forEachLine(data) { line in
        if !first { array.append(UInt8(ascii: ",")) }
        array.append(line)
        first = false
    }
    array.append(UInt8(ascii: "]"))
    let all = try JSONDecoder().decode([IGRecord].self, from: array)
    var checksum: UInt64 = 0
    for r in all where r.qr == "Q" {
        guard let id = r.id, let name = r.name else { continue }
        let host = r.pkt_type == "HOST" ? 1 : 0
        checksum &+= UInt64(UInt16(id, radix: 16) ?? 0) &+ UInt64(name.utf8.count) &+ (r.netns_id ?? 0)
            &+ UInt64(r.timestamp_raw ?? 0) &+ UInt64(host)
    }
    return (all.count, checksum)
}

let args = CommandLine.arguments
switch (args.count > 1 ? args[1] : "", args.count) {
case ("gen", 5):
    try generate(lines: Int(args[2])!, observed: args[3], events: args[4])
case ("serialization", 3):
    try measure("JSONSerialization", file: args[2], viaSerialization)
case ("decoder", 3):
    try measure("JSONDecoder", file: args[2], viaDecoder)
case ("decoder-array", 3):
    try measure("JSONDecoder, one array", file: args[2], viaDecoderArray)
default:
    FileHandle.standardError.write("usage: bench gen N OBSERVED EVENTS | serialization FILE | decoder FILE | decoder-array FILE\n".data(using: .utf8)!)
    exit(2)
}
