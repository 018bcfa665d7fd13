import ArgumentParser
import Foundation
import Glibc

/// `loadgen verify`: joins loadgen's per-event ground-truth log with what a tracer printed. Exit codes: 0 nothing
/// was missed, 3 something was, 1 no event to verify against, 2 usage errors and unreadable or malformed files.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a tracer's output against loadgen's --events log: what it saw, missed, and saw twice.",
        discussion: """
        Joins the events a run logged (loadgen dns|http|tcp ... --events FILE) with \
        the records a tracer printed, and reports generated, observed, matched, \
        missed (the first 10, by seq), unexpected (observed, never generated), \
        duplicates (a generated key observed more often than it was generated), \
        the capture ratio (matched / generated) and, when the tracer prints \
        timestamps, the observe delay (observed time - sent time). Every logged \
        event counts as generated, whatever its outcome.

        Formats:
          ig-trace-dns   Inspektor Gadget's trace dns JSON (ig trace dns -o json,
                         ig run trace_dns -o json, kubectl gadget; one object
                         per line, pretty-printed, or arrays). Queries (qr Q)
                         join DNS events by (id, name): id as IG prints it (hex),
                         name lower-cased without the trailing dot. Responses
                         are counted, not joined. When records carry a netns
                         (netns_id, netnsid) it must match the event's. Copies
                         seen arriving (pkt_type HOST, as on loopback) are
                         joined on their own and are not duplicates.
          ig-trace-tcp   Inspektor Gadget's trace tcp JSON: connect records
                         (type or operation "connect") join HTTP and tcp-kind
                         connections (loadgen tcp: each event one) by
                         (src, dst) and netns_id when present; accept and close
                         are counted. Reported per connection, not per request.
          ig-trace-ssl   Inspektor Gadget's trace_ssl JSON (ig run trace_ssl
                         -o json): SSL_write calls (operation libssl_SSL_write)
                         of loadgen's process (the log's pid; else comm
                         loadgen) join HTTP/1.1 events to https:// URLs by
                         request line: buf starts with METHOD TARGET HTTP/1.1
                         (one SSL_write per request). Calls without a buf, or
                         with one cut before the line ends, are counted against
                         the requests left unmatched instead. Reads, handshakes
                         and other processes are counted, not joined.
          tshark-fields  tshark -T fields -E header=y -e frame.time_epoch
                         -e dns.id -e dns.qry.name -e dns.flags.response
                         Columns named by the header line, or by --columns.
                         Queries (dns.flags.response 0 or False) join DNS events
                         by (dns.id, dns.qry.name).
          jsonl          Any JSON Lines, joined by --key; --where selects the
                         records, --time names the timestamp.

        --key (jsonl): comma-separated items [EVENT_FIELD=]PATH[:CONVERSION].
        PATH is a dotted path into each observed object; EVENT_FIELD is the
        events-log field it must equal, by default PATH's last component.
          --key id,qname                      fields named as in the events log
          --key id=dns.id:hex,qname=dns.name  nested fields; dns.id is hex text
        Conversions, applied to both sides: text (as written), lower, name (DNS
        name: lower-case, no trailing dot), number (integers; 0x hex strings
        too), hex (strings are hex), endpoint (ip:port, [v6]:port). Defaults:
        qname name, id number, src and dst endpoint, anything else text.

        Clocks: a tracer timestamp is compared with the sent time on its own \
        clock. RFC 3339 strings, Unix seconds (frame.time_epoch) and integer ns \
        from 1e17 up are wall-clock (against sent_wall); smaller integers are \
        boot-time ns as bpf_ktime_get_boot_ns gives (against sent_boottime_ns). \
        --time PATH:monotonic compares with sent (CLOCK_MONOTONIC, bpftrace's \
        nsecs). Wall-clock delays include the difference between the tracer's \
        and loadgen's boot-to-wall offsets: small negative values can occur.

        Exit status: 0 nothing generated was missed; 3 something was; 1 the events \
        log holds no event to verify against (empty, or none of the kind the \
        format joins: no ground truth is never a pass); 2 usage errors, \
        unreadable files and malformed lines (named as FILE:LINE).

        Examples:
          sudo ig trace dns -o json > observed.json &
          sudo loadgen dns --netns bench --server 10.0.0.2 \\
               --name 'q{seq}.example.test' --rate 5k -d 10s --events ev.jsonl
          loadgen verify --events ev.jsonl --observed observed.json \\
               --format ig-trace-dns
          sudo ig run trace_ssl -o json > ssl.json &
          loadgen verify --events ev.jsonl --observed ssl.json \\
               --format ig-trace-ssl
          tshark -r cap.pcap -T fields -E header=y -e frame.time_epoch \\
               -e dns.id -e dns.qry.name -e dns.flags.response > obs.tsv
          loadgen verify --events ev.jsonl --observed obs.tsv \\
               --format tshark-fields --json
          loadgen verify --events ev.jsonl --observed bt.jsonl --format jsonl \\
               --key id,qname --time ts:monotonic
        """
    )

    @Option(help: ArgumentHelp("loadgen's per-event log (JSON Lines, from --events); - for stdin.", valueName: "FILE"))
    var events: String

    @Option(help: ArgumentHelp("What the tracer printed; - for stdin.", valueName: "FILE"))
    var observed: String

    @Option(help: ArgumentHelp("The observed file's format: ig-trace-dns, ig-trace-tcp, ig-trace-ssl, tshark-fields or jsonl.", valueName: "FMT"))
    var format: String

    @Option(help: ArgumentHelp("jsonl: the join fields, [EVENT_FIELD=]PATH[:CONVERSION], comma-separated (repeatable).", valueName: "PATH[,PATH]"))
    var key: [String] = []

    @Option(help: ArgumentHelp("tshark-fields: the column names in the order of tshark's -e options, when the output has no header line.", valueName: "NAMES"))
    var columns: String?

    @Option(name: .customLong("where"),
            help: ArgumentHelp("jsonl: join only records whose PATH equals (=) or differs from (!=) VALUE (repeatable), e.g. qr=Q.", valueName: "PATH=VALUE"))
    var filters: [String] = []

    @Option(help: ArgumentHelp("jsonl: the observed timestamp, PATH[:wall|boottime|monotonic] (default: the clock is inferred from the value).", valueName: "PATH[:CLOCK]"))
    var time: String?

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    func validate() throws {
        _ = try makeOptions()
    }

    func run() throws {
        let options = try makeOptions()
        let report: VerifyReport
        do {
            let eventFile = try VerifyInputFile(events, flag: "--events")
            let observedFile = try VerifyInputFile(observed, flag: "--observed")
            report = try eventFile.withBytes { e throws(VerifyInputError) in
                try observedFile.withBytes { o throws(VerifyInputError) in
                    try Verifier.run(events: e, eventsFile: VerifyCommand.name(events), observed: o,
                                     observedFile: VerifyCommand.name(observed), options: options)
                }
            }
        } catch {
            Console.error("loadgen verify: \(error.description)\n")
            Glibc.exit(error.exitCode)
        }
        print(json ? report.json().serialized() : report.text(), terminator: json ? "\n" : "")
        if report.exitCode != 0 {
            // Directly (exit(3) flushes stdout), not with `throw ExitCode(3)`: the root command would print an
            // empty error line.
            Glibc.exit(report.exitCode)
        }
    }

    /// Validates the flags (usage errors, exit 2).
    func makeOptions() throws(ValidationError) -> VerifyOptions {
        guard let format = VerifyFormat(rawValue: format) else {
            throw ValidationError("--format '\(format)' is not a format; use one of \(VerifyFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if events == "-" && observed == "-" {
            throw ValidationError("--events and --observed cannot both be stdin (-)")
        }
        var options = VerifyOptions(format: format)
        if format != .jsonl {
            for (flag, given) in [("--key", !key.isEmpty), ("--where", !filters.isEmpty), ("--time", time != nil)] where given {
                throw ValidationError("\(flag) applies to --format jsonl only; \(format.rawValue) knows its fields")
            }
        }
        if format != .tsharkFields, columns != nil {
            throw ValidationError("--columns applies to --format tshark-fields only")
        }
        do {
            switch format {
            case .jsonl:
                guard !key.isEmpty else {
                    throw ValidationError("--format jsonl needs --key, e.g. --key id,qname or --key id=dns.id:hex,qname=dns.name")
                }
                options.keys = try JSONLinesFormat.keys(key)
                options.filters = try filters.map { text throws(VerifyUsageError) in try JSONLinesFormat.filter(text) }
                options.time = try time.map { text throws(VerifyUsageError) in try JSONLinesFormat.time(text) }
            case .tsharkFields:
                if let columns {
                    let names = columns.split(separator: ",", omittingEmptySubsequences: false).map { VerifyText.trimmed(String($0)) }
                    guard !names.contains("") else {
                        throw ValidationError("--columns '\(columns)': an empty name; give tshark's -e fields in order, comma-separated")
                    }
                    options.columns = names
                }
            case .igTraceDNS, .igTraceTCP, .igTraceSSL:
                break
            }
        } catch let error as VerifyUsageError {
            throw ValidationError(error.description)
        } catch let error as ValidationError {
            throw error
        } catch {
            throw ValidationError("\(error)")
        }
        return options
    }

    private static func name(_ path: String) -> String { path == "-" ? "<stdin>" : path }

    /// The whole file (or stdin for `-`).
    static func read(_ path: String, flag: String) throws(VerifyInputError) -> [UInt8] {
        try VerifyInputFile(path, flag: flag).withBytes { Array($0) }
    }
}

