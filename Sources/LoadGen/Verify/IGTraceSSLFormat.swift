import Foundation
/// Inspektor Gadget's `trace_ssl` JSON output (`ig run trace_ssl -o json`, `kubectl gadget run trace_ssl -o json`):
/// the `SSL_write` calls of loadgen's process are joined with its HTTP/1.1-over-TLS events by request line. loadgen
/// hands each request to OpenSSL in exactly one `SSL_write`, so the plaintext (`buf`) of one call starts with one
/// event's `METHOD TARGET HTTP/1.1`. Calls whose `buf` is absent or ends before the request line does are counted
/// instead (`ObservedSet.countedOnly`).
///
/// Field names, from the inspektor-gadget repository (github.com/inspektor-gadget/inspektor-gadget):
/// - `gadgets/trace_ssl/program.bpf.c` (at 0ba0ffe6): struct event { timestamp_raw, proc (struct gadget_process:
///   comm, pid, tid, mntns_id, ...), operation_raw (enum operation: libssl_SSL_do_handshake 0, libssl_SSL_read 1,
///   libssl_SSL_write 2, then GnuTLS, NSS and libcrypto), latency_ns, len, error_raw, buf[8192] }. An event is sent
///   only when the call returned > 0 (`len`); `buf` holds its first `len & 8191` bytes (none for a len of exactly
///   8192) and nothing with `--record-data=false`;
/// - the earlier version of that file (with `gadget/mntns_filter.h`): the same event with the process fields at the
///   top level: `mntns_id`, `comm`, `pid`, `tid`, `uid`, `gid`;
/// - `gadgets/trace_ssl/gadget.yaml`: datasource `ssl` with `operation` (the enum's name, e.g. `libssl_SSL_write`),
///   `buf`, `len`, `latency_ns`, `error`; `gadgets/trace_ssl/README.mdx` shows the operation as `write`;
/// - `pkg/datasource/formatters/json/json.go`: a byte array is printed as a C string (up to its first NUL),
///   JSON-escaped (`\r`, `\n`, `\u00XX`; invalid UTF-8 as `\ufffd`).
enum IGTraceSSLFormat {
    private static let paths = JSONFieldReader.Paths([
        ["operation"], ["operation_raw"], ["proc", "pid"], ["pid"], ["proc", "comm"], ["comm"], ["len"], ["buf"],
        ["timestamp_raw"], ["timestamp"],
    ])

    static let keyNames = ["method", "target"]

    /// The events-log fields the join needs beyond the fixed ones (`VerifyEvent.extra`, in this order).
    static let eventPaths: [[String]] = [["method"], ["url"], ["pid"]]

    /// `libssl_SSL_write` in the gadget's `enum operation`.
    private static let libsslWriteRaw: Int64 = 2
    /// What IG buffers of a call: `len & (maxBuffer - 1)` bytes.
    static let maxBuffer: Int64 = 8192
    /// loadgen's process name (`comm`), when the pids differ (loadgen in a container: the tracer sees host pids).
    static let comm = "loadgen"

    /// The join key of a generated request.
    static func key(method: String, target: String) -> String { VerifyKey.make([method, target]) }

    /// An `SSL_write` call read from the file, before the process filter.
    private struct Write {
        var line: Int
        var pid: UInt64?
        var comm: String?
        var request: SSLWriteRequest
        var time: ObservedTime?
    }

