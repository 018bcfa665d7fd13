"""Protocol-independent parts of the peer benchmarks.

A *section* compares loadgen with one peer tool against one server (DNS: knot, loadgen vs dnsperf; HTTP/1.1:
nginx, loadgen vs wrk; HTTP/2: nghttpd and nginx, loadgen vs h2load). A section names

- a server (a context manager that starts it in a fresh network namespace and stops it again),
- two clients (loadgen first, the peer second), each of which turns a `Load` into a command line and parses
  that command's output into `Counts`,
- the loads to measure, and a function that turns the medians into table rows with targets.

`run_section` measures every load with both clients `repeat` times, alternating which client goes first
(a load that only one client can offer, such as an open loop wrk cannot do, names that client in `only`),
and `render_markdown` prints the rows. Client CPU time is the user+sys time of the client process, taken from
os.wait4() (the rusage of exactly that child and whatever it waited for), never a number the tool reports
about itself.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Optional, Protocol, Sequence
from pathlib import Path


@dataclass(frozen=True)
class Load:
    """What to offer the server: closed loop (keep `concurrency` in flight) or open loop (`rate` per second).

    HTTP loads also say over how many `connections` (and, for HTTP/2, how many `streams` per connection); a
    closed HTTP load keeps connections × streams in flight. `seconds` fixes the run length of this load
    (otherwise --seconds), and `only` names the clients that run it (otherwise all)."""

    concurrency: Optional[int] = None
    rate: Optional[float] = None
    connections: Optional[int] = None
    streams: Optional[int] = None
    seconds: Optional[float] = None
    only: Optional[tuple] = None
    # A variant of the same shape that clients run differently (e.g. "handshake": a new TLS connection per request).
    mode: Optional[str] = None

    def __post_init__(self) -> None:
        if (self.concurrency is None) == (self.rate is None):
            raise ValueError("a Load is either closed (concurrency) or open (rate)")

    @property
    def is_open(self) -> bool:
        return self.rate is not None

    @property
    def key(self) -> str:
        key = f"open-{self.rate:g}" if self.is_open else f"closed-{self.concurrency}"
        if self.connections is not None:
            key += f"-c{self.connections}" + (f"x{self.streams}" if self.streams is not None else "")
        if self.mode is not None:
            key += f"-{self.mode}"
        return key

    def runs(self, client: str) -> bool:
        return self.only is None or client in self.only

    def describe(self) -> str:
        if self.connections is not None:
            over = f"{fmt_int(self.connections)} conns" + (f" × {self.streams}" if self.streams is not None else "")
            mode = f", {self.mode}" if self.mode is not None else ""
            if self.is_open:
                return f"open {fmt_int(self.rate)}/s, {over}{mode}"
            return f"closed loop, {over}{mode}"
        if self.is_open:
            return f"open loop at {fmt_int(self.rate)}/s"
        return f"closed loop, {fmt_int(self.concurrency)} in flight"


@dataclass
class Counts:
    """What a client says it did in one run (parsed from its own output)."""

    sent: int
    completed: int
    lost: int  # sent but not answered: timeouts, errors, cancelled
    duration_s: float  # the tool's idea of the run time (the divisor of its rates)
    extra: dict = field(default_factory=dict)  # the tool's other numbers, kept for --json
    problems: list = field(default_factory=list)  # inconsistencies in the tool's own numbers
    # False when the tool does not count what it sent (wrk reports only completed requests): `sent` is then
    # the completed count and the server may well have received more.
    sent_exact: bool = True


@dataclass
class Sample:
    """One run of one client under one load."""

    tool: str
    load: str
    rep: int
    seconds: float  # the run length asked for
    argv: list
    exit_code: Optional[int]
    wall_s: float
    cpu_user_ms: float
    cpu_sys_ms: float
    counts: Optional[Counts]
    error: Optional[str] = None
    max_rss_kb: int = 0  # ru_maxrss of the client process: its peak resident set
    server: dict = field(default_factory=dict)  # the server's counters over this run, e.g. received, dropped
    checks: list = field(default_factory=list)  # anomalies: the tool's own and the server cross-check

    @property
    def ok(self) -> bool:
        return self.error is None and self.counts is not None

    @property
    def cpu_ms(self) -> float:
        return self.cpu_user_ms + self.cpu_sys_ms

    @property
    def cpu_ms_per_1k(self) -> Optional[float]:
        if not self.ok or self.counts.completed == 0:
            return None
        return self.cpu_ms * 1000.0 / self.counts.completed

    @property
    def server_cpu_ms_per_1k(self) -> Optional[float]:
        """The server's CPU time over this run per 1000 answered requests: what this client's traffic cost it."""
        cpu = self.server.get("cpu_ms")
        if not self.ok or cpu is None or self.counts.completed == 0:
            return None
        return cpu * 1000.0 / self.counts.completed

    @property
    def achieved_rate(self) -> Optional[float]:
        """Requests sent per second of the run length asked for (the same divisor for every tool: one tool
        counts the wait for late answers into its run time, another does not)."""
        if not self.ok:
            return None
        return self.counts.sent / self.seconds

    @property
    def throughput(self) -> Optional[float]:
        """Answers received per second of the run length asked for."""
        if not self.ok:
            return None
        return self.counts.completed / self.seconds

    @property
    def max_rss_mb(self) -> Optional[float]:
        return self.max_rss_kb / 1024.0 if self.ok else None

    @property
    def lost_fraction(self) -> Optional[float]:
        if not self.ok or self.counts.sent == 0:
            return None
        return self.counts.lost / self.counts.sent

    def to_json(self) -> dict:
        d = asdict(self)
        d.update(cpu_ms=self.cpu_ms, cpu_ms_per_1k=self.cpu_ms_per_1k, server_cpu_ms_per_1k=self.server_cpu_ms_per_1k,
                 achieved_rate=self.achieved_rate,
                 throughput=self.throughput, lost_fraction=self.lost_fraction)
        return d


class NetnsServer:
    """Context manager for a server a scripts/*-netns.sh helper starts in a namespace: `SCRIPT up NS DIR
    [UP_ARGS...]` on entry, `SCRIPT down NS DIR` on exit (also when starting fails)."""

    script: Path
    subdir: str
    up_args: tuple = ()
    process: str = ""  # the server's command name (/proc/PID/comm), for its CPU time


    def __init__(self, netns: str, workdir: Path) -> None:
        self.netns = netns
        self.dir = workdir / self.subdir

    def __enter__(self):
        try:
            subprocess.run(["bash", str(self.script), "up", self.netns, str(self.dir), *self.up_args], check=True,
                           timeout=60)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        subprocess.run(["bash", str(self.script), "down", self.netns, str(self.dir)], timeout=60)

    def cpu_ms(self) -> Optional[float]:
        """User+sys CPU milliseconds so far of every `process` in this namespace (master and workers alike)."""
        if not self.process:
            return None
        try:
            netns = os.stat(f"/run/netns/{self.netns}").st_ino
        except OSError:
            return None
        ticks = 0
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                if Path(f"/proc/{pid}/comm").read_text().strip() != self.process:
                    continue
                if os.stat(f"/proc/{pid}/ns/net").st_ino != netns:
                    continue
                # Fields 14 and 15 (utime, stime) follow the parenthesised command name.
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])
            except (OSError, IndexError, ValueError):
                continue
        return ticks * 1000.0 / os.sysconf("SC_CLK_TCK")


class Client(Protocol):
    name: str

    def command(self, load: Load, seconds: float) -> list:
        """The argv that offers `load` for `seconds`."""

    def parse(self, stdout: str, stderr: str) -> Counts:
        """The counts from the tool's output; raises ValueError when they cannot be read."""


def loadgen_report(stdout: str) -> dict:
    """loadgen's `--json` report, as both loadgen clients read it: "doc" (the whole document), the counts every
    report has as numbers ("sent", "completed", "timeouts", "errors", "cancelled", "duration_s"), and "problems"
    (the accounting invariant, where it is broken). Raises ValueError when the report cannot be read."""
    try:
        doc = json.loads(stdout)
    except json.JSONDecodeError as e:
        raise ValueError(f"not JSON: {e}") from None
    try:
        sent, completed = int(doc["sent"]), int(doc["completed"])
        timeouts, errors = int(doc["timeouts"]), int(doc["errors"])
        cancelled = int(doc.get("cancelled", 0))
        duration = float(doc["duration_s"])
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"JSON without a usable {e}") from None
    problems = []
    if sent != completed + timeouts + errors + cancelled:
        problems.append(f"invariant broken: sent {sent} != completed {completed} + timeouts {timeouts} "
                        f"+ errors {errors} + cancelled {cancelled}")
    return {"doc": doc, "sent": sent, "completed": completed, "timeouts": timeouts, "errors": errors,
            "cancelled": cancelled, "duration_s": duration, "problems": problems}


@dataclass
class Row:
    """One line of the table: a measurement of loadgen and of the peer, their ratio, and a target."""

    label: str
    subject: str
    peer: str
    ratio: str = ""
    target: str = ""
    verdict: str = ""  # PASS, MISS, or "" when the row has no target


@dataclass
class Section:
    title: str
    server: Callable[[], object]  # returns a context manager; entering it starts the server
    clients: Sequence[Client]  # loadgen first, then the peer
    loads: Sequence[Load]
    rows: Callable[["Results"], list]  # medians -> rows
    # The running server's cumulative counters: "received" (requests it counted) and, where it can tell,
    # "dropped" (datagrams the kernel dropped at a full socket buffer); run_section keeps the deltas.
    server_probe: Optional[Callable[[object], dict]] = None
    notes: Sequence[str] = ()  # printed under the table
    versions: Optional[Sequence[str]] = None  # which of the module's tool versions to print (default all)
    # More checks of one run, after the server's counters are in (appends to sample.checks).
    sample_check: Optional[Callable[["Sample", "Load"], None]] = None
    # The table from the rows, for a section whose rows are not two-tool `Row`s (default: render_markdown).
    render: Optional[Callable[[list], str]] = None


class Results:
    """The samples of one section, with medians per (load, tool)."""

    def __init__(self, section: Section) -> None:
        self.section = section
        self.samples: list = []

    def of(self, load: Load, tool: str) -> list:
        return [s for s in self.samples if s.load == load.key and s.tool == tool and s.ok]

    def median(self, load: Load, tool: str, metric: str) -> Optional[float]:
        values = [getattr(s, metric) for s in self.of(load, tool)]
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else None

    def paired_ratio(self, num: tuple, den: tuple) -> Optional[float]:
        """Median over the rounds of num/den, each a (load, tool, metric) measured in the same round. The two
        runs of a round are back to back, so the ratio is less exposed to a machine that is busier in one round
        than in another than the ratio of the two medians would be."""
        ratios = []
        for rep in sorted({s.rep for s in self.samples}):
            a = self._value(rep, *num)
            b = self._value(rep, *den)
            if a is not None and b:
                ratios.append(a / b)
        return statistics.median(ratios) if ratios else None

    def _value(self, rep: int, load: Load, tool: str, metric: str) -> Optional[float]:
        for s in self.of(load, tool):
            if s.rep == rep:
                return getattr(s, metric)
        return None


def run_measured(argv: list, limit_s: float) -> tuple:
    """Runs argv to completion, killing it after limit_s seconds; returns
    (exit_code, wall_s, user_ms, sys_ms, stdout, stderr, error, max_rss_kb)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        try:
            pid = _spawn(argv, out, err)
        except OSError as e:
            return None, 0.0, 0.0, 0.0, "", "", f"cannot start {argv[0]}: {e}", 0
        error = None
        try:
            reaped = _wait(pid, start + limit_s)
            if reaped is None:
                error = f"still running after {limit_s:.0f} s: stopped it"
                reaped = _stop(pid)
        except BaseException:
            # Ctrl-C or SIGTERM while the client runs: stop it before unwinding.
            _stop(pid)
            raise
        wall = time.monotonic() - start
        status, usage = reaped
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    return (os.waitstatus_to_exitcode(status), wall, usage.ru_utime * 1000.0, usage.ru_stime * 1000.0,
            stdout, stderr, error, usage.ru_maxrss)


def _spawn(argv: list, out, err) -> int:
    """fork + exec with stdout and stderr into the given files. The child gets a process group of its own, so
    a Ctrl-C at the terminal reaches only this script, which then stops the child (see _stop)."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setpgid(0, 0)
            devnull = os.open(os.devnull, os.O_RDONLY)
            os.dup2(devnull, 0)
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.execvp(argv[0], argv)
        except BaseException as e:  # noqa: BLE001 — report, then leave without Python's clean-up
            try:
                os.write(2, f"exec {argv[0]}: {e}\n".encode())
            finally:
                os._exit(127)
    try:
        os.setpgid(pid, pid)  # also from here, so the group exists before any killpg
    except OSError:
        pass
    return pid


def _wait(pid: int, deadline: float):
    """(status, rusage) once pid has exited, or None at the deadline."""
    while True:
        wpid, status, usage = os.wait4(pid, os.WNOHANG)
        if wpid == pid:
            return status, usage
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.02)


def _stop(pid: int):
    """SIGTERM to the child's process group, SIGKILL 3 s later; returns (status, rusage)."""
    for sig, grace in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            pass
        reaped = _wait(pid, time.monotonic() + grace)
        if reaped is not None:
            return reaped
    raise RuntimeError(f"process {pid} survived SIGKILL")


def measure(client: Client, load: Load, seconds: float, rep: int, limit_s: float) -> Sample:
    argv = client.command(load, seconds)
    code, wall, user, sys_ms, stdout, stderr, error, max_rss_kb = run_measured(argv, limit_s)
    counts = None
    if error is None and code != 0:
        error = f"exit status {code}: {_tail(stderr or stdout)}"
    if error is None:
        try:
            counts = client.parse(stdout, stderr)
        except ValueError as e:
            error = f"cannot read its output ({e}): {_tail(stdout + stderr)}"
    sample = Sample(client.name, load.key, rep, seconds, argv, code, wall, user, sys_ms, counts, error,
                    max_rss_kb=max_rss_kb)
    if counts is not None:
        sample.checks.extend(counts.problems)
    return sample


def _tail(text: str, lines: int = 3) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()][-lines:]
    return " | ".join(kept) if kept else "(no output)"


def run_section(section: Section, seconds: float, repeat: int, timeout_s: float, pause_s: float,
                log=sys.stderr) -> Results:
    results = Results(section)
    with section.server() as server:
        for rep in range(repeat):
            for i, load in enumerate(section.loads):
                order = [c for c in section.clients if load.runs(c.name)]
                if (rep + i) % 2 == 1:
                    order.reverse()
                length = load.seconds or seconds
                limit = length + timeout_s + 30.0
                for client in order:
                    before = probe_server(section, server)
                    sample = measure(client, load, length, rep, limit)
                    if before:
                        after = probe_server(section, server)
                        sample.server = {k: after[k] - before[k] for k in after if k in before}
                        cross_check(sample)
                    if section.sample_check:
                        section.sample_check(sample, load)
                    results.samples.append(sample)
                    print(f"  [{rep + 1}/{repeat}] {load.describe():<30} {client.name:<8} {summary(sample)}",
                          file=log, flush=True)
                    time.sleep(pause_s)
    return results


def probe_server(section: Section, server) -> dict:
    """The section's server counters plus the server's CPU time ("cpu_ms"), where either is known."""
    counters = dict(section.server_probe(server)) if section.server_probe else {}
    cpu = server.cpu_ms() if isinstance(server, NetnsServer) else None
    if cpu is not None:
        counters["cpu_ms"] = cpu
    return counters


def cross_check(s: Sample) -> None:
    """Every answer needs a request the server received, and the server cannot receive more than was sent."""
    received = s.server.get("received")
    if not s.ok or received is None:
        return
    c = s.counts
    if received < c.completed:
        s.checks.append(f"{c.completed:,} completed but the server received only {received:,}")
    if received > c.sent and c.sent_exact:
        s.checks.append(f"the server received {received:,} but only {c.sent:,} were sent")


def summary(s: Sample) -> str:
    if not s.ok:
        return f"FAILED: {s.error}"
    c = s.counts
    text = (f"sent {c.sent:,}  completed {c.completed:,}  lost {c.lost:,}  "
            f"{fmt_int(s.throughput)} answers/s  CPU {s.cpu_ms:,.0f} ms = {fmt_float(s.cpu_ms_per_1k, 2)} ms/1k  "
            f"peak RSS {fmt_float(s.max_rss_mb, 1)} MB")
    if s.server:
        text += "  (server: " + ", ".join(f"{k} {v:,}" for k, v in s.server.items()) + ")"
    if s.checks:
        text += "  !! " + "; ".join(s.checks)
    return text


# Formatting ------------------------------------------------------------------------------------------------

def fmt_int(v: Optional[float]) -> str:
    return "n/a" if v is None else f"{v:,.0f}"


def fmt_float(v: Optional[float], digits: int = 2) -> str:
    return "n/a" if v is None else f"{v:,.{digits}f}"


def fmt_ratio(ratio: Optional[float]) -> str:
    return "n/a" if ratio is None else f"{ratio:.2f}×"


def verdict(ok: Optional[bool]) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "MISS")


def rate_cell(v: Optional[float], requested: float) -> str:
    """An achieved rate and how far it is from the requested one."""
    if v is None:
        return "n/a"
    return f"{v:,.0f} ({(v - requested) / requested * 100:+.2f}%)"


def render_markdown(rows: list, subject: str, peer: str) -> str:
    header = ["measurement", subject, peer, f"{subject} / {peer}", "target", "result"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * 3 + ["---", "---"]) + "|"]
    for r in rows:
        cells = [r.label, r.subject, r.peer, r.ratio, r.target, r.verdict]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def compile_floor(workdir: Path, source: Path, libs: Sequence[str] = ()) -> Path:
    """A floor client (Benchmarks/*floor*.c) compiled into workdir as the C compiler would for a user: -O2,
    every warning an error, linked with libs (e.g. "-lssl")."""
    binary = workdir / source.stem
    p = subprocess.run(["cc", "-O2", "-Wall", "-Wextra", "-Werror", "-o", str(binary), str(source), *libs],
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise RuntimeError(f"cc {source.name} failed:\n{p.stderr.strip()}")
    return binary


# Versions and preflight ------------------------------------------------------------------------------------

def first_line(argv: list) -> str:
    """The first line a command prints (a tool's version), or why it could not run."""
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except OSError as e:
        return f"unavailable ({e.strerror})"
    lines = (p.stdout + p.stderr).strip().splitlines()
    return lines[0].strip() if lines else "?"


def find_tool(tool: str) -> bool:
    return any(os.access(os.path.join(d, tool), os.X_OK)
               for d in os.environ.get("PATH", "").split(":") + ["/usr/sbin", "/sbin"])


def preflight_problems(loadgen: str, tools: tuple, root_for: str = "network namespaces") -> list:
    """Problems that stop a section before it starts: not root (needed for `root_for`), no loadgen binary, or a
    tool of `tools` ((tool, Debian package), ...) not found."""
    problems = []
    if os.geteuid() != 0:
        problems.append(f"needs root ({root_for}); run it with sudo")
    if not os.access(loadgen, os.X_OK):
        problems.append(f"loadgen binary '{loadgen}' is not executable; build it with: make build")
    for tool, package in tools:
        if not find_tool(tool):
            problems.append(f"'{tool}' not found; install the Debian package {package} (make setup)")
    return problems
