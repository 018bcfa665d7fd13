"""What the HTTP/1.1 and HTTP/2 sections share: the servers (nginx, nghttpd) in a fresh network namespace,
the loadgen client for `loadgen http`, and the rows both sections print.

nginx runs through scripts/nginx-netns.sh (bench mode: one worker, no access log, keepalive_requests 1000000,
worker_connections 20000), serving a 612-byte index.html with HTTP/1.1 on 127.0.0.1:8080 and h2c on
127.0.0.1:8081; its stub_status (127.0.0.1:8079) tells how many requests and connections it accepted, which
every run is checked against. nghttpd runs through scripts/nghttpd-netns.sh (h2c on 127.0.0.1:8082, one
worker, the same page); it counts nothing, so its runs have no server-side check.
"""
from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Optional

from harness import (Counts, Load, NetnsServer, Results, Row, first_line, fmt_float, fmt_int, fmt_ratio,
                     loadgen_report, preflight_problems, rate_cell, verdict)

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
NGINX_NETNS = SCRIPTS / "nginx-netns.sh"
NGHTTPD_NETNS = SCRIPTS / "nghttpd-netns.sh"
NGINX_H1_URL = "http://127.0.0.1:8080/"
NGINX_H2_URL = "http://127.0.0.1:8081/"
NGHTTPD_URL = "http://127.0.0.1:8082/"

TARGET_RATE = 0.005  # achieved rate within 0.5% of the requested one
TARGET_CPU = 0.9  # loadgen CPU per 1000 requests at least 10% below the peer's


class NginxServer(NetnsServer):
    """A namespace with nginx (bench mode) on 127.0.0.1:8080 (HTTP/1.1) and :8081 (h2c)."""

    script = NGINX_NETNS
    subdir = "nginx"
    up_args = ("bench",)
    process = "nginx"

    def __init__(self, netns: str, workdir: Path) -> None:
        super().__init__(netns, workdir)
        self.queries = 0  # stub_status requests made so far (each counts as a request and an accept)

    def probe(self) -> dict:
        """Cumulative counters without the status queries themselves: requests nginx received (HTTP/1.1
        requests and HTTP/2 streams alike) and connections it accepted."""
        out = subprocess.run(["bash", str(NGINX_NETNS), "status", self.netns], check=True, capture_output=True,
                             text=True, timeout=30).stdout.split()
        self.queries += 1
        return {"received": int(out[0]) - self.queries, "accepted": int(out[1]) - self.queries}


class NghttpdServer(NetnsServer):
    """A namespace with nghttpd --no-tls on 127.0.0.1:8082 (h2c)."""

    script = NGHTTPD_NETNS
    subdir = "nghttpd"
    process = "nghttpd"


class LoadgenHTTP:
    """`loadgen http [--http2] URL --netns NS -c C [--streams S] --duration Ns --json --quiet [--rate R]`."""

    name = "loadgen"

    def __init__(self, binary: str, netns: str, url: str, http2: bool) -> None:
        self.binary = binary
        self.netns = netns
        self.url = url
        self.http2 = http2

    def command(self, load: Load, seconds: float) -> list:
        argv = [self.binary, "http"] + (["--http2"] if self.http2 else []) + [self.url, "--netns", self.netns]
        argv += ["-c", str(load.connections)]
        if load.streams is not None:
            argv += ["--streams", str(load.streams)]
        argv += ["--duration", f"{seconds:g}s", "--json", "--quiet"]
        if load.is_open:
            argv += ["--rate", f"{load.rate:g}"]
        if load.connections > 1_000:
            # Thousands of connects at start can wait for the listen queue; 3 s (the default) can be too short.
            argv += ["--connect-timeout", "10s"]
        return argv

    def parse(self, stdout: str, stderr: str) -> Counts:
        report = loadgen_report(stdout)
        doc, problems = report["doc"], report["problems"]
        sent, completed, timeouts, errors = report["sent"], report["completed"], report["timeouts"], report["errors"]
        try:
            status = {str(k): int(v) for k, v in (doc.get("status") or {}).items()}
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise ValueError(f"JSON without a usable {e}") from None
        if sum(status.values()) != completed:
            problems.append(f"status counts add up to {sum(status.values())}, not completed {completed}")
        other = {k: v for k, v in status.items() if k != "200"}
        if other:
            problems.append("responses other than 200: " + ", ".join(f"{k} ×{v}" for k, v in sorted(other.items())))
        if errors or timeouts:
            kinds = {k: v for k, v in (doc.get("error_kinds") or {}).items() if v}
            problems.append(f"{errors} errors, {timeouts} timeouts" + (f" ({kinds})" if kinds else ""))
        not_sent = int(doc.get("not_sent") or 0)
        if not_sent:
            problems.append(f"{not_sent:,} due requests were never sent (not_sent)")
        keep = ("achieved_rate", "throughput", "requested_rate", "concurrency", "timeouts", "errors", "cancelled",
                "not_sent", "client_cpu_ms", "cpu_ms_per_1k", "latency_us", "service_time_us", "status",
                "error_kinds", "connect_errors", "connections_opened", "bytes_received", "http2")
        return Counts(sent=sent, completed=completed, lost=sent - completed, duration_s=report["duration_s"],
                      extra={k: doc.get(k) for k in keep}, problems=problems)


