import Foundation
import Testing
@testable import LoadGen

/// The suites of `loadgen verify` whose names do not say so, grouped so that `swift test --filter Verify` runs them.
@Suite enum VerifySuites {}

/// Recorded-shape samples for the verify tests: loadgen's --events lines and tracer output lines that follow the
/// field names of the real tools (sources cited at each sample).
enum VerifySamples {
    /// 2025-11-28T06:13:00Z in ns since the epoch.
    static let baseWallNanos: Int64 = 1_764_310_380_000_000_000
    static let baseBoottimeNanos: Int64 = 5_000_000_000
    static let netns: UInt64 = 4_026_532_177

    /// RFC 3339 with ns, for times within the hour from 06:00 on the base day.
    static func wallText(_ nanos: Int64) -> String {
        let offset = nanos - (baseWallNanos - 13 * 60_000_000_000)
        precondition(offset >= 0 && offset < 3_600_000_000_000)
        let seconds = offset / 1_000_000_000
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        var fraction = String(offset % 1_000_000_000)
        fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
        return "2025-11-28T06:\(two(seconds / 60)):\(two(seconds % 60)).\(fraction)Z"
    }

    /// A DNS event line as `loadgen dns --events` writes it; event `seq` is sent at base + seq ms.
    static func dnsEvent(seq: Int, id: Int? = nil, qname: String? = nil, netns: UInt64 = netns,
                         outcome: String = "completed") -> String {
        let sentOffset = Int64(seq) * 1_000_000
        let rcode = outcome == "completed" ? #","rcode":"NOERROR""# : ""
        let error = outcome == "error" ? #","error":"refused""# : ""
        return #"{"seq":\#(seq),"thread":0,"pid":123,"tid":124,"netns":\#(netns),"kind":"dns","intended":\#(1_000_000 + sentOffset),"sent":\#(1_000_010 + sentOffset),"done":\#(1_000_090 + sentOffset),"sent_boottime_ns":\#(baseBoottimeNanos + sentOffset),"sent_wall":"\#(wallText(baseWallNanos + sentOffset))","outcome":"\#(outcome)"\#(error),"id":\#(id ?? ((0x1000 + seq) & 0xFFFF)),"qname":"\#(qname ?? "q\(seq).example.test")","qtype":"A"\#(rcode),"src":"127.0.0.1:40001","dst":"127.0.0.1:53","transport":"udp"}"#
    }

    /// An HTTP/1.1 event line as `loadgen http --events` writes it.
    static func httpEvent(seq: Int, connection: Int, srcPort: Int, kind: String = "http1") -> String {
        let sentOffset = Int64(seq) * 1_000_000
        let stream = kind == "http2" ? #","stream":\#(2 * seq + 1)"# : ""
        return #"{"seq":\#(seq),"thread":0,"pid":123,"tid":124,"netns":\#(netns),"kind":"\#(kind)","intended":\#(1_000_000 + sentOffset),"sent":\#(1_000_010 + sentOffset),"done":\#(1_000_090 + sentOffset),"sent_boottime_ns":\#(baseBoottimeNanos + sentOffset),"sent_wall":"\#(wallText(baseWallNanos + sentOffset))","outcome":"completed","method":"GET","url":"http://127.0.0.1:8080/x","status":200,"src":"127.0.0.1:\#(srcPort)","dst":"127.0.0.1:8080"\#(stream),"connection":\#(connection)}"#
    }

    static func dnsEvents(_ count: Int) -> String {
        (0..<count).map { dnsEvent(seq: $0) }.joined(separator: "\n") + "\n"
    }

