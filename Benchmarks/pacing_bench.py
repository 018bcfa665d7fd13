"""Pacing section (issue 12, point 1): how close to its intended time each event leaves, next to the floor.

One namespace holds knotd (1 UDP worker, 127.0.0.1:53, from dns_bench) and nginx (bench mode, 127.0.0.1:8080,
from http_common). Per rate, four clients:

- floor: Benchmarks/pacing_floor.c, compiled into the run's temporary directory (`cc -O2 -Wall -Wextra
  -Werror`): one thread, timer slack 1 µs, clock_nanosleep(TIMER_ABSTIME) to each event's intended time, all due
  queries in one sendmmsg. What this machine allows; DNS only.
- floor-http: Benchmarks/pacing_floor_http.c, compiled the same way: the same design as a keep-alive HTTP/1.1
  client over 50 connections (epoll_pwait2 to the next intended time or a response, due requests written before
  responses are read). What this machine allows for HTTP/1.1, with nginx's work and responses on the same CPUs;
  HTTP only.
- loadgen: its default pacing. `loadgen dns` as in the DNS section, `loadgen http -c 50` (keep-alive) at nginx.
- loadgen-batch: the same with `--pacing batch` (the cheap mode), when this loadgen has the option.
- dnsperf: `-Q RATE` as in the DNS section; it reports no schedule lag, so only its CPU is shown. DNS only.

Lag is the floor's own `lag_us` and loadgen's `schedule_lag_us` (actual send − intended); the gap is loadgen's
`latency_us.p50 − service_time_us.p50`; CPU is user+sys of the reaped process (harness.run_measured) per 1000
events *sent*. HTTP rows are held against the DNS floor at the same rate, as issue 12 asks, and shown
against the HTTP/1.1 floor in a row of their own.
"""
from __future__ import annotations

import contextlib
import json
import statistics
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import dns_bench
import http_common
from harness import (Counts, Load, Results, Section, compile_floor, find_tool, first_line, fmt_float, fmt_ratio,
                     loadgen_report, verdict)

FLOOR_SOURCE = Path(__file__).resolve().parent / "pacing_floor.c"
HTTP_FLOOR_SOURCE = Path(__file__).resolve().parent / "pacing_floor_http.c"
FLOOR, LOADGEN, BATCH, DNSPERF = "floor", "loadgen", "loadgen-batch", "dnsperf"
HTTP_FLOOR = "floor-http"
TOOLS = (FLOOR, LOADGEN, BATCH, DNSPERF)
HEADINGS = {FLOOR: "floor", LOADGEN: "loadgen", BATCH: "loadgen --pacing batch", DNSPERF: "dnsperf"}
HTTP_CONNECTIONS = 50

# The loads, as issue 12 asks for them: DNS at 1k, 5k, 20k, 50k/s and HTTP/1.1 at 1k, 5k, 20k/s.
DNS_LOADS = {rate: Load(rate=rate, only=TOOLS) for rate in (1_000, 5_000, 20_000, 50_000)}
HTTP_LOADS = {rate: Load(rate=rate, connections=HTTP_CONNECTIONS, only=(HTTP_FLOOR, LOADGEN, BATCH))
              for rate in (1_000, 5_000, 20_000)}

# Targets (issue 12, "Precision at the physical floor").
TARGET_LAG = 1.25  # loadgen's lag p50 and p99 at most 1.25x the floor's ...
TARGET_LAG_SLACK_US = 10.0  # ... + 10 µs
TARGET_CPU = 1.25  # loadgen's DNS CPU per 1000 at most 1.25x the floor's
TARGET_BATCH_CPU = 0.5  # --pacing batch: DNS CPU per 1000 at 50k/s at most half of dnsperf's
BATCH_CPU_RATE = 50_000


class KnotAndNginx:
    """knotd and nginx in one namespace: knot-netns.sh creates it, nginx-netns.sh joins it (and leaves the
    deleting to knot). Stopped in reverse order, also when the second one fails to start."""

    def __init__(self, netns: str, workdir: Path) -> None:
        self.knot = dns_bench.KnotServer(netns, workdir)
        self.nginx = http_common.NginxServer(netns, workdir)
        self._stack = contextlib.ExitStack()

    def __enter__(self):
        with contextlib.ExitStack() as stack:
            stack.enter_context(self.knot)
            stack.enter_context(self.nginx)
            self._stack = stack.pop_all()
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def probe(self) -> dict:
        """Queries knot received plus requests nginx received (a run moves only one of the two), the datagrams
        dropped at full UDP sockets in the namespace, and the connections nginx accepted."""
        knot, nginx = self.knot.probe(), self.nginx.probe()
        return {"received": knot["received"] + nginx["received"], "dropped": knot["dropped"],
                "accepted": nginx["accepted"]}


