import Foundation

/// The pace of each stream: its own `rate:` (or `interval:`, `steps:`, passed on as they are), or a `share:` of
/// the top level's `rate:` (a number, or a ramp's `A..B`) and `steps:`, scaled — so that one number sets the
/// whole run's load and the streams keep their proportions.
struct StreamShares {
    /// Per stream: the scaled top-level pace entries (empty when the stream has its own pace, or none).
    private var paces: [[ScenarioFile.Entry]] = []

    init(_ file: ScenarioFile, globalRates: [ScenarioFile.Entry]) throws(ScenarioError) {
        var total = 0.0
        for stream in file.streams {
            let own = stream.entries.filter { ScenarioArguments.rateKeys.contains($0.key) }
            guard let share = stream.entries.first(where: { $0.key == "share" }) else {
                if own.isEmpty, let rate = globalRates.first {
                    throw ScenarioError(path: file.path, line: stream.line,
                                        "stream '\(stream.name)' has neither rate: nor share:, and the top level's \(rate.key): (line \(rate.line)) is to be shared; give it share: (e.g. 0.5) or its own rate:")
                }
                paces.append([])
                continue
            }
            func refuse(_ why: String) -> ScenarioError {
                ScenarioError(path: file.path, line: share.line, key: "share", "stream '\(stream.name)': \(why)")
            }
            guard own.isEmpty else { throw refuse("give rate: or share: (of the top-level rate:), not both") }
            guard !globalRates.isEmpty else {
                throw refuse("a share of the top-level rate:, but there is none; add rate: at the top level or give this stream its own rate:")
            }
            guard case .scalar(let text) = share.value else { throw refuse("give one ratio such as 0.7 or 70%") }
            let ratio: Double
            do {
                ratio = try Quantity.ratio(text, allowZero: false)
            } catch {
                throw refuse(error.description)
            }
            total += ratio
            var scaled: [ScenarioFile.Entry] = []
            for entry in globalRates {
                scaled.append(try StreamShares.scale(entry, by: ratio, stream: stream.name, path: file.path))
            }
            paces.append(scaled)
        }
        if total > 1 + 1e-9, let rate = globalRates.first {
            throw ScenarioError(path: file.path, line: rate.line, key: rate.key,
                                "the streams' shares add up to \(String(format: "%g", total)), more than the whole; make them add up to 1 at most")
        }
    }

    /// The pace entries stream `index` takes from the top level (already scaled).
    func pace(ofStream index: Int) -> [ScenarioFile.Entry] { paces[index] }

    /// `rate: 1000` × 0.25 → `rate: 250`; `rate: 100..1000` → `25..250`; `steps: 1000@10s,2000@10s` →
    /// `250@10s,500@10s`.
    static func scale(_ entry: ScenarioFile.Entry, by ratio: Double, stream: String,
                      path: String) throws(ScenarioError) -> ScenarioFile.Entry {
        guard case .scalar(let text) = entry.value else {
            throw ScenarioError(path: path, line: entry.line, key: entry.key, "give one value, e.g. 2000")
        }
        func scaleRate(_ rate: Substring) throws(ScenarioError) -> String {
            let parsed: Rate
            do {
                parsed = try Rate(parsing: String(rate))
            } catch {
                throw ScenarioError(path: path, line: entry.line, key: entry.key, error.description)
            }
            let value = parsed.perSecond * ratio
            var formatted = String(format: "%.6f", value)
            while formatted.hasSuffix("0") { formatted.removeLast() }
            if formatted.hasSuffix(".") { formatted.removeLast() }
            guard value >= 0.000_001 else {
                throw ScenarioError(path: path, line: entry.line, key: entry.key,
                                    "stream '\(stream)''s share of \(rate) is below one event per 11 days; raise the rate or the share")
            }
            return formatted
        }
        var result = entry
        if entry.key == "steps" {
            var steps: [String] = []
            for step in text.split(separator: ",", omittingEmptySubsequences: false) {
                let parts = step.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
                steps.append(try scaleRate(parts[0]) + (parts.count > 1 ? "@" + parts[1] : ""))
            }
            result.value = .scalar(steps.joined(separator: ","))
        } else if let range = text.range(of: "..") {
            result.value = .scalar(try scaleRate(text[..<range.lowerBound]) + ".." + scaleRate(text[range.upperBound...]))
        } else {
            result.value = .scalar(try scaleRate(Substring(text)))
        }
        return result
    }
}
