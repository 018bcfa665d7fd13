import Foundation
import Glibc
import Testing

/// `make deb` (issue 11, point 8): the package scripts/build-deb.sh builds from the static build, read as dpkg reads
/// it and installed into a scratch root with `dpkg -x`. Its control fields name the binary's version and the Debian
/// packages that own the libraries it needs (and nothing from /opt/swift); the installed binary runs from there;
/// the man pages and shell completions hold every command and option the help shows. The package comes from env
/// `LOADGEN_DEB` (set by `make test`); without it the tests fail, they never skip.
@Suite struct DebPackageTests {
    /// The subcommands `loadgen --help` lists (argument-parser's `help` aside); each has a man page.
    static let subcommands = ["dns", "http", "eventgen", "verify", "merge", "plot", "k8s"]
    /// Man pages of nested commands, as `loadgen-k8s-job.1`.
    static let nestedCommands = [["k8s", "job"], ["k8s", "daemonset"]]
    /// The libraries' packages the issue names: whatever else changes, loadgen links these.
    static let requiredDepends = ["libc6", "libuv1", "libc-ares2", "libnghttp2-14", "libssl3", "zlib1g"]

    /// The package in LOADGEN_DEB: absolute, or relative to the package root (what `make deb` prints).
    static func requireDeb() throws -> String {
        guard let value = ProcessInfo.processInfo.environment["LOADGEN_DEB"], !value.isEmpty else {
            throw FixtureError("LOADGEN_DEB is not set: run the tests with `make test`, or run `make deb` and set "
                + "LOADGEN_DEB=$(cat .build/deb/path)")
        }
        var path = value
        if !value.hasPrefix("/") {
            // #filePath = <root>/Tests/LoadGenTests/Packaging/DebPackageTests.swift
            var root = URL(fileURLWithPath: #filePath)
            for _ in 0..<4 { root.deleteLastPathComponent() }
            path = root.appendingPathComponent(value).path
        }
        guard access(path, R_OK) == 0 else {
            throw FixtureError("LOADGEN_DEB names \(path), which does not exist: run `make deb`")
        }
        return path
    }

    /// Runs `body` with the package unpacked by `dpkg -x` into a scratch root, removed afterwards.
    static func withInstalled<R>(_ body: (_ deb: String, _ root: URL) async throws -> R) async throws -> R {
        let deb = try requireDeb()
        let root = try TemporaryDirectory.make(prefix: "deb")
        defer { try? FileManager.default.removeItem(at: root) }
        try await Command.check(["dpkg", "-x", deb, root.path], timeout: 120)
        return try await body(deb, root)
    }

    /// `dpkg-deb -f`: every control field, continuation lines joined with newlines.
    static func controlFields(_ deb: String) async throws -> [String: String] {
        var fields: [String: String] = [:]
        var last: String?
        for line in try await Command.check(["dpkg-deb", "-f", deb], timeout: 60).split(separator: "\n") {
            if line.hasPrefix(" "), let key = last {
                fields[key, default: ""] += "\n" + line.dropFirst()
            } else if let colon = line.firstIndex(of: ":") {
                let key = String(line[..<colon])
                fields[key] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                last = key
            }
        }
        return fields
    }

    /// The package names of a Depends field (alternatives included), without their version constraints.
    static func packageNames(_ depends: String) -> [String] {
        depends.split(whereSeparator: { $0 == "," || $0 == "|" }).compactMap {
            $0.split(separator: "(").first?.trimmingCharacters(in: .whitespaces)
        }
    }

    /// The Debian package owning `path`, tried as it is, resolved, and under its other merged-/usr name.
    static func owner(of path: String) async throws -> String? {
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        let aliases = [path, resolved].flatMap { [$0, $0.hasPrefix("/usr/") ? String($0.dropFirst(4)) : "/usr" + $0] }
        for candidate in aliases {
            let query = try await Command.run(["dpkg-query", "-S", candidate])
            if query.termination == .exited(0), let colon = query.stdout.firstIndex(of: ":") {
                return String(query.stdout[..<colon])
            }
        }
        return nil
    }

    @Test("control: Package loadgen, Version = the binary's --version, this architecture, Section net, Priority optional")
    func controlNamesThePackage() async throws {
        try await Self.withInstalled { deb, root in
            let fields = try await Self.controlFields(deb)
            let version = try await Command.check([root.path + "/usr/bin/loadgen", "--version"])
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let arch = try await Command.check(["dpkg", "--print-architecture"]).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(fields["Package"] == "loadgen", "\(fields)")
            #expect(fields["Version"] == version, "control says \(fields["Version"] ?? "nothing"); the binary \(version)")
            #expect(fields["Architecture"] == arch, "\(fields)")
            #expect(fields["Section"] == "net" && fields["Priority"] == "optional", "\(fields)")
            #expect(fields["Maintainer"]?.contains("@") == true, "\(fields)")
            #expect(fields["Description"]?.contains("\n") == true, "a synopsis and a long description: \(fields)")
            #expect(URL(fileURLWithPath: deb).lastPathComponent == "loadgen_\(version)_\(arch).deb", "\(deb)")
            let size = Int(fields["Installed-Size"] ?? "") ?? 0
            #expect(size > 1_000, "Installed-Size \(size) KiB for a binary of megabytes")
        }
    }

    @Test("Depends names the Debian package of every library the binary needs, each with a version, and nothing else")
    func dependsAreTheLibrariesPackages() async throws {
        try await Self.withInstalled { deb, root in
            let binary = root.path + "/usr/bin/loadgen"
            let fields = try await Self.controlFields(deb)
            let depends = try #require(fields["Depends"], "no Depends field")
            let names = Self.packageNames(depends)
            for name in names {
                #expect(name.wholeMatch(of: /[a-z0-9][a-z0-9.+-]+/) != nil, "'\(name)' is not a Debian package name: \(depends)")
                #expect(!name.contains("swift"), "Swift's runtime is linked in, not a dependency: \(depends)")
            }
            for entry in depends.split(separator: ",") {
                #expect(entry.contains("(>= "), "'\(entry)' has no version: \(depends)")
            }
            for name in Self.requiredDepends {
                #expect(names.contains(name), "Depends lacks \(name): \(depends)")
            }
            for (soname, path) in try await Self.neededLibraries(binary) {
                let package = try await Self.owner(of: path)
                #expect(package != nil, "\(soname) (\(path)) belongs to no Debian package")
                if let package { #expect(names.contains(package), "\(soname) is \(package)'s, not in Depends: \(depends)") }
            }
        }
    }

    /// The binary's NEEDED libraries (`readelf -d`) with the paths `ldd` resolves them to.
    static func neededLibraries(_ binary: String) async throws -> [(String, String)] {
        let dynamic = try await Command.check(["readelf", "-d", binary])
        let needed = dynamic.split(separator: "\n").compactMap { line -> String? in
            guard line.contains("(NEEDED)"), let open = line.lastIndex(of: "["), let close = line.lastIndex(of: "]") else { return nil }
            return String(line[line.index(after: open)..<close])
        }
        var paths: [String: String] = [:]
        for line in try await Command.check(["ldd", binary]).split(separator: "\n") {
            let words = line.split(whereSeparator: \.isWhitespace).map(String.init)
            if words.count >= 3, words[1] == "=>", words[2].hasPrefix("/") {
                paths[words[0]] = words[2]
            } else if let first = words.first, first.hasPrefix("/") {
                paths[URL(fileURLWithPath: first).lastPathComponent] = first
            }
        }
        #expect(needed.count >= Self.requiredDepends.count, "readelf -d \(binary): \(dynamic)")
        return needed.map { ($0, paths[$0] ?? "(not found by ldd)") }
    }

    @Test("dpkg -x: SCRATCH/usr/bin/loadgen --version prints the version and exits 0; ldd finds no /opt/swift library")
    func theInstalledBinaryRuns() async throws {
        try await Self.withInstalled { deb, root in
            let binary = root.path + "/usr/bin/loadgen"
            let fields = try await Self.controlFields(deb)
            let run = try await LoadGen.run(["--version"], deadline: 10, binary: binary)
            #expect(run.exitCode == 0, "\(binary) --version: \(run.outcome.termination); \(run.stderr)")
            #expect(run.stdout == (fields["Version"] ?? "?") + "\n", "\(binary) --version printed '\(run.stdout)'")
            let help = try await LoadGen.run(["dns", "--help"], deadline: 10, binary: binary)
            #expect(help.exitCode == 0 && help.stdout.contains("--rate"), "\(binary) dns --help: \(help.stdout) \(help.stderr)")
            let ldd = try await Command.check(["ldd", binary])
            #expect(!ldd.contains("/opt/") && !ldd.contains("libswift") && !ldd.contains("libFoundation"),
                    "the packaged binary loads Swift's runtime from outside Debian:\n\(ldd)")
            #expect(!ldd.contains("not found"), "libraries missing:\n\(ldd)")
            #expect(ldd.contains("libuv.so.1") && ldd.contains("libssl.so.3"), "\(ldd)")
        }
    }

    @Test("every file in the package is root's; the binary is 0755, the rest 0644")
    func filesAreOwnedByRoot() async throws {
        let listing = try await Command.check(["dpkg-deb", "-c", try Self.requireDeb()], timeout: 60)
        let lines = listing.split(separator: "\n")
        #expect(lines.count > 10, "\(listing)")
        for line in lines {
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            guard words.count >= 6 else { Issue.record("unexpected dpkg-deb -c line: \(line)"); continue }
            #expect(words[1] == "root/root", "\(line)")
            let path = String(words[5])
            if words[0].hasPrefix("-") {
                #expect(words[0] == (path == "./usr/bin/loadgen" ? "-rwxr-xr-x" : "-rw-r--r--"), "\(line)")
            }
        }
        for path in ["./usr/bin/loadgen", "./usr/share/man/man1/loadgen.1.gz", "./usr/share/doc/loadgen/copyright",
                     "./usr/share/bash-completion/completions/loadgen", "./usr/share/zsh/vendor-completions/_loadgen",
                     "./usr/share/fish/vendor_completions.d/loadgen.fish"] {
            #expect(lines.contains { $0.hasSuffix(" " + path) }, "the package has no \(path):\n\(listing)")
        }
    }
}

extension DebPackageTests {
    /// A man page as text: its roff escapes undone (fonts dropped, \- as -, \(aq as ', \[uXXXX] as the character).
    static func plainText(_ roff: String) -> String {
        var text = roff
        for (escape, plain) in [("\\fB", ""), ("\\fI", ""), ("\\fR", ""), ("\\fP", ""), ("\\&", ""), ("\\-", "-"),
                                ("\\(aq", "'"), ("\\(ga", "`"), ("\\e", "\\")] {
            text = text.replacingOccurrences(of: escape, with: plain)
        }
        return text.replacing(/\\\[u([0-9A-F]{4,6})\]/) { match in
            UInt32(match.1, radix: 16).flatMap(Unicode.Scalar.init).map { String(Character($0)) } ?? ""
        }
    }

