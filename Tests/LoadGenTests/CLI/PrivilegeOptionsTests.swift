import ArgumentParser
import Glibc
import Testing
@testable import LoadGen

/// `--user` / `--no-drop-privileges` / SUDO_UID into a `PrivilegePlan`, for a process running as root or not
/// (the environment and the effective uid are the test's inputs; users come from the system's database).
@Suite struct PrivilegeOptionsTests {
    private func plan(_ arguments: [String], env: [String: String] = [:], euid: uid_t = 0) throws -> PrivilegePlan {
        try PrivilegeOptions.parse(arguments).plan(environment: env, effectiveUID: euid)
    }

    private var nobody: PrivilegePlan.User {
        get throws { try PrivilegeOptions.lookUp("nobody") }
    }

    @Test("root without sudo or --user stays uid 0 without capabilities; --no-drop-privileges keeps everything")
    func defaults() throws {
        #expect(try plan([]) == .dropCapabilities)
        #expect(try plan(["--no-drop-privileges"], env: ["SUDO_UID": "65534", "SUDO_GID": "65534"]) == .keep)
        #expect(try plan([], env: ["SUDO_UID": "0", "SUDO_GID": "0"]) == .dropCapabilities)
    }

    @Test("through sudo: SUDO_UID and SUDO_GID, with the user's groups from the database")
    func sudoCaller() throws {
        let expected = try nobody
        guard case .switchUser(let user) = try plan([], env: ["SUDO_UID": "\(expected.uid)", "SUDO_GID": "\(expected.gid)"]) else {
            Issue.record("expected a user switch")
            return
        }
        #expect(user == expected)
        #expect(user.groups.contains(expected.gid))
        // A uid the database does not know: its SUDO_GID is the only group.
        #expect(try plan([], env: ["SUDO_UID": "4242424", "SUDO_GID": "4242"])
                == .switchUser(.init(name: "4242424", uid: 4242424, gid: 4242, groups: [4242])))
    }

    @Test("--user wins over SUDO_UID; by name or uid")
    func userFlag() throws {
        let expected = try nobody
        #expect(try plan(["--user", "nobody"], env: ["SUDO_UID": "1", "SUDO_GID": "1"]) == .switchUser(expected))
        #expect(try plan(["--user", "\(expected.uid)"]) == .switchUser(expected))
        #expect(try plan(["--user", "root"]) == .dropCapabilities)
    }

    @Test("not root: no switch; --user of another user is refused, naming the flag")
    func notRoot() throws {
        let expected = try nobody
        #expect(try plan([], env: ["SUDO_UID": "1"], euid: expected.uid) == .dropCapabilities)
        #expect(try plan(["--user", "nobody"], euid: expected.uid) == .dropCapabilities)
        #expect { try plan(["--user", "root"], euid: expected.uid) } throws: { error in
            "\(error)".contains("--user 'root'") && "\(error)".contains("needs root")
        }
    }

    @Test("bad input names the flag or variable and what would work", arguments: [
        (["--user", "no-such-user-lgt"], [:], "no such user"),
        (["--user", "nobody", "--no-drop-privileges"], [:], "contradict"),
        ([], ["SUDO_UID": "abc"], "SUDO_UID='abc'"),
        ([], ["SUDO_UID": "65534", "SUDO_GID": "x"], "SUDO_GID='x'"),
    ] as [([String], [String: String], String)])
    func badInput(arguments: [String], env: [String: String], mentions: String) throws {
        #expect { try plan(arguments, env: env) } throws: { error in
            error is ValidationError && "\(error)".contains(mentions)
        }
    }

    @Test("eventgen passes the flags on")
    func eventgenArguments() throws {
        #expect(try PrivilegeOptions.parse(["--user", "nobody"]).arguments == ["--user", "nobody"])
        #expect(try PrivilegeOptions.parse(["--no-drop-privileges"]).arguments == ["--no-drop-privileges"])
        #expect(try PrivilegeOptions.parse([]).arguments == [])
        let translated = try EventgenCommand.parse(["--type", "dns", "--params", "domain:a.test", "--user", "nobody"])
            .translatedArguments()
        #expect(translated.suffix(2) == ["--user", "nobody"], "\(translated)")
    }
}
