"""DNS over TLS and DNS over HTTPS section: unbound (1 thread, local data) in a fresh network namespace; loadgen vs
dnsperf 2.10 (`-m dot`, `-m doh`).

Both clients ask the same question (a.example.test A) of the same unbound, started by scripts/unbound-netns.sh:
DoT on 127.0.0.1:853, DoH (HTTP/2) on 127.0.0.1:443 at /dns-query. Both keep their connections open for the whole
run: loadgen `-c N --concurrency Q` (one thread), dnsperf `-c N -q Q` (one thread) under `ip netns exec`, which
execs dnsperf in place, so the rusage of that process is dnsperf's. loadgen verifies the server's certificate
against the script's CA (`--cacert`); dnsperf verifies nothing (a cost paid once per connection either way).

unbound counts every query it receives (`total.num.queries`, of them `num.query.https` over DoH): each run is
checked against what the client says it sent, within what was still in flight when the run ended.
"""
from __future__ import annotations

import re
import statistics
import subprocess
from pathlib import Path
from typing import Optional

from dns_bench import Dnsperf, LoadgenDNS, QNAME, dnsperf_version
from harness import (Load, NetnsServer, Results, Row, Sample, Section, first_line, fmt_float, fmt_int, fmt_ratio,
                     preflight_problems, rate_cell, verdict)

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
UNBOUND_NETNS = SCRIPTS / "unbound-netns.sh"
SERVER = "127.0.0.1"
DOH_URI = "https://127.0.0.1/dns-query"

# The loads: the same connections × queries in flight for both tools, and an open-loop rate both hold.
# mode: dot, doh-get or doh-post (dnsperf's DoH default is GET; loadgen's is POST).
DOT_CLOSED = Load(concurrency=100, connections=10, mode="dot")
DOT_OPEN = Load(rate=5_000, connections=10, mode="dot")
DOH_GET_CLOSED = Load(concurrency=100, connections=10, mode="doh-get")
DOH_GET_OPEN = Load(rate=5_000, connections=10, mode="doh-get")
DOH_POST_CLOSED = Load(concurrency=100, connections=10, mode="doh-post")
LOADS = [DOT_CLOSED, DOT_OPEN, DOH_GET_CLOSED, DOH_GET_OPEN, DOH_POST_CLOSED]

TARGET_CPU = 0.8  # client CPU per 1000 queries on kept connections: at most 0.8× dnsperf's
TARGET_RATE = 0.005  # achieved rate within 0.5% of the requested one


class UnboundServer(NetnsServer):
    """A namespace with unbound answering DoT on 127.0.0.1:853 and DoH on 127.0.0.1:443."""

    script = UNBOUND_NETNS
    subdir = "unbound"
    process = "unbound"

    def probe(self) -> dict:
        """Cumulative counters: every query unbound received, of them over TLS (DoT and DoH) and over HTTPS."""
        out = subprocess.run(["bash", str(UNBOUND_NETNS), "stats", self.netns, str(self.dir)], check=True,
                             capture_output=True, text=True, timeout=30).stdout
        counters = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
        return {"received": int(float(counters.get("total.num.queries", 0))),
                "tls": int(float(counters.get("num.query.tls", 0))),
                "https": int(float(counters.get("num.query.https", 0)))}


def transport(load: Load) -> tuple:
    """("tls"|"https", None|"get"|"post") for a load's mode."""
    if load.mode == "dot":
        return "tls", None
    return "https", load.mode.split("-", 1)[1]


class LoadgenDNSStream(LoadgenDNS):
    """`loadgen dns --transport tls|https --cacert CA -c N (--concurrency Q | --rate R)`."""

    def __init__(self, binary: str, netns: str, ca_file: Path) -> None:
        super().__init__(binary, netns)
        self.ca_file = ca_file

    def command(self, load: Load, seconds: float) -> list:
        kind, method = transport(load)
        argv = [self.binary, "dns", "--netns", self.netns, "--transport", kind, "--server", SERVER,
                "--cacert", str(self.ca_file), "-c", str(load.connections), "--name", QNAME,
                "--duration", f"{seconds:g}s", "--json", "--quiet"]
        if method is not None:
            argv += ["--doh-method", method]
        if load.is_open:
            argv += ["--rate", f"{load.rate:g}"]
        else:
            argv += ["--concurrency", str(load.concurrency)]
        return argv

    def parse(self, stdout: str, stderr: str):
        counts = super().parse(stdout, stderr)
        extra = counts.extra
        if extra.get("errors") or extra.get("timeouts"):
            kinds = {k: v for k, v in (extra.get("error_kinds") or {}).items() if v}
            counts.problems.append(f"{extra['errors']} errors, {extra['timeouts']} timeouts" +
                                   (f" ({kinds})" if kinds else ""))
        return counts


