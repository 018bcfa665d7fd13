import Foundation
import Testing
@testable import LoadGen

/// Scenario files into per-stream command lines, shares of a global rate, and every kind of bad file: each
/// message names the file, the line and the key.
@Suite struct ScenarioFileTests {
    static let kinds = StreamKind.all.map(\.name)

    static func file(_ text: String) throws(ScenarioError) -> ScenarioFile {
        try ScenarioFile(path: "s.yaml", text: text, kinds: kinds)
    }

    /// The stream command lines of `text`.
    static func lines(_ text: String) throws -> [[String]] {
        try ScenarioArguments.make(file(text)).streams.map(\.arguments)
    }

    /// The error reading `text` (file, arguments and the kinds' commands), or nil.
    static func error(_ text: String) -> ScenarioError? {
        do {
            _ = try ScenarioPlan(file: file(text))
            return nil
        } catch let error as ScenarioError {
            return error
        } catch {
            Issue.record("not a ScenarioError: \(error)")
            return nil
        }
    }

    @Test func keysBecomeEachKindsFlags() throws {
        let lines = try Self.lines("""
        duration: 3s
        threads: 2
        json: true
        streams:
          - name: dns
            kind: dns
            rate: 2000
            servers: [127.0.0.1, '127.0.0.2:5353']
            names: ['q{seq}.example.test']
            tc_fallback: true
          - name: web
            kind: http1
            rate: 1000
            urls: ['http://127.0.0.1:8080/']
            connections: 4
            header: ['X-A: 1']
            body: -x
          - name: h2
            kind: http2
            duration: 1s
            urls: http://127.0.0.1:8081/
            streams: 10
            no-keepalive: false
        """)
        #expect(lines[0] == ["--duration=3s", "--threads=2", "--rate=2000", "--server=127.0.0.1",
                             "--server=127.0.0.2:5353", "--name=q{seq}.example.test", "--tc-fallback"])
        #expect(lines[1] == ["--duration=3s", "--threads=2", "--rate=1000", "--connections=4", "--header=X-A: 1",
                             "--body=-x", "--", "http://127.0.0.1:8080/"])
        // The stream's own duration wins over the top level's; false drops a flag.
        #expect(lines[2] == ["--http2", "--threads=2", "--duration=1s", "--streams=10", "--", "http://127.0.0.1:8081/"])
    }

    @Test func outputAndPrivilegesGoToTheRun() throws {
        let made = try ScenarioArguments.make(Self.file("""
        events: ev.jsonl
        quiet: true
        user: nobody
        streams: [{name: a, kind: dns}]
        """))
        #expect(made.output.arguments == ["--events=ev.jsonl", "--quiet"])
        #expect(made.privileges.arguments == ["--user=nobody"])
        #expect(made.streams[0].arguments == [])
    }

    @Test func sharesScaleTheGlobalRate() throws {
        let lines = try Self.lines("""
        rate: 3000
        streams:
          - {name: a, kind: dns, share: 0.5}
          - {name: b, kind: dns, share: 25%}
          - {name: c, kind: dns, share: 0.2}
        """)
        #expect(lines.map { $0.first } == ["--rate=1500", "--rate=750", "--rate=600"])
    }

    /// The README's example: its command lines, and (without its netns and events file) every stream accepted by
    /// its command.
    @Test func readmeExample() throws {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { root.deleteLastPathComponent() }
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.range(of: "## Mixed scenarios"))
        let start = try #require(readme.range(of: "```yaml\n", range: section.upperBound..<readme.endIndex))
        let end = try #require(readme.range(of: "```", range: start.upperBound..<readme.endIndex))
        let text = String(readme[start.upperBound..<end.lowerBound])
        let lines = try Self.lines(text)
        #expect(lines[0] == ["--netns=bench", "--duration=30s", "--rate=1500", "--server=127.0.0.1", "--name=q{seq}.example.test"])
        #expect(lines[1] == ["--netns=bench", "--duration=30s", "--rate=1000", "--connections=4", "--", "http://127.0.0.1:8080/"])
        #expect(lines[2] == ["--http2", "--netns=bench", "--duration=30s", "--rate=300", "--count=5000", "--connections=2", "--streams=50",
                             "--method=POST", "--header=Content-Type: application/json", "--body={\"q\": 1}", "--",
                             "http://127.0.0.1:8081/api"])
        let local = text.split(separator: "\n").filter { !$0.hasPrefix("netns:") && !$0.hasPrefix("events:") }
        let plan = try ScenarioPlan(file: Self.file(local.joined(separator: "\n")))
        #expect(plan.configs.map(\.kind) == [.dns, .http1, .http2])
        #expect(plan.configs.map(\.load.requestedRate) == [1500, 1000, 300])
        #expect(plan.configs.map { $0.stream?.name } == ["dns", "web", "api"])
    }

    @Test func threadCPUIsSplitByEventsSent() {
        #expect(LoadThread.cpuShares(1000, sent: [7]) == [1000])
        #expect(LoadThread.cpuShares(1000, sent: [0, 0]) == [1000, 0])
        #expect(LoadThread.cpuShares(1000, sent: [1, 2]) == [333, 667])
    }

    @Test func sharesOfRampsAndSteps() throws {
        let lines = try Self.lines("""
        rate: 100..1000
        streams: [{name: a, kind: dns, share: 0.25}]
        """)
        #expect(lines[0] == ["--rate=25..250"])
        let steps = try Self.lines("""
        steps: 1k@10s,3000@5s
        streams: [{name: a, kind: dns, share: 0.1}]
        """)
        #expect(steps[0] == ["--steps=100@10s,300@5s"])
        let third = try Self.lines("""
        rate: 1000
        streams: [{name: a, kind: dns, share: 0.333333}]
        """)
        #expect(third[0] == ["--rate=333.333"])
    }

    @Test func shareMistakes() {
        #expect(Self.error("""
        rate: 1000
        streams:
          - {name: a, kind: dns, share: 0.7}
          - {name: b, kind: dns, share: 0.5}
        """)?.description == "s.yaml:1: key 'rate': the streams' shares add up to 1.2, more than the whole; make them add up to 1 at most")
        #expect(Self.error("""
        streams:
          - name: a
            kind: dns
            share: 0.5
        """)?.description.hasPrefix("s.yaml:4: key 'share': stream 'a': a share of the top-level rate:, but there is none") == true)
        #expect(Self.error("""
        rate: 1000
        streams:
          - name: a
            kind: dns
        """)?.description.hasPrefix("s.yaml:3: stream 'a' has neither rate: nor share:") == true)
        #expect(Self.error("""
        rate: 1000
        streams:
          - {name: a, kind: dns, share: 0.5, rate: 10}
        """)?.description == "s.yaml:3: key 'share': stream 'a': give rate: or share: (of the top-level rate:), not both")
    }

    @Test func syntaxErrorNamesTheLine() {
        let error = Self.error("""
        duration: 3s
        streams:
          - name: a
            kind: dns
           rate: [1
        """)
        #expect(error?.line == 5, "\(String(describing: error))")
        #expect(error?.description.hasPrefix("s.yaml:5: is not valid YAML: ") == true, "\(String(describing: error))")
    }

    @Test func shapeMistakesNameLineAndKey() {
        #expect(Self.error("- a\n- b\n")?.description.hasPrefix("s.yaml:1: a scenario is a mapping") == true)
        #expect(Self.error("duration: 3s\n")?.description == "s.yaml: no `streams:` list; add one with at least one stream (name, kind, rate, …)")
        #expect(Self.error("streams: []\n")?.description.hasPrefix("s.yaml:1: key 'streams': must be a list of streams") == true)
        #expect(Self.error("""
        streams:
          - name: a
            kind: smtp
        """)?.description == "s.yaml:3: key 'kind': stream 'a': unknown kind 'smtp'; use one of dns, http1, http2, tcp, udp")
        #expect(Self.error("""
        streams:
          - name: a
            kind: dns
          - name: a
            kind: http1
        """)?.description == "s.yaml:4: key 'name': stream name 'a' is taken by the stream at line 2; give each stream its own name")
        #expect(Self.error("""
        streams:
          - kind: dns
            rate: 5
        """)?.description.hasPrefix("s.yaml:2: key 'name': stream 1 has no name:;") == true)
        #expect(Self.error("""
        duration: 1s
        duration: 2s
        streams: [{name: a, kind: dns}]
        """)?.description == "s.yaml:2: key 'duration': given twice (first at line 1); give it once (a list for several values)")
        #expect(Self.error("""
        streams:
          - name: a
            kind: dns
            server:
        """)?.description == "s.yaml:4: key 'server': no value; give one, or remove the key")
    }

    @Test func keysTheKindRejectsNameStreamKeyAndLine() {
        #expect(Self.error("""
        streams:
          - name: web
            kind: http1
            urls: ['http://127.0.0.1:8080/']
            connections: 0
        """)?.description == "s.yaml:5: key 'connections': stream 'web' (http1): The value '0' is invalid for '--connections <N>': must be above zero")
        #expect(Self.error("""
        streams:
          - name: dns
            kind: dns
            server: 127.0.0.1
            conections: 2
        """)?.description == "s.yaml:5: key 'conections': stream 'dns' (dns): 'conections' is not an option of `loadgen dns`; a stream's keys are its command's long options (see `loadgen dns --help`); did you mean 'connections'?")
        #expect(Self.error("""
        duration: 5x
        streams:
          - {name: d, kind: dns, server: 127.0.0.1}
        """)?.description.hasPrefix("s.yaml:1: key 'duration': stream 'd' (dns), from the top level: The value '5x' is invalid for '--duration <DUR>'") == true)
        // A validation of the command's own (makeConfig), not of the parser.
        #expect(Self.error("""
        threads: 2
        streams:
          - {name: w, kind: http1, urls: 'http://127.0.0.1:1/', connections: 1}
        """)?.description == "s.yaml:3: key 'connections': stream 'w' (http1): --connections 1 is below --threads 2; every thread needs a connection")
        #expect(Self.error("""
        streams:
          - {name: w, kind: http1, urls: 'ftp://127.0.0.1/'}
        """)?.line == 2)
        #expect(Self.error("""
        streams:
          - {name: w, kind: dns, threads: 2}
        """)?.description == "s.yaml:2: key 'threads': stream 'w': 'threads' is a setting of the whole run (all streams share the loops, namespaces and output); move it to the top level")
    }
}