    /// Inspektor Gadget's built-in `ig trace dns -o json` record. Field names and formats from
    /// inspektor-gadget `pkg/gadgets/trace/dns/types/dns.go` (Event: pid, tid, comm, uid, gid, srcIP, dstIP,
    /// srcPort, dstPort, protocol, id, qr, nameserver, pktType, qtype, name, rcode, latency, numAnswers, addresses),
    /// `pkg/types/types.go` (timestamp as int64 ns, type, mountnsid, netnsid, runtime, k8s) and
    /// `pkg/gadgets/trace/dns/tracer/tracer.go` (id = fmt.Sprintf("%.4x"), name with a trailing dot); last version
    /// before the built-in gadgets were removed (commit b50f06ef).
    static func igBuiltinDNS(id: Int, name: String, response: Bool = false, delayNanos: Int64 = 50_000,
                             seq: Int = 0, netns: UInt64 = netns, pktType: String? = nil) -> String {
        let time = baseWallNanos + Int64(seq) * 1_000_000 + delayNanos
        let type = pktType ?? (response ? "HOST" : "OUTGOING")
        let responseFields = response ? #","rcode":"NoError","latency":80000,"numAnswers":1,"addresses":["127.0.0.1"]"# : ""
        return #"{"runtime":{"runtimeName":"docker","containerId":"3c9e2a7f1b7d","containerName":"bench"},"k8s":{"node":"","namespace":"","podName":"","containerName":"","hostNetwork":false,"owner":{}},"timestamp":\#(time),"type":"normal","mountnsid":4026532256,"netnsid":\#(netns),"pid":123,"tid":124,"comm":"loadgen","uid":0,"gid":0,"srcIP":"127.0.0.1","dstIP":"127.0.0.1","srcPort":40001,"dstPort":53,"protocol":"UDP","id":"\#(hex4(id))","qr":"\#(response ? "R" : "Q")","nameserver":"127.0.0.1","pktType":"\#(type)","qtype":"A","name":"\#(name)."\#(responseFields)}"#
    }

    /// Inspektor Gadget's image-based `ig run trace_dns -o json` record. Field names from inspektor-gadget
    /// `gadgets/trace_dns/gadget.yaml`, `gadgets/trace_dns/program.bpf.c` (timestamp_raw, src, dst, nameserver,
    /// netns_id, proc) and `gadgets/trace_dns/test/integration/trace_dns_test.go` (traceDNSEvent: timestamp,
    /// netns_id, proc, src, dst, nameserver, id, qtype, qtype_raw, pkt_type, rcode_raw, rcode, latency_ns_raw,
    /// qr_raw, qr, name, addresses, tc, rd, ra); the timestamp string format from
    /// `pkg/operators/formatters/formatters.go` ("2006-01-02T15:04:05.000000000Z07:00").
    static func igImageDNS(id: Int, name: String, response: Bool = false, delayNanos: Int64 = 50_000, seq: Int = 0,
                           netns: UInt64 = netns, pktType: String? = nil, withRaw: Bool = true) -> String {
        let time = baseWallNanos + Int64(seq) * 1_000_000 + delayNanos
        let type = pktType ?? (response ? "HOST" : "OUTGOING")
        let typeRaw = type == "HOST" ? 0 : 4
        let raw = withRaw ? #""timestamp_raw":\#(time),"# : ""
        let endpoint = #"{"addr":"127.0.0.1","version":4,"port":40001,"proto":"UDP","k8s":{"kind":"raw","name":"","namespace":"","labels":""}}"#
        let server = #"{"addr":"127.0.0.1","version":4,"port":53,"proto":"UDP","k8s":{"kind":"raw","name":"","namespace":"","labels":""}}"#
        return #"{"runtime":{"containerName":"bench","containerId":"3c9e2a7f1b7d","containerImageName":"busybox","containerImageDigest":""},"k8s":{"node":"","namespace":"","podName":"","containerName":"","owner":{"kind":"","name":""}},"timestamp":"\#(wallText(time))",\#(raw)"netns_id":\#(netns),"proc":{"comm":"loadgen","pid":123,"tid":124,"creds":{"uid":0,"gid":0},"parent":{"comm":"bash","pid":100},"mntns_id":4026532256},"src":\#(response ? server : endpoint),"dst":\#(response ? endpoint : server),"nameserver":{"addr":"127.0.0.1","version":4},"id":"\#(hex4(id))","qtype":"A","qtype_raw":1,"pkt_type":"\#(type)","pkt_type_raw":\#(typeRaw),"rcode":"\#(response ? "Success" : "")","rcode_raw":0,"latency_ns_raw":\#(response ? 80000 : 0),"qr_raw":\#(response),"qr":"\#(response ? "R" : "Q")","name":"\#(name).","addresses":"\#(response ? "127.0.0.1" : "")","tc":false,"rd":true,"ra":false}"#
    }

