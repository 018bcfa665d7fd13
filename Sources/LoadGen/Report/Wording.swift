import Foundation

/// Small pieces of report English: counts with the right noun form, grouped digits, times since the origin.
enum Wording {
    /// "1 query", "2 queries", "1,962 requests".
    static func count(_ n: UInt64, _ singular: String, _ plural: String? = nil, grouped: Bool = true) -> String {
        let digits = grouped ? group(n) : String(n)
        return "\(digits) \(n == 1 ? singular : plural ?? singular + "s")"
    }

    /// The singular of a report's event noun: "queries" → "query", "requests" → "request".
    static func singular(_ plural: String) -> String {
        if plural.hasSuffix("ies") { return plural.dropLast(3) + "y" }
        if plural.hasSuffix("s") { return String(plural.dropLast()) }
        return plural
    }

    /// 6000 → "6,000".
    static func group(_ n: UInt64) -> String {
        var digits = String(n)
        var grouped = ""
        while digits.count > 3 {
            grouped = "," + digits.suffix(3) + grouped
            digits.removeLast(3)
        }
        return digits + grouped
    }

    /// A monotonic time as seconds since the run's origin: "1.02 s" (times before the origin read as 0).
    static func sinceOrigin(_ nanos: UInt64, origin: UInt64) -> String {
        String(format: "%.2f s", Double(nanos > origin ? nanos - origin : 0) / 1e9)
    }

    /// A share as a percentage with one decimal: "33.3%".
    static func percent(_ part: UInt64, of whole: UInt64) -> String {
        whole == 0 ? "0%" : String(format: "%.1f%%", Double(part) / Double(whole) * 100)
    }

    /// A rate as a user writes it: whole numbers without decimals (`5000`), others with up to 3 (`0.5`).
    static func rate(_ perSecond: Double) -> String {
        var text = String(format: "%.3f", perSecond)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// `text` right-aligned in a column `width` wide (never cut).
    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}
