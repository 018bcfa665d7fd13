"""HTTP/1.1 section: nginx (1 worker) in a fresh network namespace; loadgen vs wrk.

Both clients fetch http://127.0.0.1:8080/ (a static 612-byte index.html) over keep-alive connections from
inside the namespace: loadgen with --netns (one thread), wrk under `ip netns exec` with one thread (`-t1`).
`ip netns exec` execs wrk in place, so the rusage of that process is wrk's. wrk is closed loop only (wrk2,
its open-loop fork, is not packaged in Debian), so the open-loop and the 10,000-connection loads are
loadgen's alone.
"""
from __future__ import annotations

import re
from pathlib import Path

from harness import Counts, Load, Results, Row, Section, first_line, fmt_float, fmt_int, verdict
from http_common import (NGINX_H1_URL, LoadgenHTTP, NginxServer, closed_rows, connections_check,
                         nginx_version, open_rows, preflight_common)

# The loads, as the issue asks for them.
CLOSED_100 = Load(concurrency=100, connections=100)
OPEN_20K = Load(rate=20_000, connections=100, only=("loadgen",))
HOLD_10K = Load(rate=2_000, connections=10_000, seconds=5.0, only=("loadgen",))
LOADS = [CLOSED_100, OPEN_20K, HOLD_10K]

TARGET_RSS_MB = 150.0  # 10,000 open keep-alive connections held with client RSS under 150 MB

PEER_NA = "— (no wrk2)"


class Wrk:
    name = "wrk"

    def __init__(self, netns: str, url: str) -> None:
        self.netns = netns
        self.url = url

    def command(self, load: Load, seconds: float) -> list:
        if load.is_open:
            raise ValueError("wrk has no open loop (that is wrk2)")
        # wrk takes whole seconds only ("-d2.5s" is a usage error); run.py makes --seconds whole.
        return ["ip", "netns", "exec", self.netns, "wrk", "-t1", f"-c{load.connections}", f"-d{seconds:.0f}s",
                self.url]

    def parse(self, stdout: str, stderr: str) -> Counts:
        m = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)\b", stdout)
        rps = re.search(r"Requests/sec:\s+([\d.]+)", stdout)
        if m is None or rps is None:
            raise ValueError("no 'N requests in' or 'Requests/sec:' line")
        completed = int(m.group(1))
        duration = float(m.group(2)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[m.group(3)]
        errors = {}
        se = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", stdout)
        if se:
            errors = dict(zip(("connect", "read", "write", "timeout"), map(int, se.groups())))
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", stdout)
        problems = []
        if any(errors.values()):
            problems.append("wrk socket errors: " + ", ".join(f"{k} {v}" for k, v in errors.items() if v))
        if non2xx:
            problems.append(f"wrk: {non2xx.group(1)} non-2xx/3xx responses")
        # wrk counts only completed requests: those still in flight at the end are not reported anywhere.
        lost = errors.get("read", 0) + errors.get("write", 0) + errors.get("timeout", 0)
        return Counts(sent=completed + lost, completed=completed, lost=lost, duration_s=duration,
                      extra={"requests_per_sec": float(rps.group(1)), "socket_errors": errors,
                             "non_2xx_3xx": int(non2xx.group(1)) if non2xx else 0},
                      problems=problems, sent_exact=False)


def make_section(loadgen: str, netns: str, workdir: Path) -> Section:
    subject = LoadgenHTTP(loadgen, netns, NGINX_H1_URL, http2=False)
    peer = Wrk(netns, NGINX_H1_URL)

    def sample_check(sample, load: Load) -> None:
        if load == HOLD_10K:
            connections_check(sample, load.connections)

    return Section(
        title="HTTP/1.1: loadgen vs wrk, nginx (1 worker, keep-alive) in a network namespace",
        server=lambda: NginxServer(netns, workdir),
        clients=[subject, peer],
        loads=LOADS,
        rows=lambda results: http1_rows(results, subject.name, peer.name),
        server_probe=lambda server: server.probe(),
        notes=["wrk is closed loop only; its open-loop fork wrk2 is not packaged in Debian, so the open-loop and "
               "10,000-connection rows are loadgen's alone (wrk -c10000 would be a closed loop at full speed, "
               "not the same load).",
               f"10,000 connections: `-c 10000 --rate 2000 --duration {HOLD_10K.seconds:g}s --connect-timeout 10s`, "
               "always 5 s whatever --seconds says; peak RSS is ru_maxrss of the loadgen process from wait4, "
               "connections are loadgen's `connections_opened` and the connections nginx accepted (stub_status)."],
        sample_check=sample_check,
    )


def http1_rows(r: Results, subject: str, peer: str) -> list:
    rows = closed_rows(r, CLOSED_100, subject, peer, "closed loop, 100 connections", throughput_target=False)
    rows += open_rows(r, OPEN_20K, subject, "open loop 20,000/s, 100 connections", PEER_NA)
    rss = r.median(HOLD_10K, subject, "max_rss_mb")
    ok = None if rss is None else rss < TARGET_RSS_MB
    rows.append(Row("10,000 keep-alive connections at 2,000/s: client peak RSS",
                    "n/a" if rss is None else f"{rss:,.1f} MB ({hold_connections(r)})", "—", "",
                    f"< {TARGET_RSS_MB:g} MB", verdict(ok)))
    rows.append(Row("10,000 keep-alive connections at 2,000/s: client CPU ms / 1000 requests",
                    fmt_float(r.median(HOLD_10K, subject, "cpu_ms_per_1k")), "—"))
    return rows


def hold_connections(r: Results) -> str:
    samples = r.of(HOLD_10K, "loadgen")
    if not samples:
        return "n/a"
    s = samples[len(samples) // 2]
    opened = s.counts.extra.get("connections_opened")
    accepted = s.server.get("accepted")
    return f"{fmt_int(opened)} opened, nginx accepted {fmt_int(accepted)}"


def versions(loadgen: str) -> dict:
    wrk = first_line(["wrk", "-v"])
    m = re.search(r"wrk\s+(\S+)", wrk)
    return {"loadgen": first_line([loadgen, "--version"]), "wrk": m.group(1) if m else wrk,
            "nginx": nginx_version()}


def preflight(loadgen: str) -> list:
    return preflight_common(loadgen, (("nginx", "nginx-light"), ("wrk", "wrk")))
