import Foundation
import Testing
@testable import LoadGen

/// `--container`: finding a container's processes in /proc/PID/cgroup, on fake proc roots.
@Suite struct ContainerTargetsScanTests {
    /// /proc/PID/cgroup as each runtime and cgroup setup writes it, and the container ID in it.
    static let formats: [(name: String, cgroup: String, id: String)] = [
        ("docker, cgroup v2, systemd driver",
         "0::/system.slice/docker-\(TestIDs.dockerSystemd).scope\n", TestIDs.dockerSystemd),
        ("docker, cgroup v2, cgroupfs driver",
         "0::/docker/\(TestIDs.dockerCgroupfs)\n", TestIDs.dockerCgroupfs),
        ("kubernetes + containerd, systemd driver",
         "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podce482f02_2834_4229_832a_2e38183e7511.slice/"
            + "cri-containerd-\(TestIDs.kubeContainerd).scope\n", TestIDs.kubeContainerd),
        ("kubernetes, cgroupfs driver",
         "0::/kubepods/besteffort/pod104a7283-50ba-45d8-9fa3-75af30dd1d8d/\(TestIDs.kubeCgroupfs)\n", TestIDs.kubeCgroupfs),
        ("kubernetes + CRI-O",
         "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod104a7283_50ba_45d8_9fa3_75af30dd1d8d.slice/"
            + "crio-\(TestIDs.crio).scope\n", TestIDs.crio),
        ("podman, rootless, cgroup v2",
         "0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-\(TestIDs.podman).scope/container\n",
         TestIDs.podman),
        ("docker, cgroup v1 (one line per hierarchy)",
         """
         12:pids:/docker/\(TestIDs.cgroupV1)
         11:hugetlb:/docker/\(TestIDs.cgroupV1)
         10:net_cls,net_prio:/docker/\(TestIDs.cgroupV1)
         9:cpuset:/docker/\(TestIDs.cgroupV1)
         8:memory:/docker/\(TestIDs.cgroupV1)
         7:devices:/docker/\(TestIDs.cgroupV1)
         6:freezer:/docker/\(TestIDs.cgroupV1)
         5:blkio:/docker/\(TestIDs.cgroupV1)
         4:cpu,cpuacct:/docker/\(TestIDs.cgroupV1)
         3:perf_event:/docker/\(TestIDs.cgroupV1)
         2:rdma:/
         1:name=systemd:/docker/\(TestIDs.cgroupV1)
         0::/system.slice/containerd.service

         """, TestIDs.cgroupV1),
    ]

    @Test("every runtime's cgroup path yields its container ID", arguments: 0..<formats.count)
    func idInEachFormat(index: Int) {
        let format = Self.formats[index]
        #expect(ContainerTargets.containerIDs(inCgroupFile: format.cgroup) == [format.id], "\(format.name)")
    }

    @Test("cgroup paths without a container ID yield none")
    func pathsWithoutIDs() {
        for text in [
            "0::/\n",
            "0::/init.scope\n",
            "0::/user.slice/user-1000.slice/session-3.scope\n",
            "0::/system.slice/containerd.service\n",
            "4:memory:/process_api/d30b7473cfbb8f4fd5e61ecf23e3afdf\n0::/\n",  // 32 hex digits: not a container ID
            "0::/kubepods/besteffort/pod104a7283-50ba-45d8-9fa3-75af30dd1d8d\n",  // the pod's own cgroup
            "0::/docker/\(TestIDs.dockerCgroupfs)0\n",  // 65 hex digits
            "garbage without colons\n",
            "",
        ] {
            #expect(ContainerTargets.containerIDs(inCgroupFile: text).isEmpty, "\(text)")
        }
    }