    /// `pids`: the processes of the events log (empty: take every process's calls).
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, file: String,
                      pids: Set<UInt64>) throws(VerifyInputError) -> ObservedSet {
        var set = ObservedSet(keyNames: keyNames, noun: "SSL_write calls")
        var writes: [Write] = []
        try JSONFieldReader.forEachObject(in: bytes, paths: paths, file: file) { line, s in
            func fail(_ message: String) -> VerifyInputError { VerifyInputError(file: file, line: line, message) }
            guard isWrite(s[0], raw: s[1], set: &set) else { return }
            var len: Int64?
            if let value = s[6] {
                guard let v = value.int else { throw fail("'len' is not an integer") }
                guard v > 0 else {
                    set.ignore("SSL_write calls that returned 0 or less")
                    return
                }
                len = v
            }
            var buf: String?
            switch s[7] {
            case .string(let text)?: buf = text
            case .null?, nil: buf = nil
            default: throw fail("'buf' is not a string")
            }
            var time: ObservedTime?
            if let raw = s[8], case .int = raw { time = ObservedTime.read(raw) }
            if time == nil, let stamp = s[9] { time = ObservedTime.read(stamp) }
            writes.append(Write(line: line, pid: (s[2] ?? s[3])?.unsigned, comm: (s[4] ?? s[5])?.string,
                                request: SSLWriteRequest(buf: buf, len: len), time: time))
        }
        let taken = filterProcess(writes, pids: pids, set: &set)
        join(taken, into: &set)
        return set
    }

    /// Whether a record is an `SSL_write`; other records are counted as ignored, by operation.
    private static func isWrite(_ name: JSONFieldReader.Value?, raw: JSONFieldReader.Value?,
                                set: inout ObservedSet) -> Bool {
        if let op = name?.string {
            switch op {
            case "libssl_SSL_write", "SSL_write", "write":
                return true
            case "libssl_SSL_read", "libssl_SSL_do_handshake", "SSL_read", "SSL_do_handshake", "read":
                set.ignore("\(op) records")
            default:
                set.ignore("records of other operations")
            }
            return false
        }
        guard let code = raw?.int else {
            set.ignore("records that are not trace_ssl events")
            return false
        }
        if code == libsslWriteRaw { return true }
        set.ignore("records of other operations")
        return false
    }

    /// The calls of loadgen's process: by the events log's pids, else (none has one) by process name.
    private static func filterProcess(_ writes: [Write], pids: Set<UInt64>, set: inout ObservedSet) -> [Write] {
        guard !pids.isEmpty else {
            if !writes.isEmpty { set.notes.append("the events log has no pid: SSL_write calls of every process were joined") }
            return writes
        }
        let byPid = writes.filter { $0.pid.map(pids.contains) ?? false }
        let pidText = pids.sorted().map(String.init).joined(separator: ", ")
        var taken = byPid
        if byPid.isEmpty, !writes.isEmpty {
            taken = writes.filter { $0.comm == comm }
            if taken.isEmpty {
                set.notes.append("none of the \(writes.count) SSL_write calls is from pid \(pidText) (the events log's) or from a process named '\(comm)'; is this the trace of that run?")
            } else {
                set.notes.append("no SSL_write call is from pid \(pidText) (the events log's; in a container loadgen has another pid than the tracer sees): the calls of processes named '\(comm)' were joined")
            }
        }
        if writes.count > taken.count { set.ignore("SSL_write calls by other processes", count: writes.count - taken.count) }
        return taken
    }

    /// Records for the join, or counts for the calls whose request line cannot be read.
    private static func join(_ writes: [Write], into set: inout ObservedSet) {
        // With --record-data on (some buf has text), an empty buf is a call whose bytes start with a NUL (HTTP/2
        // frames), not a request; without it every buf is empty.
        let dataRecorded = writes.contains { $0.request.recordsData }
        var absent = 0
        var truncated = 0
        for write in writes {
            switch write.request {
            case .request(let method, let target):
                set.records.append(ObservedRecord(line: write.line, key: key(method: method, target: target),
                                                  time: write.time))
            case .notHTTP1:
                set.ignore("SSL_write calls that do not start with an HTTP/1.1 request line")
            case .empty where dataRecorded:
                set.ignore("SSL_write calls with an empty buf (binary data)")
            case .absent, .empty:
                absent += 1
            case .truncated, .unbuffered:
                truncated += 1
            }
        }
        set.countedOnly = absent + truncated
        if absent > 0 {
            set.notes.append("\(absent) SSL_write calls have no buf (trace_ssl --record-data=false?): they are counted, not joined")
        }
        if truncated > 0 {
            set.notes.append("\(truncated) SSL_write calls have a buf that ends before the request line does (IG keeps len & 8191 bytes): they are counted, not joined")
        }
    }

    /// The generated units: one per HTTP/1.1 event to an https (not http://) URL, keyed by its request line. Also
    /// the number of events left out (other kinds, plain-text http:// URLs).
    static func makeUnits(_ log: [VerifyEvent]) -> ([VerifyUnit], Int) {
        var units: [VerifyUnit] = []
        var other = 0
        for e in log {
            let url = extra(e, 1)?.string
            guard e.kind.map({ $0 == "http1" }) ?? (url != nil), !isPlainText(url) else {
                other += 1
                continue
            }
            var key: String?
            if let method = extra(e, 0)?.string, let target = url.flatMap(target(ofURL:)) {
                key = self.key(method: method, target: target)
            }
            units.append(VerifyUnit(seq: e.seq, key: key, netns: e.netns, sent: e.sent))
        }
        return (units, other)
    }

    /// The pids of the events log's HTTP/1.1 events.
    static func pids(_ log: [VerifyEvent]) -> Set<UInt64> {
        var pids = Set<UInt64>()
        for e in log where e.kind == nil || e.kind == "http1" {
            if let pid = extra(e, 2)?.unsigned { pids.insert(pid) }
        }
        return pids
    }

    /// The value at `eventPaths[i]`.
    private static func extra(_ e: VerifyEvent, _ i: Int) -> JSONFieldReader.Value? {
        i < e.extra.count ? e.extra[i] : nil
    }

    /// An http:// URL: loadgen sends it in plain text, never through SSL_write.
    static func isPlainText(_ url: String?) -> Bool {
        guard let url else { return false }
        return url.utf8.count >= 7 && url.prefix(7).lowercased() == "http://"
    }

    /// The request target loadgen writes for `url`: its path and query (`/` when it has no path), no fragment.
    static func target(ofURL url: String) -> String? {
        guard let schemeEnd = url.range(of: "://") else { return nil }
        var rest = url[schemeEnd.upperBound...]
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        guard let start = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return "/" }
        let target = rest[start...]
        return target.first == "?" ? "/" + target : String(target)
    }
}

