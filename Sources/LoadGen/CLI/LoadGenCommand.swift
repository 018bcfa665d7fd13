import ArgumentParser
import CLoadGenSys
import Glibc

/// `loadgen`: the root command. Exit codes (DESIGN.md §3): 0 the run completed and at least one event completed,
/// 1 it could not run or no event completed, 2 usage error, 3 `verify` found missed events, 4 a threshold was
/// breached.
@main
struct LoadGenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadgen",
        abstract: "Generate DNS, HTTP, TCP and UDP load from inside a network namespace, at a controlled rate, with honest latency histograms.",
        version: LoadGenVersion.current,
        subcommands: [DNSCommand.self, HTTPCommand.self, TCPCommand.self, UDPCommand.self, RunCommand.self, EventgenCommand.self, VerifyCommand.self, MergeCommand.self, PlotCommand.self, K8sCommand.self]
    )

    static func main() {
        // Ctrl-C or SIGTERM from here on stops the run with a report, however early it comes (the run takes the
        // signal over when it starts); commands that run no load get the default action back.
        CLoadGenSys_catch_early_stop()
        // A write to a connection the server reset must fail with EPIPE (counted), not kill the process.
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try parseAsRoot()
            if !(command is DNSCommand || command is HTTPCommand || command is TCPCommand || command is UDPCommand || command is RunCommand || command is EventgenCommand) {
                CLoadGenSys_default_stop_signals()
            }
            try command.run()
        } catch let exit as RunExit {
            // The report is on stdout already: flush it before the reason goes to stderr.
            fflush(nil)
            Console.error("loadgen: \(exit.description)\n")
            Glibc.exit(exit.code)
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
