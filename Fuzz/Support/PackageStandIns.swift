import Foundation

// What the report sources need of SwiftPM packages that a fuzz build (one swiftc run of sources) cannot import:
// hdrhistogram-swift's Histogram.swift is compiled into the harness (Packages.rsp), `import Histogram`, `Numerics`
// and `ArgumentParser` find empty modules (PackageStandIns/module.modulemap), and this file supplies the rest.
// MemberImportVisibility keeps Foundation's `String(format:)` out of Histogram.swift, which has its own.

extension Double {
    /// Numerics' `Double.pow(_:_:)` for an integer power as RealModule computes it when `n` is exactly a Double
    /// (Histogram.swift raises 10 and 2 to small powers): libm's `pow`.
    public static func pow(_ x: Double, _ n: Int) -> Double {
        precondition(Double(exactly: n) != nil, "pow stand-in: \(n) is not exactly a Double")
        return Foundation.pow(x, Double(n))
    }

    /// Numerics' `Double.log2(_:)`: libm's `log2`.
    public static func log2(_ x: Double) -> Double { Foundation.log2(x) }
}

extension String {
    /// Foundation's `String(format:)` for sources that call it without importing Foundation (JSONReport.swift),
    /// which MemberImportVisibility hides from them; for literal formats only, so that Histogram.swift's calls with
    /// a String format still find its own.
    init(format: StaticString, _ arguments: any CVarArg...) {
        self = String(format: format.description, arguments: arguments)
    }
}

/// ArgumentParser's `ExpressibleByArgument` as far as CLI/TimeSpan.swift (which TextReport now uses) conforms to it.
protocol ExpressibleByArgument {
    init?(argument: String)
}

/// ArgumentParser's `ValidationError` (CLI/Shard.swift throws it): an error that is its message.
struct ValidationError: Error, CustomStringConvertible {
    var message: String

    init(_ message: String) { self.message = message }

    var description: String { message }
}