def connections_check(sample, connections: int) -> None:
    """For the many-connections load: did loadgen really open them, and did nginx accept them?"""
    if not sample.ok or sample.tool != "loadgen":
        return
    opened = sample.counts.extra.get("connections_opened")
    if opened is not None and opened < connections:
        sample.checks.append(f"only {opened:,} of {connections:,} connections opened")
    accepted = sample.server.get("accepted")
    if accepted is not None and accepted < connections:
        sample.checks.append(f"nginx accepted only {accepted:,} connections")


# Rows ------------------------------------------------------------------------------------------------------

def med(r: Results, load: Load, tool: str, metric: str) -> Optional[float]:
    return r.median(load, tool, metric)


def check(ratio: Optional[float], ok) -> str:
    return verdict(None if ratio is None else ok(ratio))


def closed_rows(r: Results, load: Load, subject: str, peer: str, what: str, throughput_target: bool,
                cpu_target: float = TARGET_CPU) -> list:
    """Requests/s and CPU per 1000 requests of both tools at the same connections (and streams)."""
    q = r.paired_ratio((load, subject, "throughput"), (load, peer, "throughput"))
    c = r.paired_ratio((load, subject, "cpu_ms_per_1k"), (load, peer, "cpu_ms_per_1k"))
    rows = [Row(f"{what}: requests/s (answered)", fmt_int(med(r, load, subject, "throughput")),
                fmt_int(med(r, load, peer, "throughput")), fmt_ratio(q),
                f"≥ 1× {peer}" if throughput_target else "",
                check(q, lambda x: x >= 1.0) if throughput_target else ""),
            Row(f"{what}: client CPU ms / 1000 requests", fmt_float(med(r, load, subject, "cpu_ms_per_1k")),
                fmt_float(med(r, load, peer, "cpu_ms_per_1k")), ratio_near(c, cpu_target),
                f"≤ {cpu_target}× {peer}", check(c, lambda x: x <= cpu_target))]
    server = r.paired_ratio((load, subject, "server_cpu_ms_per_1k"), (load, peer, "server_cpu_ms_per_1k"))
    if server is not None:
        # Why the requests/s differ when the server is the bottleneck: what each client's traffic cost it.
        rows.append(Row(f"{what}: server CPU ms / 1000 requests", fmt_float(med(r, load, subject, "server_cpu_ms_per_1k")),
                        fmt_float(med(r, load, peer, "server_cpu_ms_per_1k")), fmt_ratio(server)))
    return rows


def open_rows(r: Results, load: Load, subject: str, what: str, peer_cell: str) -> list:
    """loadgen alone at a fixed rate: achieved rate, CPU per 1000 requests, and its response-time p50/p99."""
    a = med(r, load, subject, "achieved_rate")
    ok = None if a is None else abs(a - load.rate) <= TARGET_RATE * load.rate
    rows = [Row(f"{what}: achieved rate", rate_cell(a, load.rate), peer_cell, "",
                f"{subject} within ±{TARGET_RATE * 100:g}%", verdict(ok)),
            Row(f"{what}: client CPU ms / 1000 requests", fmt_float(med(r, load, subject, "cpu_ms_per_1k")),
                peer_cell),
            Row(f"{what}: response time p50 / p99 (from the intended send time)", latency_cell(r, load, subject),
                peer_cell)]
    return rows


def ratio_near(ratio: Optional[float], target: float) -> str:
    """The ratio, with a third decimal when two would show the target itself (0.90× that misses 0.9)."""
    if ratio is not None and round(ratio, 2) == target:
        return f"{ratio:.3f}×"
    return fmt_ratio(ratio)


def latency_cell(r: Results, load: Load, tool: str) -> str:
    samples = r.of(load, tool)
    p50 = [s.counts.extra.get("latency_us", {}).get("p50") for s in samples]
    p99 = [s.counts.extra.get("latency_us", {}).get("p99") for s in samples]
    p50 = sorted(v for v in p50 if v is not None)
    p99 = sorted(v for v in p99 if v is not None)
    if not p50 or not p99:
        return "n/a"
    return f"{_ms(p50[len(p50) // 2])} / {_ms(p99[len(p99) // 2])}"


def _ms(us: float) -> str:
    return f"{us / 1000:.2f} ms"


# Versions and preflight ------------------------------------------------------------------------------------

def nginx_version() -> str:
    text = first_line(["nginx", "-v"])
    return text.split("/", 1)[1] if "/" in text else text


def preflight_common(loadgen: str, tools: tuple) -> list:
    return preflight_problems(loadgen, tools + (("ip", "iproute2"), ("ss", "iproute2")))
