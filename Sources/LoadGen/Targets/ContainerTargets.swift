import Glibc

/// Finds a process inside a container — named by its ID as docker, containerd, CRI-O or podman show it, or by a
/// Kubernetes pod — whose network namespace loadgen then enters as with `--pid`. No runtime client is needed:
/// every container runtime puts the container's processes in a cgroup whose path contains the 64-hex ID, and
/// `/proc/PID/cgroup` shows that path.
enum ContainerTargets {
    /// The process in the container whose ID starts with `idPrefix` (4 to 64 hex digits, any case, optionally
    /// `runtime://` in front) with the lowest PID — the container's init — that still exists.
    static func scan(idPrefix: String, procRoot: String = "/proc") throws(ContainerTargetError) -> (containerID: String, pid: Int32) {
        let prefix = try normalizedPrefix(idPrefix)
        let found = try processes(procRoot: procRoot, idPrefix: prefix)
        return try pick(found, prefix: prefix, procRoot: procRoot)
    }

    /// `idPrefix` in lower case without whitespace and `runtime://`, or `invalidPrefix` when it is not 4 to 64
    /// hex digits.
    static func normalizedPrefix(_ idPrefix: String) throws(ContainerTargetError) -> String {
        var text = trimmed(idPrefix)
        if let scheme = text.firstRange(of: "://") { text = text[scheme.upperBound...] }
        let prefix = text.lowercased()
        guard (4...64).contains(prefix.utf8.count), prefix.utf8.allSatisfy(isHexDigit) else {
            throw .invalidPrefix(idPrefix)
        }
        return prefix
    }

    /// The PIDs under `procRoot` whose cgroup file names a container ID starting with `idPrefix` (normalized),
    /// grouped by the full ID and in ascending order. Processes that vanish while being read are left out.
    static func processes(procRoot: String, idPrefix: String) throws(ContainerTargetError) -> [String: [Int32]] {
        var result: [String: [Int32]] = [:]
        for pid in try listPIDs(procRoot: procRoot) {
            guard let text = readSmallFile("\(procRoot)/\(pid)/cgroup") else { continue }
            for id in containerIDs(inCgroupFile: text) where id.hasPrefix(idPrefix) {
                result[id, default: []].append(pid)
            }
        }
        for id in result.keys { result[id]!.sort() }
        return result
    }

    /// One container out of what `processes` found, and its lowest PID that still runs in it (checked again
    /// now, so a PID that vanished or was reused since the scan is skipped; zombies are skipped too).
    static func pick(_ found: [String: [Int32]], prefix: String, procRoot: String) throws(ContainerTargetError) -> (containerID: String, pid: Int32) {
        guard let (id, pids) = found.first else { throw .noMatch(prefix: prefix) }
        guard found.count == 1 else { throw .ambiguous(prefix: prefix, containerIDs: found.keys.sorted()) }
        for pid in pids.sorted() {
            guard let text = readSmallFile("\(procRoot)/\(pid)/cgroup"),
                  containerIDs(inCgroupFile: text).contains(id),
                  !isZombie(pid: pid, procRoot: procRoot)
            else { continue }
            return (id, pid)
        }
        throw .exited(prefix: prefix, containerID: id)
    }

    /// The container IDs a `/proc/PID/cgroup` file names: for every line (`hierarchy:controllers:path`, one line
    /// in cgroup v2, several in v1) the innermost path component holding a run of exactly 64 hex digits, e.g.
    /// `docker-<id>.scope`, `docker/<id>`, `cri-containerd-<id>.scope`, `crio-<id>.scope`, `libpod-<id>.scope`,
    /// `kubepods/besteffort/pod<uid>/<id>`. The innermost one, so that a process of a container nested in another
    /// (docker in docker) belongs to the inner one. Runtime monitors (`crio-conmon-<id>`, `libpod-conmon-<id>`)
    /// run in the host's network namespace, so their cgroups do not count.
    static func containerIDs(inCgroupFile text: String) -> Set<String> {
        var ids: Set<String> = []
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            var innermost: String?
            for component in fields[2].split(separator: "/") where !component.contains("conmon") {
                if let id = containerID(inPathComponent: component) { innermost = id }
            }
            if let innermost { ids.insert(innermost) }
        }
        return ids
    }

    /// The run of exactly 64 hex digits in one cgroup path component (bounded by non-hex characters or the ends),
    /// lower-cased; nil when there is none or more than one.
    static func containerID(inPathComponent component: Substring) -> String? {
        let bytes = Array(component.utf8)
        var found: String?
        var start = 0
        while start < bytes.count {
            guard isHexDigit(bytes[start]) else { start += 1; continue }
            var end = start
            while end < bytes.count && isHexDigit(bytes[end]) { end += 1 }
            if end - start == 64 {
                if found != nil { return nil }
                found = String(decoding: bytes[start..<end], as: UTF8.self).lowercased()
            }
            start = end
        }
        return found
    }

    // MARK: - /proc

    /// The numeric entries of the proc root (processes, not threads).
    static func listPIDs(procRoot: String) throws(ContainerTargetError) -> [Int32] {
        guard let dir = opendir(procRoot) else {
            throw .cannotListProcesses(procRoot: procRoot, errno: errno)
        }
        defer { closedir(dir) }
        var pids: [Int32] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard !name.isEmpty, name.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let pid = Int32(name), pid > 0
            else { continue }
            pids.append(pid)
        }
        return pids
    }

    /// Whether /proc/PID/stat says the process is a zombie (or dead): it has no namespaces left to enter. A proc
    /// root without stat files (the tests' fake ones) has no zombies.
    static func isZombie(pid: Int32, procRoot: String) -> Bool {
        guard let stat = readSmallFile("\(procRoot)/\(pid)/stat"),
              let close = stat.lastIndex(of: ")")
        else { return false }
        let state = stat[stat.index(after: close)...].drop { $0 == " " }.first
        return state == "Z" || state == "X" || state == "x"
    }

    /// A whole file from /proc (whose size stat reports as 0), or nil when it cannot be read — most often
    /// because the process exited.
    static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > 1 << 20 { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func isHexDigit(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66) || (byte >= 0x41 && byte <= 0x46)
    }
}

/// `text` without leading and trailing spaces, tabs and line breaks.
private func trimmed(_ text: String) -> Substring {
    var result = text[...]
    while result.first?.isWhitespace == true { result.removeFirst() }
    while result.last?.isWhitespace == true { result.removeLast() }
    return result
}