/// What the plaintext of one `SSL_write` call says about the request in it.
enum SSLWriteRequest: Equatable {
    /// It starts with the request line `METHOD TARGET HTTP/1.1`.
    case request(method: String, target: String)
    /// It starts with something else (an HTTP/2 preface, another protocol).
    case notHTTP1
    /// No buf field.
    case absent
    /// An empty buf: --record-data=false, or bytes that start with a NUL.
    case empty
    /// It ends before the request line does.
    case truncated
    /// Nothing buffered of a request: its len is a multiple of IG's buffer size.
    case unbuffered

    /// Reads `buf` (as IG's JSON decodes it) of a call that returned `len`. A request line ends with CR LF, or with
    /// the four characters `\r\n` when the buf was escaped once more.
    init(buf: String?, len: Int64?) {
        guard let buf else {
            self = .absent
            return
        }
        guard !buf.isEmpty else {
            // A len that is a multiple of IG's buffer leaves nothing buffered: the request is there, unread.
            if let len, len % IGTraceSSLFormat.maxBuffer == 0 { self = .unbuffered } else { self = .empty }
            return
        }
        let bytes = Array(buf.utf8)
        guard let end = SSLWriteRequest.lineEnd(bytes) else {
            let short = len.map { bytes.count < $0 } ?? true
            // A request starts with its method, printable ASCII; binary data does not.
            self = short && (0x21..<0x7F).contains(bytes[0]) ? .truncated : .notHTTP1
            return
        }
        let line = bytes[..<end]
        guard let first = line.firstIndex(of: 0x20), let last = line.lastIndex(of: 0x20), first > 0,
              last > first + 1, line[(last + 1)...].elementsEqual("HTTP/1.1".utf8),
              line[..<first].allSatisfy({ (0x21..<0x7F).contains($0) }) else {
            self = .notHTTP1
            return
        }
        self = .request(method: String(decoding: line[..<first], as: UTF8.self),
                        target: String(decoding: line[(first + 1)..<last], as: UTF8.self))
    }

    /// Whether the tracer recorded data for this call (a non-empty buf).
    var recordsData: Bool {
        switch self {
        case .request, .notHTTP1, .truncated: true
        case .absent, .empty, .unbuffered: false
        }
    }

    private static func lineEnd(_ bytes: [UInt8]) -> Int? {
        var escaped: Int?
        for i in bytes.indices {
            if bytes[i] == 0x0D, i + 1 < bytes.count, bytes[i + 1] == 0x0A { return i }
            if escaped == nil, bytes[i] == UInt8(ascii: "\\"), i + 3 < bytes.count, bytes[i + 1] == UInt8(ascii: "r"),
               bytes[i + 2] == UInt8(ascii: "\\"), bytes[i + 3] == UInt8(ascii: "n") {
                escaped = i
            }
        }
        return escaped
    }
}
