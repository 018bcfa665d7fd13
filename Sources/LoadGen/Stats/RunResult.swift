/// The merged result of a run: totals across threads plus the per-thread parts.
struct RunResult: Sendable {
    var threads: [ThreadResult]
    var counters = Counters()
    var responseTime = LatencyHistogram()
    var serviceTime = LatencyHistogram()
    var originNanos: UInt64
    var firstSentNanos: UInt64 = 0
    var lastSentNanos: UInt64 = 0
    var endNanos: UInt64
    var cpuNanos: UInt64 = 0
    var socketsOpened = 0
    var socketsOutsideNetns = 0
    var truncated: UInt64 = 0
    var connectionsOpened: UInt64 = 0
    var bytesReceived: UInt64 = 0
    var notSent: UInt64 = 0
    var h2 = H2Counters()
    var connectErrors = [UInt64](repeating: 0, count: ErrorKind.allCases.count)
    /// True when the run was stopped by a signal before its count or duration was used up.
    var interrupted = false

    init(threads: [ThreadResult], originNanos: UInt64, endNanos: UInt64, interrupted: Bool = false) {
        self.threads = threads
        self.originNanos = originNanos
        self.endNanos = endNanos
        self.interrupted = interrupted
        for t in threads {
            counters.add(t.counters)
            responseTime.add(t.responseTime)
            serviceTime.add(t.serviceTime)
            cpuNanos += t.cpuNanos
            socketsOpened += t.socketsOpened
            socketsOutsideNetns += t.socketsOutsideNetns
            truncated += t.truncated
            connectionsOpened += t.connectionsOpened
            bytesReceived += t.bytesReceived
            notSent += t.notSent
            h2.add(t.h2)
            for i in connectErrors.indices { connectErrors[i] += t.connectErrors[i] }
            if t.firstSentNanos != 0 && (firstSentNanos == 0 || t.firstSentNanos < firstSentNanos) {
                firstSentNanos = t.firstSentNanos
            }
            lastSentNanos = max(lastSentNanos, t.lastSentNanos)
        }
    }

    /// Seconds from the origin to the end of the run (the last completion).
    var durationSeconds: Double {
        endNanos > originNanos ? Double(endNanos - originNanos) / 1e9 : 0
    }

    /// Events sent per second over the send window (first to last send).
    var achievedRate: Double {
        let sent = counters.sent
        guard sent > 1, lastSentNanos > firstSentNanos else { return durationSeconds > 0 ? Double(sent) / durationSeconds : 0 }
        return Double(sent - 1) * 1e9 / Double(lastSentNanos - firstSentNanos)
    }

    /// Answers per second over the whole run.
    var throughput: Double {
        durationSeconds > 0 ? Double(counters.completed) / durationSeconds : 0
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
        return order.map { RunResult(threads: groups[$0]!, originNanos: originNanos, endNanos: endNanos, interrupted: interrupted) }
    }
}
