/// `--pacing`: how closely sends follow the schedule. `precise` wakes the loop thread for each event at its own
/// intended time; `batch[=WINDOW]` wakes at most once per window and sends what is due together (cheaper, burstier).
enum Pacing: Sendable, Equatable {
    case precise
    /// nil: the default window for the rate (`LoadOptions.Parsed.effectiveTickNanos`).
    case batch(windowNanos: UInt64?)

    static let parser: @Sendable (String) throws -> Pacing = { text in
        switch text {
        case "precise": return .precise
        case "batch": return .batch(windowNanos: nil)
        default:
            guard text.hasPrefix("batch=") else {
                throw FlagValueError(description: "'\(text)' is not a pacing mode; use precise or batch[=WINDOW], e.g. batch=500us")
            }
            do {
                let window = try TimeSpan.parser(from: .microsecond * 20, to: .second)(String(text.dropFirst(6)))
                return .batch(windowNanos: window.nanos)
            } catch {
                throw FlagValueError(description: "batch=WINDOW: \(error)")
            }
        }
    }

    /// For reports: `precise`, `batch` (the window for the rate) or `batch=500us`.
    var description: String {
        switch self {
        case .precise: "precise"
        case .batch(nil): "batch"
        case .batch(let window?): "batch=\(TimeSpan(nanos: window))"
        }
    }
}