    @Test("a container's init.scope, an upper-case ID and a cgroup namespace's ../ are handled")
    func variations() {
        #expect(ContainerTargets.containerIDs(inCgroupFile: "0::/system.slice/docker-\(TestIDs.dockerSystemd).scope/init.scope\n")
            == [TestIDs.dockerSystemd])
        #expect(ContainerTargets.containerIDs(inCgroupFile: "0::/docker/\(TestIDs.dockerCgroupfs.uppercased())\n")
            == [TestIDs.dockerCgroupfs])
        #expect(ContainerTargets.containerIDs(inCgroupFile: "0::/../../docker-\(TestIDs.dockerSystemd).scope\n")
            == [TestIDs.dockerSystemd])
    }

    @Test("conmon (CRI-O's and podman's monitor, in the host netns) does not count as the container")
    func conmonIsNotTheContainer() {
        #expect(ContainerTargets.containerIDs(inCgroupFile: "0::/machine.slice/crio-conmon-\(TestIDs.crio).scope\n").isEmpty)
        #expect(ContainerTargets.containerIDs(inCgroupFile: "0::/machine.slice/libpod-conmon-\(TestIDs.podman).scope\n").isEmpty)
    }

    @Test("a process of a container nested in another belongs to the inner one")
    func nestedContainers() {
        #expect(ContainerTargets.containerIDs(inCgroupFile: "0::/docker/\(TestIDs.nestedOuter)/docker/\(TestIDs.nestedInner)\n")
            == [TestIDs.nestedInner])
    }

    /// A proc root with one process per format (PIDs 100, 200, ...) plus host processes.
    private func procWithEveryFormat() throws -> FakeProcRoot {
        let proc = try FakeProcRoot()
        try proc.add(1, cgroup: "0::/init.scope\n")
        try proc.add(2, cgroup: "0::/\n")
        try proc.add(812, cgroup: "0::/system.slice/containerd.service\n")
        for (index, format) in Self.formats.enumerated() {
            try proc.add(Int32(100 * (index + 1)), cgroup: format.cgroup)
        }
        return proc
    }

    @Test("scan finds each format's process by a 12-digit prefix, a 4-digit prefix and the full ID")
    func scanEveryFormat() throws {
        let proc = try procWithEveryFormat()
        for (index, format) in Self.formats.enumerated() {
            for prefix in [String(format.id.prefix(12)), String(format.id.prefix(4)), format.id] {
                let found = try ContainerTargets.scan(idPrefix: prefix, procRoot: proc.path)
                #expect(found.containerID == format.id, "\(format.name), prefix \(prefix)")
                #expect(found.pid == Int32(100 * (index + 1)), "\(format.name), prefix \(prefix)")
            }
        }
    }

    @Test("a prefix in upper case, with spaces or with the runtime's scheme is accepted")
    func prefixSpellings() throws {
        let proc = try procWithEveryFormat()
        for prefix in [TestIDs.kubeContainerd.prefix(12).uppercased(), " \(TestIDs.kubeContainerd.prefix(12))\n",
                       "containerd://\(TestIDs.kubeContainerd)", "docker://\(TestIDs.kubeContainerd.prefix(8))"] {
            let found = try ContainerTargets.scan(idPrefix: prefix, procRoot: proc.path)
            #expect(found.containerID == TestIDs.kubeContainerd && found.pid == 300, "prefix \(prefix)")
        }
    }

    @Test("the container's lowest PID is picked (numerically), whatever order /proc lists them in")
    func lowestPID() throws {
        let proc = try FakeProcRoot()
        for pid: Int32 in [4711, 300, 42, 1000, 99999] {
            try proc.add(pid, cgroup: "0::/system.slice/docker-\(TestIDs.dockerSystemd).scope\n")
        }
        try proc.add(7, cgroup: "0::/system.slice/docker-\(TestIDs.dockerCgroupfs).scope\n")
        let found = try ContainerTargets.scan(idPrefix: "c794", procRoot: proc.path)
        #expect(found.pid == 42)
        #expect(try ContainerTargets.processes(procRoot: proc.path, idPrefix: "c794")
            == [TestIDs.dockerSystemd: [42, 300, 1000, 4711, 99999]])
    }

    @Test("a conmon with a lower PID than the container is not picked")
    func conmonNotPicked() throws {
        let proc = try FakeProcRoot()
        try proc.add(500, cgroup: "0::/kubepods.slice/kubepods-besteffort.slice/crio-conmon-\(TestIDs.crio).scope\n")
        try proc.add(503, cgroup: "0::/kubepods.slice/kubepods-besteffort.slice/crio-\(TestIDs.crio).scope\n")
        #expect(try ContainerTargets.scan(idPrefix: "3fe6c5", procRoot: proc.path).pid == 503)
    }

    @Test("an ambiguous prefix lists the candidates in 12-digit form")
    func ambiguousPrefix() throws {
        let proc = try FakeProcRoot()
        try proc.add(10, cgroup: "0::/docker/\(TestIDs.coffee1)\n")
        try proc.add(11, cgroup: "0::/docker/\(TestIDs.coffee1)\n")
        try proc.add(20, cgroup: "0::/system.slice/docker-\(TestIDs.coffee2).scope\n")
        #expect(throws: ContainerTargetError.ambiguous(prefix: "c0ffee", containerIDs: [TestIDs.coffee2, TestIDs.coffee1])) {
            try ContainerTargets.scan(idPrefix: "c0ffee", procRoot: proc.path)
        }
        let error = ContainerTargetError.ambiguous(prefix: "c0ffee", containerIDs: [TestIDs.coffee2, TestIDs.coffee1])
        #expect(error.description == "--container 'c0ffee': 2 containers have IDs starting with 'c0ffee': c0ffee8ddc9e, "
            + "c0ffeec91cc7; give more characters of the ID")
        #expect(!error.isUsageError)
        // One more digit tells them apart.
        #expect(try ContainerTargets.scan(idPrefix: "c0ffeec", procRoot: proc.path) == (TestIDs.coffee1, 10))
        #expect(try ContainerTargets.scan(idPrefix: "C0FFEE8", procRoot: proc.path) == (TestIDs.coffee2, 20))
    }

    @Test("an ambiguous prefix with many candidates shows five and counts the rest")
    func manyCandidates() throws {
        let proc = try FakeProcRoot()
        var ids: [String] = []
        for pid: Int32 in 1...8 {
            let id = "abcd" + String(TestIDs.random().dropFirst(4))
            ids.append(id)
            try proc.add(pid, cgroup: "0::/docker/\(id)\n")
        }
        do {
            _ = try ContainerTargets.scan(idPrefix: "abcd", procRoot: proc.path)
            Issue.record("an ambiguous prefix was accepted")
        } catch {
            #expect(error == .ambiguous(prefix: "abcd", containerIDs: ids.sorted()))
            let text = error.description
            #expect(text.hasPrefix("--container 'abcd': 8 containers have IDs starting with 'abcd': "))
            #expect(text.contains(ids.sorted()[4].prefix(12)) && !text.contains(ids.sorted()[5].prefix(12)))
            #expect(text.hasSuffix(" and 3 more; give more characters of the ID"))
        }
    }

    @Test("an unknown ID says so and asks whether it runs on this host")
    func unknownID() throws {
        let proc = try procWithEveryFormat()
        #expect(throws: ContainerTargetError.noMatch(prefix: "abcd")) {
            try ContainerTargets.scan(idPrefix: "ABCD", procRoot: proc.path)
        }
        let text = ContainerTargetError.noMatch(prefix: "abcd").description
        #expect(text.hasPrefix("--container 'abcd': no process in a container whose ID starts with 'abcd'; is it running on this host?"))
        // A full ID that differs in the last digit is not a match either.
        let almost = String(TestIDs.crio.dropLast()) + "b"
        #expect(throws: ContainerTargetError.noMatch(prefix: almost)) {
            try ContainerTargets.scan(idPrefix: almost, procRoot: proc.path)
        }
    }

    @Test("prefixes that are not 4 to 64 hex digits are usage errors naming --container", arguments: [
        "", "abc", "xyz1", "c794e8f0-2659", "g794e8f0", "\(TestIDs.crio)0", "docker://", "12 34",
    ])
    func invalidPrefixes(prefix: String) throws {
        let proc = try procWithEveryFormat()
        #expect(throws: ContainerTargetError.invalidPrefix(prefix)) {
            try ContainerTargets.scan(idPrefix: prefix, procRoot: proc.path)
        }
        let error = ContainerTargetError.invalidPrefix(prefix)
        #expect(error.isUsageError)
        #expect(error.description.hasPrefix("--container '\(prefix)': a container ID is 4 to 64 hexadecimal digits"))
    }

    @Test("a process that vanishes while /proc is listed is skipped")
    func vanishedWhileListing() throws {
        let proc = try FakeProcRoot()
        try proc.addVanished(5)
        try proc.add(6, cgroup: "0::/docker/\(TestIDs.dockerCgroupfs)\n")
        #expect(try ContainerTargets.scan(idPrefix: "66bfcd", procRoot: proc.path) == (TestIDs.dockerCgroupfs, 6))
    }

    @Test("a PID that exits between the scan and the pick is skipped; when all exited, the error says so")
    func vanishedBeforePick() throws {
        let proc = try FakeProcRoot()
        for pid: Int32 in [30, 31, 32] {
            try proc.add(pid, cgroup: "0::/docker/\(TestIDs.dockerCgroupfs)\n")
        }
        let found = try ContainerTargets.processes(procRoot: proc.path, idPrefix: "66bfcd")
        #expect(found == [TestIDs.dockerCgroupfs: [30, 31, 32]])
        try proc.remove(30)
        // PID 31 was reused by a process outside the container.
        try proc.remove(31)
        try proc.add(31, cgroup: "0::/user.slice/session-1.scope\n")
        #expect(try ContainerTargets.pick(found, prefix: "66bfcd", procRoot: proc.path) == (TestIDs.dockerCgroupfs, 32))
        try proc.remove(32)
        #expect(throws: ContainerTargetError.exited(prefix: "66bfcd", containerID: TestIDs.dockerCgroupfs)) {
            try ContainerTargets.pick(found, prefix: "66bfcd", procRoot: proc.path)
        }
    }

    @Test("a zombie (no namespaces left) is skipped")
    func zombieSkipped() throws {
        let proc = try FakeProcRoot()
        try proc.add(40, cgroup: "0::/docker/\(TestIDs.dockerCgroupfs)\n", stat: "40 (my (odd) app) Z 1 40 40 0 -1 4194564\n")
        try proc.add(41, cgroup: "0::/docker/\(TestIDs.dockerCgroupfs)\n", stat: "41 (nginx) S 40 40 40 0 -1 4194560\n")
        #expect(try ContainerTargets.scan(idPrefix: "66bfcd", procRoot: proc.path).pid == 41)
    }

    @Test("a proc root that cannot be listed is an error naming it")
    func missingProcRoot() {
        #expect(throws: ContainerTargetError.cannotListProcesses(procRoot: "/nonexistent-loadgen-proc", errno: ENOENT)) {
            try ContainerTargets.scan(idPrefix: "abcd", procRoot: "/nonexistent-loadgen-proc")
        }
    }

    @Test("scanning the real /proc for an ID nobody uses finds nothing")
    func realProcNoMatch() {
        let id = TestIDs.random()
        #expect(throws: ContainerTargetError.noMatch(prefix: id)) {
            try ContainerTargets.scan(idPrefix: id)
        }
    }
}
