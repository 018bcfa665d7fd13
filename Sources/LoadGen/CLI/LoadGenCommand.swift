import ArgumentParser
import Glibc

/// `loadgen`: the root command. Exit codes: 0 the run completed, 1 it could not run, 2 usage error.
@main
struct LoadGenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadgen",
        abstract: "Generate DNS and HTTP load from inside a network namespace, at a controlled rate, with honest latency histograms.",
        version: LoadGenVersion.current,
        subcommands: [DNSCommand.self, HTTPCommand.self, EventgenCommand.self, VerifyCommand.self]
    )

    static func main() {
        // A write to a connection the server reset must fail with EPIPE (counted), not kill the process.
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let failure as RunFailure {
            Console.error("loadgen: \(failure.description)\n")
            Glibc.exit(1)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Glibc.exit(0)
            }
            Console.error(fullMessage(for: error) + "\n")
            Glibc.exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }
}