class Floor:
    """`ip netns exec NS pacing_floor 127.0.0.1:53 a.example.test RATE SECONDS`."""

    name = FLOOR

    def __init__(self, binary: Path, netns: str) -> None:
        self.binary = binary
        self.netns = netns

    def command(self, load: Load, seconds: float) -> list:
        return ["ip", "netns", "exec", self.netns, str(self.binary), f"{dns_bench.SERVER}:53", dns_bench.QNAME,
                f"{load.rate:.0f}", f"{seconds:g}"]

    def parse(self, stdout: str, stderr: str) -> Counts:
        try:
            doc = json.loads(stdout)
            sent, received = int(doc["sent"]), int(doc["received"])
            lag = {k: float(v) for k, v in doc["lag_us"].items()}
            wall = float(doc["wall_s"])
        except json.JSONDecodeError as e:
            raise ValueError(f"not JSON: {e}") from None
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise ValueError(f"floor output without a usable {e}") from None
        return Counts(sent=sent, completed=received, lost=sent - received, duration_s=wall,
                      extra={"schedule_lag_us": lag, "cpu_ms": doc.get("cpu_ms"),
                             "send_errors": doc.get("send_errors"), "timer_slack_ns": doc.get("timer_slack_ns")})


class HttpFloor(Floor):
    """`ip netns exec NS pacing_floor_http 127.0.0.1:8080 / RATE SECONDS 50`: the floor's JSON, the same keys."""

    name = HTTP_FLOOR

    def command(self, load: Load, seconds: float) -> list:
        return ["ip", "netns", "exec", self.netns, str(self.binary), "127.0.0.1:8080", "/", f"{load.rate:.0f}",
                f"{seconds:g}", str(load.connections)]


class LoadgenPacing:
    """`loadgen dns` (DNS loads, as dns_bench runs it) or `loadgen http -c 50` (HTTP loads, as http_common runs
    it), with its default pacing or with `--pacing MODE`; keeps `schedule_lag_us` from the report."""

    def __init__(self, name: str, binary: str, netns: str, pacing: Optional[str]) -> None:
        self.name = name
        self.pacing = pacing
        self.dns = dns_bench.LoadgenDNS(binary, netns)
        self.http = http_common.LoadgenHTTP(binary, netns, http_common.NGINX_H1_URL, http2=False)

    def command(self, load: Load, seconds: float) -> list:
        argv = (self.http if load.connections is not None else self.dns).command(load, seconds)
        return argv + (["--pacing", self.pacing] if self.pacing else [])

    def parse(self, stdout: str, stderr: str) -> Counts:
        doc = loadgen_report(stdout)["doc"]
        counts = (self.dns if doc.get("kind") == "dns" else self.http).parse(stdout, stderr)
        counts.extra["schedule_lag_us"] = doc.get("schedule_lag_us")
        return counts


def has_pacing_option(loadgen: str) -> bool:
    try:
        p = subprocess.run([loadgen, "dns", "--help"], capture_output=True, text=True, timeout=10)
    except OSError:
        return False
    return "--pacing" in p.stdout + p.stderr


def make_section(loadgen: str, netns: str, workdir: Path) -> Section:
    datafile = workdir / "queries.txt"
    datafile.write_text(f"{dns_bench.QNAME} A\n")
    clients = [Floor(compile_floor(workdir, FLOOR_SOURCE), netns),
               HttpFloor(compile_floor(workdir, HTTP_FLOOR_SOURCE), netns),
               LoadgenPacing(LOADGEN, loadgen, netns, None)]
    notes = [f"floor: Benchmarks/pacing_floor.c (one thread, timer slack 1 µs, clock_nanosleep to each event's "
             f"intended time, due queries in one sendmmsg); dnsperf: `-Q RATE -c 1`, CPU only (it reports no lag); "
             f"HTTP/1.1: `loadgen http -c {HTTP_CONNECTIONS}` keep-alive at nginx, its lag held against the DNS "
             "floor at the same rate (issue 12's goal) and shown against floor-http (Benchmarks/pacing_floor_http.c, "
             f"the floor's design as a keep-alive HTTP/1.1 client on {HTTP_CONNECTIONS} connections).",
             "CPU is user+sys of the client process per 1000 events sent; a ratio in brackets is the median over "
             "the rounds of the ratio within a round. Lag bounds are 1.25× the floor's median + 10 µs."]
    if has_pacing_option(loadgen):
        clients.append(LoadgenPacing(BATCH, loadgen, netns, "batch"))
    else:
        notes.append("this loadgen has no --pacing option: the batch column was not run, and the loadgen column "
                     "is its only pacing.")
    clients.append(dns_bench.Dnsperf(netns, datafile))
    return Section(
        title="Pacing: floor, loadgen (default and --pacing batch) and dnsperf, Knot DNS and nginx in a "
              "network namespace",
        server=lambda: KnotAndNginx(netns, workdir),
        clients=clients,
        loads=list(DNS_LOADS.values()) + list(HTTP_LOADS.values()),
        rows=pacing_rows,
        server_probe=lambda server: server.probe(),
        notes=notes,
        sample_check=rate_check,
        render=render_pacing,
    )


