/// The merged result of a run: totals across threads plus the per-thread parts.
struct RunResult: Sendable {
    var threads: [ThreadResult]
    var counters = Counters()
    var responseTime = LatencyHistogram()
    var serviceTime = LatencyHistogram()
    var scheduleLag = LatencyHistogram()
    var warmup: EventPart?
    /// A shaped run's step windows, summed over the threads.
    var steps: [StepPart]?
    var originNanos: UInt64
    var firstSentNanos: UInt64 = 0
    var lastSentNanos: UInt64 = 0
    var endNanos: UInt64
    var cpuNanos: UInt64 = 0
    var socketsOpened = 0
    var socketsOutsideNetns = 0
    var truncated: UInt64 = 0
    var dns = DNSCounters()
    var connectionsOpened: UInt64 = 0
    var bytesReceived: UInt64 = 0
    var retried: UInt64 = 0
    var h2 = H2Counters()
    var tls = TLSCounters()
    /// tcp and udp: each target's and address's sent events, summed over the threads by target and address.
    var perAddress: [AddressPart] = []
    var connectErrors = [UInt64](repeating: 0, count: ErrorKind.allCases.count)
    var firstConnectErrorNanos = [UInt64](repeating: 0, count: ErrorKind.allCases.count)
    /// The issuing window (DESIGN.md §4): the duration asked for, the span of a paced `--count` schedule, or
    /// until the stop request; 0 lets it default to origin..end.
    var windowNanos: UInt64 = 0
    /// True when the run was stopped by a signal before its count or duration was used up.
    var interrupted = false

    init(threads: [ThreadResult], originNanos: UInt64, endNanos: UInt64, windowNanos: UInt64 = 0,
         interrupted: Bool = false) {
        self.threads = threads
        self.originNanos = originNanos
        self.endNanos = endNanos
        self.windowNanos = windowNanos
        self.interrupted = interrupted
        steps = StepPart.merge(threads.compactMap(\.steps))
        perAddress = AddressPart.merge(threads.map(\.perAddress))
        for t in threads {
            counters.add(t.counters)
            responseTime.add(t.responseTime)
            serviceTime.add(t.serviceTime)
            scheduleLag.add(t.scheduleLag)
            if let part = t.warmup {
                if warmup == nil { warmup = EventPart() }
                warmup!.add(part)
            }
            // Wrapping: read-back reports (loadgen merge) may list any number of threads near the time limit.
            cpuNanos &+= t.cpuNanos
            socketsOpened += t.socketsOpened
            socketsOutsideNetns += t.socketsOutsideNetns
            truncated += t.truncated
            dns.add(t.dns)
            connectionsOpened += t.connectionsOpened
            bytesReceived += t.bytesReceived
            retried += t.retried
            h2.add(t.h2)
            tls.add(t.tls)
            for i in connectErrors.indices {
                connectErrors[i] += t.connectErrors[i]
                firstConnectErrorNanos[i] = Counters.earliest(firstConnectErrorNanos[i], t.firstConnectErrorNanos[i])
            }
            if t.firstSentNanos != 0 && (firstSentNanos == 0 || t.firstSentNanos < firstSentNanos) {
                firstSentNanos = t.firstSentNanos
            }
            lastSentNanos = max(lastSentNanos, t.lastSentNanos)
        }
    }

    /// tcp and udp: the distinct addresses the threads sent to, in thread order (a host name's as resolved).
    var targetAddresses: [String] {
        var seen = Set<String>()
        return threads.flatMap(\.targetAddresses).filter { seen.insert($0).inserted }
    }

    /// tcp and udp: each target's sent events, with its addresses'.
    var perTarget: [TargetPart] { TargetPart.grouping(perAddress) }

    /// Events that never went on the wire (every reason).
    var notSent: UInt64 { counters.notSent }

    /// The issuing window in seconds (DESIGN.md §4): what the user asked for (or until the stop), not the time
    /// until the last successful send.
    var durationSeconds: Double {
        if windowNanos > 0 { return Double(windowNanos) / 1e9 }
        return runSeconds
    }

    /// Seconds from the origin to the end of the run (the last completion, after the drain).
    var runSeconds: Double {
        endNanos > originNanos ? Double(endNanos - originNanos) / 1e9 : 0
    }

    /// Events sent per second of the issuing window: `sent / duration_s`.
    var achievedRate: Double {
        durationSeconds > 0 ? Double(counters.sent) / durationSeconds : 0
    }

    /// Answers per second over the whole run.
    var throughput: Double {
        runSeconds > 0 ? Double(counters.completed) / runSeconds : 0
    }

    /// Client CPU (user+sys of the loop threads) per 1000 events sent, in milliseconds.
    var cpuMillisPerThousand: Double {
        counters.sent > 0 ? Double(cpuNanos) / 1e6 / (Double(counters.sent) / 1000) : 0
    }

    /// The run broken down by namespace (thread order), each part merged like the whole.
    var byNetns: [RunResult] {
        var order: [UInt64] = []
        var groups: [UInt64: [ThreadResult]] = [:]
        for t in threads {
            if groups[t.netnsInode] == nil { order.append(t.netnsInode) }
            groups[t.netnsInode, default: []].append(t)
        }
        return order.map {
            RunResult(threads: groups[$0]!, originNanos: originNanos, endNanos: endNanos, windowNanos: windowNanos,
                      interrupted: interrupted)
        }
    }
}
