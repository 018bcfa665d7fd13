"""DNS section: Knot DNS (1 UDP worker) in a fresh network namespace; loadgen vs dnsperf.

Both clients ask the same question (a.example.test A) of the same server at 127.0.0.1:53 inside the
namespace, over UDP from one socket: loadgen with --netns (one thread), dnsperf under `ip netns exec`
(`-c 1`, one client). `ip netns exec` execs the program in place, so the rusage of that process is dnsperf's.
"""
from __future__ import annotations

import re
import statistics
import subprocess
from pathlib import Path
from typing import Optional

from harness import (Counts, Load, NetnsServer, Results, Row, Section, first_line, fmt_float, fmt_int, fmt_ratio,
                     loadgen_report, preflight_problems, rate_cell, verdict)

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
KNOT_NETNS = SCRIPTS / "knot-netns.sh"
SERVER = "127.0.0.1"
QNAME = "a.example.test"

# The loads, as the issue asks for them.
CLOSED_100 = Load(concurrency=100)
CLOSED_1K = Load(concurrency=1_000)
CLOSED_10K = Load(concurrency=10_000)
OPEN_1K = Load(rate=1_000)
OPEN_10K = Load(rate=10_000)
OPEN_50K = Load(rate=50_000)
OPEN_100K = Load(rate=100_000)
LOADS = [CLOSED_100, OPEN_50K, OPEN_1K, OPEN_10K, OPEN_100K, CLOSED_1K, CLOSED_10K]

# Targets (issue 2, "Benchmarks").
TARGET_CPU_50K = 0.5  # loadgen CPU per 1000 queries at 50k/s at most half of dnsperf's
TARGET_MAX_QPS = 1.5  # loadgen max q/s at least 1.5x dnsperf's
TARGET_RATE = 0.005  # achieved rate within 0.5% of the requested one
TARGET_INFLIGHT = 1.25  # CPU per query at 10,000 in flight at most 1.25x that at 100


class KnotServer(NetnsServer):
    """A namespace with knotd on 127.0.0.1:53 (scripts/knot-netns.sh up/down)."""

    script = KNOT_NETNS
    subdir = "knot"
    process = "knotd"

    def probe(self) -> dict:
        """Cumulative counters: UDP/IPv4 queries knot has received (mod-stats), and UDP datagrams the kernel
        dropped in the namespace because a socket's receive buffer was full (UdpRcvbufErrors, knot's socket
        or the client's; sent − received tells the queries that never reached knot)."""
        out = subprocess.run(["bash", str(KNOT_NETNS), "count", self.netns, str(self.dir)], check=True,
                             capture_output=True, text=True, timeout=30).stdout
        return {"received": int(out.strip()), "dropped": self._udp_rcvbuf_errors()}

    def _udp_rcvbuf_errors(self) -> int:
        # /proc/PID/net/snmp shows the counters of PID's network namespace: knotd's.
        pid = (self.dir / "knot.pid").read_text().strip()
        lines = [line.split() for line in Path(f"/proc/{pid}/net/snmp").read_text().splitlines()
                 if line.startswith("Udp:")]
        header, values = lines[0], lines[1]
        return int(values[header.index("RcvbufErrors")])


class LoadgenDNS:
    name = "loadgen"

    def __init__(self, binary: str, netns: str) -> None:
        self.binary = binary
        self.netns = netns

    def command(self, load: Load, seconds: float) -> list:
        argv = [self.binary, "dns", "--netns", self.netns, "--server", SERVER, "--name", QNAME,
                "--duration", f"{seconds:g}s", "--json", "--quiet"]
        if load.is_open:
            argv += ["--rate", f"{load.rate:g}"]
        else:
            argv += ["--concurrency", str(load.concurrency)]
        return argv

    def parse(self, stdout: str, stderr: str) -> Counts:
        report = loadgen_report(stdout)
        keep = ("achieved_rate", "throughput", "requested_rate", "concurrency", "timeouts", "errors", "cancelled",
                "client_cpu_ms", "cpu_ms_per_1k", "latency_us", "service_time_us", "rcodes", "error_kinds")
        return Counts(sent=report["sent"], completed=report["completed"], lost=report["sent"] - report["completed"],
                      duration_s=report["duration_s"], extra={k: report["doc"].get(k) for k in keep},
                      problems=report["problems"])


