import Testing

/// One bad invocation in a bad-input suite: the arguments (each suite says which placeholders it fills in), the exit
/// code loadgen must end with (1 could not run, 2 usage error) and what stderr must mention.
struct BadInputCase: Sendable, CustomTestStringConvertible {
    var label: String
    var arguments: [String]
    var exitCode: Int32 = 2
    /// Substrings stderr must contain (case-insensitive).
    var mentions: [String]
    /// A names file the case needs (its placeholder in `arguments` is the suite's).
    var namesFile: String? = nil

    var testDescription: String { label }
}

extension LoadGenRun {
    /// A usage or run error: the exit code, stderr naming each of `mentions` (case-insensitive), nothing on stdout,
    /// and (with `errorLine`) a line of stderr that starts with "error" or "loadgen:".
    func expectError(exitCode: Int32, mentions: [String], errorLine: Bool = true,
                     sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(outcome.termination == .exited(exitCode),
                "\(commandLine): \(outcome.termination), expected exit \(exitCode); stderr: \(stderr)",
                sourceLocation: sourceLocation)
        for text in mentions {
            #expect(stderr.lowercased().contains(text.lowercased()),
                    "\(commandLine): stderr does not mention '\(text)': \(stderr)", sourceLocation: sourceLocation)
        }
        // A run that started but completed nothing (exit 1) prints its report first; one that could not start
        // prints nothing on stdout.
        let completedNothing = stdout.contains("\"completed\": 0,") || stdout.contains("  completed 0  ")
        #expect(stdout.isEmpty || (exitCode == 1 && completedNothing),
                "nothing on stdout when the run could not start, else a report of nothing completed: \(stdout.prefix(500))",
                sourceLocation: sourceLocation)
        if errorLine {
            let line = stderr.split(separator: "\n").first { $0.lowercased().hasPrefix("error") || $0.hasPrefix("loadgen:") }
            #expect(line != nil, "stderr has no error line: \(stderr)", sourceLocation: sourceLocation)
        }
    }
}