    /// Inspektor Gadget's image-based `ig run trace_tcp -o json` record. Field names from inspektor-gadget
    /// `gadgets/trace_tcp/gadget.yaml`, `gadgets/trace_tcp/ebpf/common.h` (struct event: timestamp_raw, proc,
    /// netns_id, src, dst, type_raw, error_raw, fd, accept_fd) and `gadgets/trace_tcp/test/integration/
    /// trace_tcp_test.go` (traceTCPEvent: timestamp, proc, netns_id, src, dst, type, error, fd, accept_fd).
    static func igImageTCP(type: String, srcPort: Int, dstPort: Int = 8080, seq: Int = 0, delayNanos: Int64 = -20_000,
                           netns: UInt64 = netns) -> String {
        let time = baseWallNanos + Int64(seq) * 1_000_000 + delayNanos
        return #"{"runtime":{"containerName":"bench","containerId":"3c9e2a7f1b7d"},"k8s":{"node":"","namespace":"","podName":"","containerName":""},"timestamp":"\#(wallText(time))","timestamp_raw":\#(time),"proc":{"comm":"loadgen","pid":123,"tid":124,"creds":{"uid":0,"gid":0},"parent":{"comm":"bash","pid":100},"mntns_id":4026532256},"netns_id":\#(netns),"src":{"addr":"127.0.0.1","version":4,"port":\#(srcPort),"proto":"TCP","k8s":{"kind":"raw"}},"dst":{"addr":"127.0.0.1","version":4,"port":\#(dstPort),"proto":"TCP","k8s":{"kind":"raw"}},"type":"\#(type)","type_raw":1,"error":"","error_raw":0,"fd":3,"accept_fd":-1}"#
    }

    /// Inspektor Gadget's built-in `ig trace tcp -o json` record. Field names from inspektor-gadget
    /// `pkg/gadgets/trace/tcp/types/types.go` (operation, pid, uid, gid, comm, ipversion, src, dst) with `src`/`dst`
    /// as `pkg/types/types.go` L4Endpoint (addr, version, port, proto) and the base Event (timestamp, type,
    /// mountnsid); no netns field.
    static func igBuiltinTCP(operation: String, srcPort: Int, dstPort: Int = 8080, seq: Int = 0) -> String {
        let time = baseWallNanos + Int64(seq) * 1_000_000 - 20_000
        return #"{"runtime":{"containerName":"bench"},"k8s":{"node":""},"timestamp":\#(time),"type":"normal","mountnsid":4026532256,"operation":"\#(operation)","pid":123,"uid":0,"gid":0,"comm":"loadgen","ipversion":4,"src":{"addr":"127.0.0.1","version":4,"port":\#(srcPort)},"dst":{"addr":"127.0.0.1","version":4,"port":\#(dstPort)}}"#
    }

    /// Inspektor Gadget's built-in trace tcp before 2023 (commit 1c51eb93 moved to src/dst objects): saddr, daddr,
    /// sport, dport (`pkg/gadgets/trace/tcp/types/types.go` at efd6f979).
    static func igOldTCP(operation: String, srcPort: Int, dstPort: Int = 8080) -> String {
        #"{"node":"","namespace":"","pod":"","container":"bench","timestamp":\#(baseWallNanos),"type":"normal","mountnsid":4026532256,"operation":"\#(operation)","pid":123,"uid":0,"gid":0,"comm":"loadgen","ipversion":4,"saddr":"127.0.0.1","daddr":"127.0.0.1","sport":\#(srcPort),"dport":\#(dstPort)}"#
    }

    /// The header tshark prints with `-T fields -E header=y -e frame.time_epoch -e dns.id -e dns.qry.name
    /// -e dns.flags.response` (checked with TShark 4.0.17).
    static let tsharkHeader = "frame.time_epoch\tdns.id\tdns.qry.name\tdns.flags.response"

    /// One such row; time_epoch as tshark prints it (seconds with 9 decimals), dns.id as 0x%04x.
    static func tsharkRow(id: Int, name: String, response: Bool = false, seq: Int = 0, delayNanos: Int64 = 40_000,
                          responseText: String? = nil) -> String {
        let time = baseWallNanos + Int64(seq) * 1_000_000 + delayNanos
        var fraction = String(time % 1_000_000_000)
        fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
        return "\(time / 1_000_000_000).\(fraction)\t0x\(hex4(id))\t\(name)\t\(responseText ?? (response ? "1" : "0"))"
    }
}