class DnsperfStream(Dnsperf):
    """`dnsperf -m dot|doh -c N (-q Q | -Q R)`, one thread; DoH with `-O doh-uri=… -O doh-method=GET|POST`."""

    def command(self, load: Load, seconds: float) -> list:
        kind, method = transport(load)
        argv = ["ip", "netns", "exec", self.netns, "dnsperf", "-m", "dot" if kind == "tls" else "doh",
                "-s", SERVER, "-d", str(self.datafile), "-c", str(load.connections), "-T", "1",
                "-l", f"{seconds:g}"]
        if method is not None:
            argv += ["-O", f"doh-uri={DOH_URI}", "-O", f"doh-method={method.upper()}"]
        if load.is_open:
            argv += ["-Q", f"{load.rate:.0f}"]  # -q stays at its default, 100
        else:
            argv += ["-q", str(load.concurrency)]
        return argv


def in_flight_limit(sample: Sample, load: Load) -> int:
    """The most queries that can have been sent and not yet received by the server when the run ended: the
    closed loop's depth, or for an open loop what the tool did not get answered (at most -q/--concurrency)."""
    if load.is_open:
        return sample.counts.lost
    return load.concurrency


def server_check(sample: Sample, load: Load) -> None:
    """unbound's count of queries against what the client says it sent (harness.cross_check has already flagged
    more received than sent, or fewer than answered)."""
    received = sample.server.get("received")
    if not sample.ok or received is None:
        return
    gap = sample.counts.sent - received
    if gap > in_flight_limit(sample, load):
        sample.checks.append(f"unbound received {received:,} of {sample.counts.sent:,} sent: {gap:,} missing, more "
                             f"than the {in_flight_limit(sample, load):,} that can have been in flight")
    kind, _ = transport(load)
    over = sample.server.get("https", 0)
    if (kind == "https") != (over == received) and received:
        sample.checks.append(f"unbound counted {over:,} of {received:,} queries over HTTPS")


def make_section(loadgen: str, netns: str, workdir: Path) -> Section:
    datafile = workdir / "queries.txt"
    datafile.write_text(f"{QNAME} A\n")
    subject = LoadgenDNSStream(loadgen, netns, workdir / UnboundServer.subdir / "tls" / "ca.pem")
    peer = DnsperfStream(netns, datafile)
    return Section(
        title="DNS over TLS and over HTTPS (HTTP/2): loadgen vs dnsperf, unbound (1 thread, local data) in a network "
              "namespace",
        server=lambda: UnboundServer(netns, workdir),
        clients=[subject, peer],
        loads=LOADS,
        rows=lambda results: stream_rows(results, subject.name, peer.name),
        server_probe=lambda s: s.probe(),
        sample_check=server_check,
        notes=["loadgen verifies unbound's certificate (--cacert, the script's CA); dnsperf verifies nothing.",
               "DoH: dnsperf sends GET by default and answered several times fewer queries/s with POST here "
               "(2026-12-05); loadgen's default is POST. Both methods are measured, each tool with the same one.",
               "Server check: unbound's total.num.queries over the run equals what the client sent, less at most "
               "what was in flight when it stopped."],
    )


def stream_rows(r: Results, subject: str, peer: str) -> list:
    rows = []
    for name, closed, opened in (("DoT", DOT_CLOSED, DOT_OPEN), ("DoH GET", DOH_GET_CLOSED, DOH_GET_OPEN),
                                 ("DoH POST", DOH_POST_CLOSED, None)):
        rows += closed_rows(r, closed, subject, peer, name)
        if opened is not None:
            rows += open_rows(r, opened, subject, peer, name)
    return rows


