/// Why an event the schedule intended never went on the wire (DESIGN.md §4): `intended == sent + not_sent`.
enum NotSentReason: Int, CaseIterable, Sendable {
    /// No connection could be had within `--timeout` (the server refused, died or never answered the handshake).
    case noConnection
    /// Still waiting for a free slot (the in-flight limit, a backoff) when the run's issuing window ended.
    case heldBack
    /// The run was stopped (Ctrl-C, SIGTERM) before the event was due or while it waited.
    case stopped

    /// The key used in reports and JSON.
    var name: String {
        switch self {
        case .noConnection: "no_connection"
        case .heldBack: "held_back"
        case .stopped: "stopped"
        }
    }
}