extension VerifySamples {
    /// An HTTP/1.1-over-TLS event line as `loadgen http --events` writes it for `url` (`{seq}` expanded).
    static func httpsEvent(seq: Int, url: String = "https://127.0.0.1:8443/x?n={seq}", method: String = "GET",
                           pid: Int = 123) -> String {
        let sentOffset = Int64(seq) * 1_000_000
        let expanded = url.replacingOccurrences(of: "{seq}", with: String(seq))
        return #"{"seq":\#(seq),"thread":0,"pid":\#(pid),"tid":124,"netns":\#(netns),"kind":"http1","intended":\#(1_000_000 + sentOffset),"sent":\#(1_000_010 + sentOffset),"done":\#(1_000_090 + sentOffset),"sent_boottime_ns":\#(baseBoottimeNanos + sentOffset),"sent_wall":"\#(wallText(baseWallNanos + sentOffset))","outcome":"completed","method":"\#(method)","url":"\#(expanded)","status":200,"src":"127.0.0.1:40001","dst":"127.0.0.1:8443","connection":1}"#
    }

    /// The request loadgen writes for event `seq` of `httpsEvent`, JSON-escaped as Inspektor Gadget prints `buf`.
    static func requestBuf(seq: Int, target: String? = nil, method: String = "GET") -> String {
        let path = target ?? "/x?n=\(seq)"
        return #"\#(method) \#(path) HTTP/1.1\r\nHost: 127.0.0.1:8443\r\nUser-Agent: loadgen/0.1.0\r\n\r\n"#
    }

    /// Inspektor Gadget's image-based `ig run trace_ssl -o json` record. Field names from inspektor-gadget
    /// `gadgets/trace_ssl/program.bpf.c` (struct event: timestamp_raw, proc, operation_raw, latency_ns, len,
    /// error_raw, buf; enum operation: libssl_SSL_write = 2) and `gadgets/trace_ssl/gadget.yaml` (operation, buf,
    /// len, latency_ns); `proc` as in the trace_dns and trace_tcp samples; `buf` is the escaped C string
    /// (`pkg/datasource/formatters/json/json.go`). `buf: nil` leaves the field out.
    static func igImageSSL(operation: String = "libssl_SSL_write", buf: String?, len: Int = 78, seq: Int = 0,
                           pid: Int = 123, comm: String = "loadgen", delayNanos: Int64 = 15_000) -> String {
        let time = baseWallNanos + Int64(seq) * 1_000_000 + delayNanos
        let raw = ["libssl_SSL_do_handshake": 0, "libssl_SSL_read": 1, "libssl_SSL_write": 2][operation] ?? 9
        let bufField = buf.map { #","buf":"\#($0)""# } ?? ""
        return #"{"runtime":{"containerName":"bench","containerId":"3c9e2a7f1b7d"},"k8s":{"node":"","namespace":"","podName":"","containerName":""},"timestamp":"\#(wallText(time))","timestamp_raw":\#(time),"proc":{"comm":"\#(comm)","pid":\#(pid),"tid":124,"creds":{"uid":0,"gid":0},"parent":{"comm":"bash","pid":100},"mntns_id":4026532256},"operation":"\#(operation)","operation_raw":\#(raw),"latency_ns":23000,"len":\#(len)\#(bufField)}"#
    }

    /// The earlier image-based trace_ssl record: the process fields at the top level (`program.bpf.c` with
    /// `gadget/mntns_filter.h`: mntns_id, comm, pid, tid, uid, gid), no `proc` object.
    static func igOlderSSL(operation: String = "libssl_SSL_write", buf: String?, len: Int = 78, seq: Int = 0,
                           pid: Int = 123) -> String {
        let time = baseWallNanos + Int64(seq) * 1_000_000 + 15_000
        let bufField = buf.map { #","buf":"\#($0)""# } ?? ""
        return #"{"runtime":{"containerName":"bench"},"k8s":{"node":""},"timestamp":"\#(wallText(time))","mntns_id":4026532256,"comm":"loadgen","pid":\#(pid),"tid":124,"uid":0,"gid":0,"operation":"\#(operation)","latency_ns":23000,"len":\#(len)\#(bufField)}"#
    }
}

extension VerifySamples {
    /// Four lower-case hex digits, as Go's `%.4x` and tshark's dns.id print a DNS ID.
    static func hex4(_ value: Int) -> String {
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: Swift.max(0, 4 - hex.count)) + hex
    }
}