    /// Every `--option` in `text` (longest match: --rate-per-target is not --rate).
    static func longOptions(_ text: String) -> Set<String> {
        Set(text.matches(of: /--[a-z0-9][a-z0-9-]*/).map { String($0.output) })
    }

    /// The page `name`.1.gz under the scratch root, decompressed.
    static func manPage(_ root: URL, _ name: String) async throws -> String {
        let path = root.path + "/usr/share/man/man1/\(name).1.gz"
        guard FileManager.default.fileExists(atPath: path) else { throw FixtureError("the package has no \(name).1.gz") }
        return try await Command.check(["gzip", "-dc", path])
    }

    /// groff reads `roff` as a man page without one warning.
    static func expectCleanRoff(_ roff: String, _ name: String, in root: URL) async throws {
        let file = root.appendingPathComponent("\(name).roff")
        try roff.write(to: file, atomically: true, encoding: .utf8)
        let groff = try await Command.run(["groff", "-man", "-Tutf8", "-ww", "-z", file.path])
        #expect(groff.termination == .exited(0) && groff.stderr.isEmpty,
                "groff on \(name).1 (groff-base must be installed): \(groff.termination) \(groff.stderr)")
    }

    @Test("loadgen.1 names every subcommand's page; each subcommand's page has .TH, NAME and every option its --help shows")
    func manPagesCoverTheHelp() async throws {
        try await Self.withInstalled { _, root in
            let binary = root.path + "/usr/bin/loadgen"
            let top = try await Self.manPage(root, "loadgen")
            #expect(top.hasPrefix(".TH \"LOADGEN\" \"1\""), "\(top.prefix(200))")
            for sub in Self.subcommands {
                #expect(top.contains("\\fBloadgen\\-\(sub)\\fR(1)"), "loadgen.1 does not point to loadgen-\(sub)(1)")
            }
            try await Self.expectCleanRoff(top, "loadgen", in: root)
            for path in Self.subcommands.map({ [$0] }) + Self.nestedCommands {
                let name = (["loadgen"] + path).joined(separator: "-")
                let roff = try await Self.manPage(root, name)
                #expect(roff.hasPrefix(".TH \"\(name.uppercased().replacingOccurrences(of: "-", with: "\\-"))\" \"1\""),
                        "\(name).1: \(roff.prefix(200))")
                #expect(roff.contains(".SH NAME\n\(name.replacingOccurrences(of: "-", with: "\\-")) \\- "),
                        "\(name).1 has no NAME line whatis can read")
                let help = try await LoadGen.run(path + ["--help"], deadline: 10, binary: binary)
                let missing = Self.longOptions(help.stdout).subtracting(Self.longOptions(Self.plainText(roff)))
                #expect(help.exitCode == 0 && missing.isEmpty, "\(name).1 lacks \(missing.sorted()) from `loadgen \(path.joined(separator: " ")) --help`")
                try await Self.expectCleanRoff(roff, name, in: root)
            }
            let dns = try await Self.manPage(root, "loadgen-dns")
            for option in ["\\fB\\-R\\fR, \\fB\\-\\-rate\\fR \\fIN\\fR", "\\fB\\-\\-netns\\fR \\fINAME|PATH\\fR",
                           "\\fB\\-\\-server\\fR"] {
                #expect(dns.contains(".TP\n" + option), "loadgen-dns.1 has no entry \(option)")
            }
        }
    }

    /// What bash's completion for loadgen offers for `words` (the last one being completed): `script` is sourced
    /// and the function it registers with `complete -F` for loadgen is called as bash would call it.
    static func bashCompletions(_ script: String, _ words: [String]) async throws -> [String] {
        let program = """
            source "$1"; shift
            spec=$(complete -p loadgen) || exit 1
            function=${spec##*-F }; function=${function%% *}
            COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
            "$function" loadgen "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        let output = try await Command.check(["bash", "-c", program, "bash", script] + words)
        return output.split(separator: "\n").map(String.init)
    }

    @Test("completions: bash's is valid bash and completes subcommands and options; zsh's and fish's name every subcommand")
    func completionsKnowTheCommands() async throws {
        try await Self.withInstalled { _, root in
            let bash = root.path + "/usr/share/bash-completion/completions/loadgen"
            try await Command.check(["bash", "-n", bash])
            let top = try await Self.bashCompletions(bash, ["loadgen", ""])
            #expect(Set(Self.subcommands).isSubset(of: top), "bash offers \(top) after `loadgen `")
            let rate = try await Self.bashCompletions(bash, ["loadgen", "dns", "--ra"])
            #expect(rate.contains("--rate") && rate.allSatisfy { $0.hasPrefix("--ra") }, "bash offers \(rate) for `loadgen dns --ra`")
            let http = try await Self.bashCompletions(bash, ["loadgen", "http", "--http"])
            #expect(http == ["--http2"], "bash offers \(http) for `loadgen http --http`")

            let zsh = try String(contentsOfFile: root.path + "/usr/share/zsh/vendor-completions/_loadgen", encoding: .utf8)
            #expect(zsh.hasPrefix("#compdef loadgen\n"), "\(zsh.prefix(100))")
            let fish = try String(contentsOfFile: root.path + "/usr/share/fish/vendor_completions.d/loadgen.fish", encoding: .utf8)
            #expect(fish.contains("complete -c 'loadgen'"), "\(fish.prefix(300))")
            for sub in Self.subcommands {
                #expect(zsh.contains("'\(sub):"), "zsh completion lacks \(sub)")
                #expect(fish.contains("-fa '\(sub)'"), "fish completion lacks \(sub)")
            }
        }
    }

    @Test("doc: copyright in the machine-readable format, changelog.gz for this version")
    func docsArePresent() async throws {
        try await Self.withInstalled { deb, root in
            let doc = root.path + "/usr/share/doc/loadgen"
            let copyright = try String(contentsOfFile: doc + "/copyright", encoding: .utf8)
            #expect(copyright.hasPrefix("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"))
            #expect(copyright.contains("Files: *\n") && copyright.contains("Apache-2.0"), "\(copyright)")
            let changelog = try await Command.check(["gzip", "-dc", doc + "/changelog.gz"])
            let version = try await Self.controlFields(deb)["Version"] ?? "?"
            #expect(changelog.hasPrefix("loadgen (\(version)) "), "\(changelog)")
        }
    }
}