class Dnsperf:
    name = "dnsperf"

    def __init__(self, netns: str, datafile: Path) -> None:
        self.netns = netns
        self.datafile = datafile

    def command(self, load: Load, seconds: float) -> list:
        argv = ["ip", "netns", "exec", self.netns, "dnsperf", "-s", SERVER, "-d", str(self.datafile),
                "-c", "1", "-l", f"{seconds:g}"]
        if load.is_open:
            # -q stays at its default (100): at 50k/s dnsperf lost more and spent more CPU with -q 10000.
            argv += ["-Q", f"{load.rate:.0f}"]
        else:
            argv += ["-q", str(load.concurrency)]
        return argv

    _FIELDS = {
        "sent": r"Queries sent:\s+(\d+)",
        "completed": r"Queries completed:\s+(\d+)",
        "lost": r"Queries lost:\s+(\d+)",
        "run_time": r"Run time \(s\):\s+([\d.]+)",
        "qps": r"Queries per second:\s+([\d.]+)",
    }

    def parse(self, stdout: str, stderr: str) -> Counts:
        text = stdout + "\n" + stderr
        found = {}
        for key, pattern in self._FIELDS.items():
            m = re.search(pattern, text)
            if m is None:
                raise ValueError(f"no '{pattern.split(':')[0].replace(chr(92), '')}:' line")
            found[key] = float(m.group(1))
        sent, completed, lost = int(found["sent"]), int(found["completed"]), int(found["lost"])
        problems = []
        if sent != completed + lost:
            problems.append(f"dnsperf: sent {sent} != completed {completed} + lost {lost}")
        timeouts = len(re.findall(r"^\[Timeout\]", stdout, re.MULTILINE))
        return Counts(sent=sent, completed=completed, lost=lost, duration_s=found["run_time"],
                      extra={"queries_per_second": found["qps"], "timeout_lines": timeouts})


def make_section(loadgen: str, netns: str, workdir: Path) -> Section:
    datafile = workdir / "queries.txt"
    datafile.write_text(f"{QNAME} A\n")
    subject = LoadgenDNS(loadgen, netns)
    peer = Dnsperf(netns, datafile)
    return Section(
        title="DNS over UDP: loadgen vs dnsperf, Knot DNS (1 UDP worker) in a network namespace",
        server=lambda: KnotServer(netns, workdir),
        clients=[subject, peer],
        loads=LOADS,
        rows=lambda results: dns_rows(results, subject.name, peer.name),
        server_probe=lambda server: server.probe(),
    )


