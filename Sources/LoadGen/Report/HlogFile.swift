import Foundation

/// An HdrHistogram interval log read back (`--hlog` files, or any writer of format 1.x with V2 histograms), for
/// `loadgen merge` and `loadgen plot`. Timestamps become absolute (StartTime/BaseTime applied, as
/// HistogramLogReader does); histograms are decoded and bounds-checked. Hostile input is refused line by line.
struct HlogFile {
    struct Interval {
        var tag: String?
        /// Seconds since the epoch when StartTime or BaseTime says so, else as written.
        var start: Double
        var length: Double
        var histogram: HdrEncoding.Decoded
        /// The interval's largest value in nanoseconds (Interval_Max is in milliseconds).
        var maxNanos: UInt64
    }

    var startTime: Double?
    var intervals: [Interval] = []

    /// True when `text` looks like an interval log rather than JSON.
    static func looksLikeLog(_ text: Substring) -> Bool {
        let head = text.drop { $0.isWhitespace }
        return head.hasPrefix("#") || head.hasPrefix("\"StartTimestamp\"") || head.hasPrefix("Tag=")
    }

    init(parsing text: String, source: String) throws(JSONInput.Failure) {
        var baseTime: Double?
        var number = 0
        // "\r\n" is one Character in Swift: split on both line ends.
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            number += 1
            if line.isEmpty || line.hasPrefix("\"StartTimestamp\"") { continue }
            if line.hasPrefix("#") {
                if let value = HlogFile.headerValue(line, "#[StartTime: ") { startTime = value }
                if let value = HlogFile.headerValue(line, "#[BaseTime: ") { baseTime = value }
                if let time = startTime ?? baseTime, time > HlogFile.latestSeconds {
                    throw JSONInput.Failure(description: "\(source):\(number): \(time) s after the epoch is past the year 5000")
                }
                continue
            }
            var interval = try HlogFile.interval(line, at: "\(source):\(number)")
            // As HistogramLogReader: timestamps more than a year before StartTime are relative to it.
            let base = baseTime ?? (startTime.map { interval.start < $0 - 365 * 24 * 3600 ? $0 : 0 } ?? 0)
            interval.start += base
            guard interval.start <= HlogFile.latestSeconds else {
                throw JSONInput.Failure(description: "\(source):\(number): the interval starts \(interval.start) s after the epoch, past the year 5000")
            }
            intervals.append(interval)
        }
        guard !intervals.isEmpty else { throw JSONInput.Failure(description: "\(source): no interval in this log") }
    }

    /// Timestamps past this (the year 5138, in seconds since the epoch) are refused: no log is that late, and
    /// millisecond arithmetic on them would overflow.
    static let latestSeconds = 1e11

    private static func headerValue(_ line: Substring, _ prefix: String) -> Double? {
        guard line.hasPrefix(prefix) else { return nil }
        let rest = line.dropFirst(prefix.count).prefix { $0.isNumber || $0 == "." }
        return Double(rest).flatMap { $0.isFinite && $0 >= 0 ? $0 : nil }
    }

    /// `[Tag=NAME,]START,LENGTH,MAX,BASE64`.
    private static func interval(_ line: Substring, at place: String) throws(JSONInput.Failure) -> Interval {
        var rest = line
        var tag: String?
        if rest.hasPrefix("Tag=") {
            guard let comma = rest.firstIndex(of: ",") else { throw JSONInput.Failure(description: "\(place): a tag without an interval") }
            tag = String(rest[rest.index(rest.startIndex, offsetBy: 4)..<comma])
            rest = rest[rest.index(after: comma)...]
        }
        let fields = rest.split(separator: ",", maxSplits: 3, omittingEmptySubsequences: false)
        guard fields.count == 4, let start = Double(fields[0]), let length = Double(fields[1]), let max = Double(fields[2]),
              start.isFinite, length.isFinite, max.isFinite, start >= 0, length >= 0, max >= 0,
              start <= latestSeconds, length <= latestSeconds else {
            throw JSONInput.Failure(description: "\(place): expected [Tag=NAME,]START,LENGTH,MAX,HISTOGRAM")
        }
        let decoded: HdrEncoding.Decoded
        do {
            decoded = try HdrEncoding.decode(String(fields[3]))
        } catch {
            throw JSONInput.Failure(description: "\(place): \(error.description)")
        }
        return Interval(tag: tag, start: start, length: length, histogram: decoded,
                        maxNanos: UInt64(min(max * 1e6, 1.8e19).rounded()))
    }

    /// Several logs as one: intervals with the same tag and the same start (to the millisecond; shards that
    /// share `--start-at` line up exactly) add up. Histograms of different layouts do not merge.
    static func merge(_ logs: [HlogFile]) throws(JSONInput.Failure) -> String {
        struct Key: Hashable { let tag: String?; let startMillis: Int64 }
        var merged: [Key: Interval] = [:]
        for log in logs {
            for interval in log.intervals {
                let key = Key(tag: interval.tag, startMillis: Int64((interval.start * 1000).rounded()))
                guard var existing = merged[key] else {
                    merged[key] = interval
                    continue
                }
                guard existing.histogram.layout == interval.histogram.layout else {
                    throw JSONInput.Failure(description: "intervals at \(interval.start) s tagged \(interval.tag ?? "(none)") have different histogram layouts (lowest, highest, digits): they do not add up exactly")
                }
                guard let sum = add(existing.histogram, interval.histogram) else {
                    throw JSONInput.Failure(description: "intervals at \(interval.start) s tagged \(interval.tag ?? "(none)") add up to more than a histogram holds (2^63 in a bucket)")
                }
                existing.histogram = sum
                existing.length = Swift.max(existing.length, interval.length)
                existing.maxNanos = Swift.max(existing.maxNanos, interval.maxNanos)
                merged[key] = existing
            }
        }
        let ordered = merged.sorted { ($0.key.startMillis, $0.key.tag ?? "") < ($1.key.startMillis, $1.key.tag ?? "") }.map(\.value)
        let origin = ordered.first?.start ?? 0
        var text = "#[Histogram log format version 1.3]\n"
            + "#[StartTime: \(String(format: "%.3f", origin)) (seconds since epoch)]\n"
            + "#[BaseTime: \(String(format: "%.3f", origin)) (seconds since epoch)]\n"
            + "#[Merged by loadgen \(LoadGenVersion.current) from \(logs.count) logs]\n"
            + "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n"
        for interval in ordered {
            let tag = interval.tag.map { "Tag=\($0)," } ?? ""
            text += tag + String(format: "%.3f,%.3f,%.3f,", interval.start - origin, interval.length, Double(interval.maxNanos) / 1e6)
                + HdrEncoding.encode(layout: interval.histogram.layout, buckets: interval.histogram.buckets) + "\n"
        }
        return text
    }

    /// The bucket-wise sum of two histograms of one layout; nil when a bucket or the total would pass what the
    /// encoding holds (Int64.max).
    static func add(_ a: HdrEncoding.Decoded, _ b: HdrEncoding.Decoded) -> HdrEncoding.Decoded? {
        var counts: [Int: UInt64] = [:]
        for bucket in a.buckets + b.buckets {
            let (sum, overflow) = counts[bucket.index, default: 0].addingReportingOverflow(bucket.count)
            guard !overflow, sum <= UInt64(Int64.max) else { return nil }
            counts[bucket.index] = sum
        }
        let (total, overflow) = a.totalCount.addingReportingOverflow(b.totalCount)
        guard !overflow, total <= UInt64(Int64.max) else { return nil }
        let buckets = counts.sorted { $0.key < $1.key }.map { (index: $0.key, count: $0.value) }
        return HdrEncoding.Decoded(layout: a.layout, buckets: buckets, totalCount: total)
    }
}
