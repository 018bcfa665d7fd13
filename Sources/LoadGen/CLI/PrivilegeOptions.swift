import ArgumentParser
import Foundation
import Glibc

/// `--user` and `--no-drop-privileges`: what loadgen keeps once every loop thread is inside its netns
/// (issue 9 point 8; `PrivilegeDrop` carries it out).
struct PrivilegeOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Once every loop thread is inside its netns, run as this user (a name or a numeric uid) with its groups. Default: the user who ran sudo (SUDO_UID/SUDO_GID), else stay uid 0; capabilities are dropped either way.", valueName: "NAME"))
    var user: String?

    @Flag(help: "Keep root and every capability for the whole run. Needed on kernels before 5.14 (without SO_NETNS_COOKIE the netns of sockets can only be checked with CAP_NET_ADMIN), for socket buffers beyond net.core.rmem_max/wmem_max (SO_RCVBUFFORCE), or for a core dump of loadgen (a process that changed its uid is not dumpable).")
    var noDropPrivileges = false

    /// The flags as given, for `eventgen`'s translation.
    var arguments: [String] {
        (user.map { ["--user", $0] } ?? []) + (noDropPrivileges ? ["--no-drop-privileges"] : [])
    }

    /// The plan for this process: `--user` first, then the sudo caller, else the current user without capabilities.
    func plan(environment: [String: String] = ProcessInfo.processInfo.environment,
              effectiveUID: uid_t = geteuid()) throws(ValidationError) -> PrivilegePlan {
        if noDropPrivileges {
            if let user { throw ValidationError("--user '\(user)' and --no-drop-privileges contradict each other; give one of them") }
            return .keep
        }
        if let user {
            let found = try PrivilegeOptions.lookUp(user)
            if found.uid == effectiveUID { return .dropCapabilities }
            guard effectiveUID == 0 else {
                throw ValidationError("--user '\(user)': switching users needs root, and loadgen runs as uid \(effectiveUID); run it with sudo")
            }
            return .switchUser(found)
        }
        guard effectiveUID == 0, let sudoUID = environment["SUDO_UID"] else { return .dropCapabilities }
        guard let uid = uid_t(sudoUID) else {
            throw ValidationError("SUDO_UID='\(sudoUID)' is not a user id; unset it, or give --user NAME or --no-drop-privileges")
        }
        if uid == 0 { return .dropCapabilities }
        let entry = PrivilegeOptions.passwdEntry(uid: uid)
        var gid = entry?.gid
        if let sudoGID = environment["SUDO_GID"] {
            guard let parsed = gid_t(sudoGID) else {
                throw ValidationError("SUDO_GID='\(sudoGID)' is not a group id; unset it, or give --user NAME or --no-drop-privileges")
            }
            gid = parsed
        }
        guard let gid else {
            throw ValidationError("SUDO_UID=\(uid) has no SUDO_GID and no entry in the user database; give --user NAME or --no-drop-privileges")
        }
        let name = entry?.name ?? String(uid)
        let groups = entry.map { PrivilegeOptions.groups(of: $0.name, primary: gid) } ?? [gid]
        return .switchUser(.init(name: name, uid: uid, gid: gid, groups: groups))
    }

    /// A user by name or numeric uid, with its primary group and supplementary groups.
    static func lookUp(_ user: String) throws(ValidationError) -> PrivilegePlan.User {
        var entry = user.withCString { getpwnam($0) }.map(PasswdEntry.init)
        if entry == nil, let uid = uid_t(user) { entry = passwdEntry(uid: uid) }
        guard let entry else {
            throw ValidationError("--user '\(user)': no such user; give a name or uid from the user database (e.g. nobody), or --no-drop-privileges to stay root")
        }
        return .init(name: entry.name, uid: entry.uid, gid: entry.gid, groups: groups(of: entry.name, primary: entry.gid))
    }

    private struct PasswdEntry {
        var name: String, uid: uid_t, gid: gid_t
        init(_ pw: UnsafeMutablePointer<passwd>) {
            name = String(cString: pw.pointee.pw_name)
            uid = pw.pointee.pw_uid
            gid = pw.pointee.pw_gid
        }
    }

    private static func passwdEntry(uid: uid_t) -> PasswdEntry? {
        getpwuid(uid).map(PasswdEntry.init)
    }

    /// The groups `name` belongs to, `primary` included (getgrouplist).
    private static func groups(of name: String, primary: gid_t) -> [gid_t] {
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        while getgrouplist(name, primary, &groups, &count) < 0 {
            groups = [gid_t](repeating: 0, count: Int(count) + 64)
            count = Int32(groups.count)
        }
        return Array(groups.prefix(Int(count)))
    }
}