def dns_rows(r: Results, subject: str, peer: str) -> list:
    rows = []

    def med(load: Load, tool: str, metric: str) -> Optional[float]:
        return r.median(load, tool, metric)

    def vs_peer(load: Load, metric: str) -> Optional[float]:
        return r.paired_ratio((load, subject, metric), (load, peer, metric))

    def check(ratio: Optional[float], ok) -> str:
        return verdict(None if ratio is None else ok(ratio))

    # Closed loop, 100 in flight: the most each can do against this server.
    q = vs_peer(CLOSED_100, "throughput")
    rows.append(Row("closed loop, 100 in flight: queries/s (answered)", fmt_int(med(CLOSED_100, subject, "throughput")),
                    fmt_int(med(CLOSED_100, peer, "throughput")), fmt_ratio(q), f"≥ {TARGET_MAX_QPS}× {peer}",
                    check(q, lambda x: x >= TARGET_MAX_QPS)))
    rows.append(Row("closed loop, 100 in flight: client CPU ms / 1000 queries",
                    fmt_float(med(CLOSED_100, subject, "cpu_ms_per_1k")), fmt_float(med(CLOSED_100, peer, "cpu_ms_per_1k")),
                    fmt_ratio(vs_peer(CLOSED_100, "cpu_ms_per_1k"))))

    # Open loop at 50k/s: the cost of a fixed amount of work.
    c = vs_peer(OPEN_50K, "cpu_ms_per_1k")
    rows.append(Row("open loop 50,000/s: client CPU ms / 1000 queries", fmt_float(med(OPEN_50K, subject, "cpu_ms_per_1k")),
                    fmt_float(med(OPEN_50K, peer, "cpu_ms_per_1k")), fmt_ratio(c), f"≤ {TARGET_CPU_50K}× {peer} (2× lower)",
                    check(c, lambda x: x <= TARGET_CPU_50K)))
    rows.append(rate_row(r, OPEN_50K, subject, peer))
    rows.append(Row("open loop 50,000/s: lost queries (of them never read by knot)",
                    lost_cell(r, OPEN_50K, subject), lost_cell(r, OPEN_50K, peer)))

    # Open loop: does the achieved rate follow the requested one?
    for load in (OPEN_1K, OPEN_10K, OPEN_100K):
        rows.append(rate_row(r, load, subject, peer))
    rows.append(Row("open loop 100,000/s: lost queries (of them never read by knot)",
                    lost_cell(r, OPEN_100K, subject), lost_cell(r, OPEN_100K, peer)))

    # Closed loop with more in flight: the cost per query must not grow with the number in flight.
    for load in (CLOSED_100, CLOSED_1K, CLOSED_10K):
        a, b = med(load, subject, "cpu_ms_per_1k"), med(load, peer, "cpu_ms_per_1k")
        qa, qb = med(load, subject, "throughput"), med(load, peer, "throughput")
        rows.append(Row(f"closed loop, {fmt_int(load.concurrency)} in flight: CPU ms / 1000 queries (queries/s)",
                        f"{fmt_float(a)} ({fmt_int(qa)})", f"{fmt_float(b)} ({fmt_int(qb)})",
                        fmt_ratio(vs_peer(load, "cpu_ms_per_1k"))))
    for load in (CLOSED_1K, CLOSED_10K):
        rows.append(Row(f"closed loop, {fmt_int(load.concurrency)} in flight: lost queries (of them never read by knot)",
                        lost_cell(r, load, subject), lost_cell(r, load, peer)))

    def growth(tool: str) -> Optional[float]:
        return r.paired_ratio((CLOSED_10K, tool, "cpu_ms_per_1k"), (CLOSED_100, tool, "cpu_ms_per_1k"))

    g = growth(subject)
    rows.append(Row("CPU per query at 10,000 in flight ÷ at 100", fmt_ratio(g), fmt_ratio(growth(peer)), "",
                    f"{subject} ≤ {TARGET_INFLIGHT}×", check(g, lambda x: x <= TARGET_INFLIGHT)))
    return rows


def rate_row(r: Results, load: Load, subject: str, peer: str) -> Row:
    a, b = r.median(load, subject, "achieved_rate"), r.median(load, peer, "achieved_rate")
    ok = None if a is None else abs(a - load.rate) <= TARGET_RATE * load.rate
    return Row(f"open loop {fmt_int(load.rate)}/s: achieved rate", rate_cell(a, load.rate), rate_cell(b, load.rate),
               "", f"{subject} within ±{TARGET_RATE * 100:g}%", verdict(ok))


def lost_cell(r: Results, load: Load, tool: str) -> str:
    """Median lost queries, their share, and how many of them knot never received (dropped at its socket)."""
    samples = r.of(load, tool)
    if not samples:
        return "n/a"
    lost = statistics.median(s.counts.lost for s in samples)
    share = statistics.median(s.lost_fraction for s in samples)
    text = f"{lost:,.0f} ({share * 100:.2f}%)"
    unread = [s.counts.sent - s.server["received"] for s in samples if "received" in s.server]
    if unread:
        text += f"; {statistics.median(unread):,.0f}"
    return text


def dnsperf_version() -> str:
    try:
        p = subprocess.run(["dnsperf", "-h"], capture_output=True, text=True, timeout=10)
    except OSError as e:
        return f"unavailable ({e.strerror})"
    m = re.search(r"Version\s+(\S+)", p.stdout + p.stderr)
    return m.group(1) if m else "?"


def versions(loadgen: str) -> dict:
    dnsperf = dnsperf_version()
    knot = first_line(["knotd", "--version"])
    m = re.search(r"version\s+(\S+)", knot)
    return {"loadgen": first_line([loadgen, "--version"]), "dnsperf": dnsperf, "knot": m.group(1) if m else knot}


def preflight(loadgen: str) -> list:
    """Problems that stop the section before it starts."""
    tools = (("knotd", "knot"), ("knotc", "knot"), ("dnsperf", "dnsperf"), ("ip", "iproute2"))
    return preflight_problems(loadgen, tools, root_for="network namespaces, knotd on port 53")