/// A file `loadgen verify` reads: a regular file mapped (no copy; hundreds of MB of tracer output are common),
/// anything else (stdin, a pipe) read into memory. A mapped file truncated while it is read raises SIGBUS, as with
/// any mmap reader; one still being appended to is read up to its size at open.
final class VerifyInputFile {
    private var mapped: UnsafeRawBufferPointer?
    private var bytes: [UInt8] = []

    init(_ path: String, flag: String) throws(VerifyInputError) {
        let fd = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let why = errno == ENOENT ? "does not exist" : "cannot be opened: \(String(cString: strerror(errno)))"
            throw VerifyInputError(file: path, "\(why) (\(flag))")
        }
        defer { if fd != 0 { close(fd) } }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw VerifyInputError(file: path, "cannot be read: \(String(cString: strerror(errno))) (\(flag))")
        }
        if info.st_mode & S_IFMT == S_IFDIR { throw VerifyInputError(file: path, "is a directory (\(flag))") }
        if info.st_mode & S_IFMT == S_IFREG, info.st_size > 0 {
            let size = Int(info.st_size)
            if let base = mmap(nil, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0), base != MAP_FAILED {
                madvise(base, size, MADV_SEQUENTIAL)
                mapped = UnsafeRawBufferPointer(start: base, count: size)
                return
            }
        }
        bytes = try VerifyInputFile.readAll(fd, path: path, flag: flag, sizeHint: Int(info.st_size))
    }

    deinit {
        if let mapped { munmap(UnsafeMutableRawPointer(mutating: mapped.baseAddress), mapped.count) }
    }

    func withBytes<T, E: Error>(_ body: (UnsafeBufferPointer<UInt8>) throws(E) -> T) throws(E) -> T {
        if let mapped { return try body(mapped.bindMemory(to: UInt8.self)) }
        let result: Result<T, E> = bytes.withUnsafeBufferPointer { buffer in
            do throws(E) { return .success(try body(buffer)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    private static func readAll(_ fd: Int32, path: String, flag: String, sizeHint: Int) throws(VerifyInputError) -> [UInt8] {
        // A regular file is read into a buffer of its size, uninitialised (no page is touched twice); a pipe or a
        // growing file in 1 MiB steps after that.
        var failure: Int32 = 0
        var atEnd = false
        func readInto(_ buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
            var count = 0
            while count < buffer.count {
                let n = Glibc.read(fd, buffer.baseAddress! + count, buffer.count - count)
                if n == 0 { atEnd = true; break }
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    break
                }
                count += n
            }
            return count
        }
        var bytes = [UInt8](unsafeUninitializedCapacity: max(sizeHint + 1, 1 << 16)) { buffer, initialized in
            initialized = readInto(buffer)
        }
        while !atEnd, failure == 0 {
            bytes += [UInt8](unsafeUninitializedCapacity: 1 << 20) { buffer, initialized in
                initialized = readInto(buffer)
            }
        }
        if failure != 0 {
            throw VerifyInputError(file: path, "cannot be read: \(String(cString: strerror(failure))) (\(flag))")
        }
        return bytes
    }
}