def rate_check(sample, load: Load) -> None:
    """Lag covers only the events sent: say so when a tool sent less than the rate asks for, or lost many."""
    if not sample.ok:
        return
    c, intended = sample.counts, load.rate * sample.seconds
    if c.sent < (1.0 - dns_bench.TARGET_RATE) * intended:
        sample.checks.append(f"sent {c.sent:,} of the {intended:,.0f} the rate asks for")
    if c.sent and c.lost > 0.01 * c.sent:
        sample.checks.append(f"{c.lost:,} of {c.sent:,} unanswered ({c.lost / c.sent:.1%})")


# Measurements ----------------------------------------------------------------------------------------------

def lag_us(quantile: str) -> Callable:
    def value(s) -> Optional[float]:
        v = (s.counts.extra.get("schedule_lag_us") or {}).get(quantile)
        return None if v is None else float(v)
    return value


def gap_us(s) -> Optional[float]:
    response = (s.counts.extra.get("latency_us") or {}).get("p50")
    service = (s.counts.extra.get("service_time_us") or {}).get("p50")
    return None if response is None or service is None else float(response) - float(service)


def cpu_per_1k_sent(s) -> Optional[float]:
    return s.cpu_ms * 1000.0 / s.counts.sent if s.counts.sent else None


def ran(r: Results, tool: str) -> bool:
    return any(c.name == tool for c in r.section.clients)


def median_of(r: Results, load: Load, tool: str, metric: Callable) -> Optional[float]:
    values = [v for v in (metric(s) for s in r.of(load, tool)) if v is not None]
    return statistics.median(values) if values else None


def paired_ratio(r: Results, num: tuple, den: tuple, metric: Callable) -> Optional[float]:
    """Median over the rounds of metric(num) / metric(den), each a (load, tool) measured in the same round."""
    a = {s.rep: metric(s) for s in r.of(*num)}
    b = {s.rep: metric(s) for s in r.of(*den)}
    ratios = [a[rep] / b[rep] for rep in sorted(a.keys() & b.keys()) if a[rep] is not None and b[rep]]
    return statistics.median(ratios) if ratios else None


# Rows ------------------------------------------------------------------------------------------------------

@dataclass
class PacingRow:
    """One line of the pacing table: a measurement of every tool at one load, and the goal it is held to."""

    load: str
    measurement: str
    cells: dict  # tool -> text
    target: str = ""
    verdict: str = ""


def pacing_rows(r: Results) -> list:
    rows = []
    for rate, load in DNS_LOADS.items():
        rows += rate_rows(r, f"DNS {rate:,}/s", load, load)
    for rate, load in HTTP_LOADS.items():
        label = f"HTTP/1.1 {rate:,}/s, {HTTP_CONNECTIONS} conns"
        rows += rate_rows(r, label, load, DNS_LOADS[rate])
        rows.insert(len(rows) - 2, lag_row(r, label, load, load, floor_tool=HTTP_FLOOR))
    return rows


def rate_rows(r: Results, label: str, load: Load, floor_load: Load) -> list:
    return [lag_row(r, label, load, floor_load),
            PacingRow(label, "gap: response − service time p50 (µs)",
                      {t: fmt_us(median_of(r, load, t, gap_us)) for t in (LOADGEN, BATCH) if ran(r, t)}),
            cpu_row(r, label, load)]