def closed_rows(r: Results, load: Load, subject: str, peer: str, name: str) -> list:
    what = f"{name}, {load.connections} connections, {load.concurrency} in flight"
    cpu = r.paired_ratio((load, subject, "cpu_ms_per_1k"), (load, peer, "cpu_ms_per_1k"))
    return [
        Row(f"{what}: queries/s (answered)", fmt_int(r.median(load, subject, "throughput")),
            fmt_int(r.median(load, peer, "throughput")),
            fmt_ratio(r.paired_ratio((load, subject, "throughput"), (load, peer, "throughput")))),
        Row(f"{what}: client CPU ms / 1000 queries", fmt_float(r.median(load, subject, "cpu_ms_per_1k")),
            fmt_float(r.median(load, peer, "cpu_ms_per_1k")), fmt_ratio(cpu), f"≤ {TARGET_CPU}× {peer}",
            verdict(None if cpu is None else cpu <= TARGET_CPU)),
        Row(f"{what}: lost queries", lost_cell(r, load, subject), lost_cell(r, load, peer)),
        server_row(r, load, subject, peer, what),
    ]


def open_rows(r: Results, load: Load, subject: str, peer: str, name: str) -> list:
    what = f"{name}, {load.connections} connections, open loop {fmt_int(load.rate)}/s"
    cpu = r.paired_ratio((load, subject, "cpu_ms_per_1k"), (load, peer, "cpu_ms_per_1k"))
    a, b = r.median(load, subject, "achieved_rate"), r.median(load, peer, "achieved_rate")
    rate_ok = None if a is None else abs(a - load.rate) <= TARGET_RATE * load.rate
    return [
        Row(f"{what}: achieved rate", rate_cell(a, load.rate), rate_cell(b, load.rate), "",
            f"{subject} within ±{TARGET_RATE * 100:g}%", verdict(rate_ok)),
        Row(f"{what}: client CPU ms / 1000 queries", fmt_float(r.median(load, subject, "cpu_ms_per_1k")),
            fmt_float(r.median(load, peer, "cpu_ms_per_1k")), fmt_ratio(cpu), f"≤ {TARGET_CPU}× {peer}",
            verdict(None if cpu is None else cpu <= TARGET_CPU)),
        Row(f"{what}: lost queries", lost_cell(r, load, subject), lost_cell(r, load, peer)),
        server_row(r, load, subject, peer, what),
    ]


def lost_cell(r: Results, load: Load, tool: str) -> str:
    samples = r.of(load, tool)
    if not samples:
        return "n/a"
    lost = statistics.median(s.counts.lost for s in samples)
    share = statistics.median(s.lost_fraction or 0.0 for s in samples)
    return f"{lost:,.0f} ({share * 100:.2f}%)"


def server_row(r: Results, load: Load, subject: str, peer: str, what: str) -> Row:
    """Median sent − received by unbound; PASS when every run of both tools is within what was in flight."""
    cells, ok = [], None
    for tool in (subject, peer):
        samples = [s for s in r.of(load, tool) if "received" in s.server]
        if not samples:
            cells.append("n/a")
            continue
        gaps = [s.counts.sent - s.server["received"] for s in samples]
        good = all(0 <= g <= in_flight_limit(s, load) for g, s in zip(gaps, samples))
        ok = good if ok is None else ok and good
        cells.append(f"{statistics.median(gaps):,.0f} of {statistics.median(s.counts.sent for s in samples):,.0f}")
    return Row(f"{what}: sent − received by unbound", cells[0], cells[1], "", "≤ in flight at the end", verdict(ok))


def versions(loadgen: str) -> dict:
    dnsperf = dnsperf_version()
    m = re.search(r"Version\s+(\S+)", first_line([find_unbound() or "unbound", "-V"]))
    return {"loadgen": first_line([loadgen, "--version"]), "dnsperf": dnsperf, "unbound": m.group(1) if m else "?",
            "openssl": first_line(["openssl", "version"])}


def find_unbound() -> Optional[str]:
    for d in ("/usr/sbin", "/usr/local/sbin", "/sbin"):
        if Path(d, "unbound").exists():
            return str(Path(d, "unbound"))
    return None


def preflight(loadgen: str) -> list:
    tools = (("unbound", "unbound"), ("unbound-control", "unbound"), ("dnsperf", "dnsperf"), ("openssl", "openssl"),
             ("ip", "iproute2"))
    return preflight_problems(loadgen, tools, root_for="network namespaces, unbound on ports 443 and 853")