def lag_row(r: Results, label: str, load: Load, floor_load: Load, floor_tool: str = FLOOR) -> PacingRow:
    """Lag p50 / p99 of the floor and both loadgen modes; loadgen's default held to 1.25x the floor + 10 µs.
    With floor_tool HTTP_FLOOR: the HTTP/1.1 floor's lag at the same load, in the floor column."""
    def pair(l: Load, tool: str) -> tuple:
        return median_of(r, l, tool, lag_us("p50")), median_of(r, l, tool, lag_us("p99"))

    measurement = "schedule lag p50 / p99 (µs)" + (", against floor-http" if floor_tool == HTTP_FLOOR else "")
    cells = {t: fmt_pair(pair(load, t)) for t in (LOADGEN, BATCH) if ran(r, t)}
    floor = pair(floor_load, floor_tool)
    kind = "HTTP" if floor_tool == HTTP_FLOOR else "DNS"
    cells[FLOOR] = fmt_pair(floor) if floor_load is load and floor_tool == FLOOR else f"({kind}) {fmt_pair(floor)}"
    if None in floor:
        return PacingRow(label, measurement, cells, "", "n/a")
    bound = tuple(TARGET_LAG * f + TARGET_LAG_SLACK_US for f in floor)
    subject = pair(load, LOADGEN)
    ok = None if None in subject else all(s <= b for s, b in zip(subject, bound))
    name = "floor-http" if floor_tool == HTTP_FLOOR else "floor"
    target = f"loadgen ≤ {TARGET_LAG}× {name} + {TARGET_LAG_SLACK_US:g} µs = {fmt_pair(bound)}"
    return PacingRow(label, measurement, cells, target, verdict(ok))


def cpu_row(r: Results, label: str, load: Load) -> PacingRow:
    """CPU per 1000 events of every tool; for DNS, loadgen's default against the floor and, at 50k/s,
    --pacing batch against dnsperf."""
    cells = {t: fmt_float(median_of(r, load, t, cpu_per_1k_sent)) for t in TOOLS if load.runs(t) and ran(r, t)}
    if load.runs(HTTP_FLOOR) and ran(r, HTTP_FLOOR):
        cells[FLOOR] = f"(HTTP) {fmt_float(median_of(r, load, HTTP_FLOOR, cpu_per_1k_sent))}"
    targets, verdicts = [], []
    if load.runs(FLOOR):
        ratio = paired_ratio(r, (load, LOADGEN), (load, FLOOR), cpu_per_1k_sent)
        cells[LOADGEN] += f" ({fmt_ratio(ratio)} floor)"
        targets.append(f"loadgen ≤ {TARGET_CPU}× floor")
        verdicts.append(verdict(None if ratio is None else ratio <= TARGET_CPU))
    if load.rate == BATCH_CPU_RATE and load.runs(DNSPERF):
        targets.append(f"batch ≤ {TARGET_BATCH_CPU}× dnsperf")
        if ran(r, BATCH):
            ratio = paired_ratio(r, (load, BATCH), (load, DNSPERF), cpu_per_1k_sent)
            cells[BATCH] += f" ({fmt_ratio(ratio)} dnsperf)"
            verdicts.append(verdict(None if ratio is None else ratio <= TARGET_BATCH_CPU))
        else:
            verdicts.append("not run")
    return PacingRow(label, "client CPU ms / 1000 sent", cells, "; ".join(targets), "; ".join(verdicts))


# Formatting ------------------------------------------------------------------------------------------------

def fmt_us(v: Optional[float]) -> str:
    return "—" if v is None else f"{v:,.0f}"


def fmt_pair(values: tuple) -> str:
    return " / ".join(fmt_us(v) for v in values)


def render_pacing(rows: list) -> str:
    header = ["load", "measurement"] + [HEADINGS[t] for t in TOOLS] + ["target", "result"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * 2 + ["---:"] * len(TOOLS) + ["---"] * 2) + "|"]
    for row in rows:
        cells = [row.load, row.measurement] + [row.cells.get(t, "—") for t in TOOLS] + [row.target, row.verdict]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


# Versions and preflight ------------------------------------------------------------------------------------

def versions(loadgen: str) -> dict:
    cc = first_line(["cc", "--version"]).split()  # "cc (Debian 12.2.0-14) 12.2.0"
    return {**dns_bench.versions(loadgen), "nginx": http_common.nginx_version(), "cc": cc[-1] if cc else "?"}


def preflight(loadgen: str) -> list:
    problems = dns_bench.preflight(loadgen) + http_common.preflight_common(loadgen, (("nginx", "nginx-light"),))
    for source in (FLOOR_SOURCE, HTTP_FLOOR_SOURCE):
        if not source.is_file():
            problems.append(f"{source} is missing")
    if not find_tool("cc"):
        problems.append("'cc' not found; install the Debian package gcc")
    return problems
