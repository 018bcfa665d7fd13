#!/usr/bin/env python3
"""Soak benchmark (issue 9 point 7; not in CI): does a long run stay flat in memory and descriptors, and exact?

    sudo python3 Benchmarks/soak.py --loadgen .build/release/loadgen [--minutes 30] [--only dns|http1 ...]
                                    [--dns-rate 50000] [--http-rate 20000] [--connections 100]
                                    [--sample-every 10] [--warmup 60] [--max-growth-mb 2] [--json FILE]

One soak after the other, each with its server in a fresh network namespace (the same helpers as the peer
benchmarks: Knot DNS through scripts/knot-netns.sh, nginx in bench mode through scripts/nginx-netns.sh):
`loadgen dns` at 50,000 queries/s and `loadgen http` (HTTP/1.1, keep-alive) at 20,000 requests/s, each for
--minutes. While loadgen runs, its resident set (VmRSS of /proc/PID/status) and its open descriptors (the entries
of /proc/PID/fd) are sampled every --sample-every seconds. Each soak prints the samples as a Markdown table and
a verdict:

- flat: after --warmup seconds, VmRSS never grows more than --max-growth-mb above the first sample taken after
  the warm-up, and the descriptor count never rises above that sample's;
- exact: both invariants of loadgen's JSON hold (sent == completed + timeouts + errors + cancelled, intended ==
  sent + not_sent), and the server's side matches: what loadgen sent == what the server received (knot's
  mod-stats, nginx's stub_status) + what the kernel dropped on its way there (UDP receive-buffer overflows in the
  namespace, at the server's socket), and what loadgen completed == what the server received − the answers the
  kernel dropped at loadgen's socket.

A run that could not offer the whole load (events not sent, queries the server's socket dropped: the machine or
the single-worker server did not keep up) says so on a line of its own; that is not a failure of the soak.

Exit status 0 when every soak passed, 1 otherwise, 2 for bad arguments or a missing tool.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Optional

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dns_bench import QNAME, SERVER, KnotServer  # noqa: E402
from harness import _spawn, _stop, fmt_int, loadgen_report, preflight_problems  # noqa: E402
from http_common import NGINX_H1_URL, NginxServer  # noqa: E402


@dataclass
class Sample:
    t_s: float  # seconds since loadgen started
    rss_kb: int
    fds: int
    threads: int


@dataclass
class Soak:
    """One soak: what ran, what was sampled, what the servers and loadgen counted, and the verdict."""

    name: str
    argv: list
    samples: list = field(default_factory=list)
    report: dict = field(default_factory=dict)
    server: dict = field(default_factory=dict)
    exit_code: Optional[int] = None
    wall_s: float = 0.0
    problems: list = field(default_factory=list)
    rss_growth_kb: Optional[int] = None
    fd_growth: Optional[int] = None

    @property
    def passed(self) -> bool:
        return not self.problems


class SoakKnot(KnotServer):
    """knot as the DNS benchmark runs it, whose probe also tells where the kernel dropped datagrams: at knot's own
    socket (queries that never reached knot, from the `drops` column of /proc/net/udp for port 53) or elsewhere in
    the namespace (answers that overflowed loadgen's socket: UdpRcvbufErrors minus the former)."""

    def probe(self) -> dict:
        counts = super().probe()
        pid = (self.dir / "knot.pid").read_text().strip()
        drops = 0
        for line in Path(f"/proc/{pid}/net/udp").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1].endswith(":0035"):
                drops += int(fields[-1])
        return {"received": counts["received"], "dropped": drops, "client_dropped": counts["dropped"] - drops}


def read_sample(pid: int, start: float) -> Optional[Sample]:
    """VmRSS, open descriptors and threads of pid now; None once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        fds = len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    if "VmRSS" not in fields:  # a zombie: exited, not reaped yet
        return None
    return Sample(t_s=round(time.monotonic() - start, 1), rss_kb=int(fields["VmRSS"].split()[0]), fds=fds,
                  threads=int(fields["Threads"]))


def run_sampled(argv: list, every_s: float, limit_s: float) -> tuple:
    """Runs argv, sampling it every every_s seconds; returns (exit code, stdout, stderr, samples, wall seconds).
    A run still going after limit_s is stopped (and fails the soak through its exit code)."""
    samples = []
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        pid = _spawn(argv, out, err)
        reaped = None
        try:
            next_at = start + every_s
            while reaped is None:
                wpid, status, _ = os.wait4(pid, os.WNOHANG)
                if wpid == pid:
                    reaped = status
                    break
                now = time.monotonic()
                if now >= start + limit_s:
                    reaped = _stop(pid)[0]
                    break
                if now >= next_at:
                    sample = read_sample(pid, start)
                    if sample is not None:
                        samples.append(sample)
                    next_at += every_s
                time.sleep(min(0.2, max(0.0, next_at - time.monotonic())))
        except BaseException:
            _stop(pid)
            raise
        wall = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        return (os.waitstatus_to_exitcode(reaped), out.read().decode(errors="replace"),
                err.read().decode(errors="replace"), samples, wall)


def judge_flat(soak: Soak, warmup_s: float, max_growth_kb: int) -> None:
    after = [s for s in soak.samples if s.t_s >= warmup_s]
    if len(after) < 2:
        soak.problems.append(f"fewer than 2 samples after the {warmup_s:g} s warm-up: run longer")
        return
    base = after[0]
    soak.rss_growth_kb = max(s.rss_kb for s in after) - base.rss_kb
    soak.fd_growth = max(s.fds for s in after) - base.fds
    if soak.rss_growth_kb > max_growth_kb:
        soak.problems.append(f"VmRSS grew {soak.rss_growth_kb / 1024:.2f} MB after the warm-up "
                             f"(limit {max_growth_kb / 1024:g} MB)")
    if soak.fd_growth > 0:
        soak.problems.append(f"open descriptors grew by {soak.fd_growth} after the warm-up")


def judge_exact(soak: Soak) -> None:
    """Both invariants of the JSON, and the server's side: every query or request loadgen sent reached the server
    (`received`) or was dropped by the kernel at the server's socket (`dropped`, DNS: its receive buffer was
    full), and loadgen completed exactly what the server received less the answers the kernel dropped on the way
    back (`client_dropped`, DNS: loadgen's receive buffer was full)."""
    doc = soak.report.get("doc", {})
    soak.problems.extend(soak.report.get("problems", []))
    intended, not_sent = doc.get("intended"), doc.get("not_sent")
    sent, completed = soak.report.get("sent"), soak.report.get("completed")
    if intended is None or not_sent is None:
        soak.problems.append("the JSON report has no intended/not_sent")
    elif intended != sent + not_sent:
        soak.problems.append(f"invariant broken: intended {intended} != sent {sent} + not_sent {not_sent}")
    received, dropped = soak.server.get("received"), soak.server.get("dropped", 0)
    client_dropped = soak.server.get("client_dropped", 0)
    if received is None or sent != received + dropped:
        soak.problems.append(f"loadgen sent {sent}, the server received {received} and its socket dropped {dropped}")
    if completed != (received or 0) - client_dropped:
        soak.problems.append(f"loadgen completed {completed}, the server received {received} and {client_dropped} "
                             "answers were dropped on the way back")


def shortfall(soak: Soak) -> list:
    """What kept the run from offering the whole load (not a failure of the soak: the machine or the server did
    not keep up), for the verdict line."""
    doc = soak.report.get("doc", {})
    notes = []
    not_sent = doc.get("not_sent") or 0
    if not_sent:
        reasons = {k: v for k, v in (doc.get("not_sent_reasons") or {}).items() if v}
        notes.append(f"{fmt_int(not_sent)} of {fmt_int(doc.get('intended'))} intended events not sent {reasons}")
    lost = (soak.report.get("sent") or 0) - (soak.report.get("completed") or 0)
    if lost:
        notes.append(f"{fmt_int(lost)} sent but not completed (timeouts {soak.report.get('timeouts')}, errors "
                     f"{soak.report.get('errors')}; the kernel dropped {soak.server.get('dropped', 0)} queries at the server's "
                     f"socket and {soak.server.get('client_dropped', 0)} answers at loadgen's)")
    return notes


def soak_once(name: str, server, argv: list, server_counts: Callable, args) -> Soak:
    soak = Soak(name=name, argv=argv)
    before = server_counts(server)
    limit = args.minutes * 60 + 120
    soak.exit_code, stdout, stderr, soak.samples, soak.wall_s = run_sampled(argv, args.sample_every, limit)
    after = server_counts(server)
    soak.server = {k: after[k] - before[k] for k in after}
    if soak.exit_code != 0:
        soak.problems.append(f"exit status {soak.exit_code}: {stderr.strip()[-500:]}")
    try:
        soak.report = loadgen_report(stdout)
    except ValueError as e:
        soak.problems.append(f"cannot read loadgen's JSON ({e})")
        return soak
    judge_exact(soak)
    judge_flat(soak, args.warmup, int(args.max_growth_mb * 1024))
    return soak


def soak_dns(args, workdir: Path) -> Soak:
    netns = f"lg-soak-dns-{os.getpid()}"
    argv = [args.loadgen, "dns", "--netns", netns, "--server", SERVER, "--name", QNAME,
            "--rate", f"{args.dns_rate:g}", "--duration", f"{args.minutes:g}m", "--json", "--quiet"]
    with SoakKnot(netns, workdir) as knot:
        return soak_once(f"DNS {fmt_int(args.dns_rate)}/s, knot", knot, argv, lambda s: s.probe(), args)


def soak_http1(args, workdir: Path) -> Soak:
    netns = f"lg-soak-http-{os.getpid()}"
    argv = [args.loadgen, "http", NGINX_H1_URL, "--netns", netns, "-c", str(args.connections),
            "--rate", f"{args.http_rate:g}", "--duration", f"{args.minutes:g}m", "--json", "--quiet"]
    with NginxServer(netns, workdir) as nginx:
        return soak_once(f"HTTP/1.1 {fmt_int(args.http_rate)}/s, nginx, {args.connections} keep-alive connections",
                         nginx, argv, lambda s: s.probe(), args)


SOAKS = {"dns": soak_dns, "http1": soak_http1}


def render(soak: Soak, warmup_s: float) -> str:
    lines = [f"## {soak.name}, {soak.wall_s / 60:.1f} min", "", "`" + " ".join(soak.argv) + "`", "",
             "| t (s) | VmRSS (MB) | Δ since warm-up (MB) | open fds | threads |", "|---:|---:|---:|---:|---:|"]
    base = next((s for s in soak.samples if s.t_s >= warmup_s), None)
    for s in soak.samples:
        delta = f"{(s.rss_kb - base.rss_kb) / 1024:+.2f}" if base is not None and s.t_s >= warmup_s else ""
        lines.append(f"| {s.t_s:g} | {s.rss_kb / 1024:.2f} | {delta} | {s.fds} | {s.threads} |")
    doc = soak.report.get("doc", {})
    lines += ["", f"loadgen: intended {fmt_int(doc.get('intended'))}, sent {fmt_int(soak.report.get('sent'))}, "
              f"completed {fmt_int(soak.report.get('completed'))}, timeouts {soak.report.get('timeouts')}, "
              f"errors {soak.report.get('errors')}, not_sent {doc.get('not_sent')}; "
              f"server: {', '.join(f'{k} {fmt_int(v)}' for k, v in soak.server.items())}"]
    if soak.rss_growth_kb is not None:
        lines.append(f"after the {warmup_s:g} s warm-up: VmRSS growth {soak.rss_growth_kb / 1024:.2f} MB, "
                     f"descriptor growth {soak.fd_growth}")
    lines.append(f"achieved {doc.get('achieved_rate')}/s of {doc.get('requested_rate')}/s requested; "
                 f"loadgen CPU {doc.get('cpu_ms_per_1k')} ms per 1000")
    lines.append(f"verdict: {'PASS (flat, exact)' if soak.passed else 'FAIL'}"
                 + ("" if soak.passed else " — " + "; ".join(soak.problems)))
    notes = shortfall(soak)
    if notes:
        lines.append("load not kept up (not a soak failure): " + "; ".join(notes))
    return "\n".join(lines)


def parse_args(argv: list) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--loadgen", default=".build/release/loadgen", help="the loadgen binary (default: %(default)s)")
    p.add_argument("--minutes", type=float, default=30.0, help="length of each soak (default: 30)")
    p.add_argument("--only", action="append", choices=sorted(SOAKS), default=None,
                   help="run only this soak (repeatable; default: all)")
    p.add_argument("--dns-rate", type=float, default=50_000.0, help="DNS queries per second (default: 50000)")
    p.add_argument("--http-rate", type=float, default=20_000.0, help="HTTP/1.1 requests per second (default: 20000)")
    p.add_argument("--connections", type=int, default=100, help="HTTP/1.1 keep-alive connections (default: 100)")
    p.add_argument("--sample-every", type=float, default=10.0, help="seconds between samples (default: 10)")
    p.add_argument("--warmup", type=float, default=60.0,
                   help="seconds before the flatness check starts (default: 60)")
    p.add_argument("--max-growth-mb", type=float, default=2.0,
                   help="most VmRSS growth after the warm-up, in MB (default: 2)")
    p.add_argument("--json", metavar="FILE", help="also write every sample and count to FILE")
    args = p.parse_args(argv)
    if not 0.5 <= args.minutes <= 24 * 60:
        p.error(f"--minutes {args.minutes:g}: use 0.5 to 1440")
    if not 1 <= args.sample_every <= 600:
        p.error(f"--sample-every {args.sample_every:g}: use 1 to 600 seconds")
    if not 0 <= args.warmup < args.minutes * 60 - 2 * args.sample_every:
        p.error(f"--warmup {args.warmup:g}: leave at least two samples after it within --minutes")
    if not 1 <= args.dns_rate <= 1e6 or not 1 <= args.http_rate <= 1e6:
        p.error("--dns-rate and --http-rate: use 1 to 1000000")
    if not 1 <= args.connections <= 10_000:
        p.error(f"--connections {args.connections}: use 1 to 10000")
    args.only = list(dict.fromkeys(args.only or SOAKS))
    return args


def main(argv: list) -> int:
    args = parse_args(argv)
    problems = preflight_problems(args.loadgen, (("knotd", "knot"), ("nginx", "nginx-light"), ("ip", "iproute2")))
    if problems:
        for problem in problems:
            print(f"soak: {problem}", file=sys.stderr)
        return 2
    soaks = []
    with tempfile.TemporaryDirectory(prefix="lg-soak-") as tmp:
        os.chmod(tmp, 0o755)
        for name in args.only:
            print(f"soak: {name} for {args.minutes:g} min ...", file=sys.stderr, flush=True)
            soak = SOAKS[name](args, Path(tmp))
            soaks.append(soak)
            print(render(soak, args.warmup) + "\n", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps([{**asdict(s), "passed": s.passed} for s in soaks], indent=1))
    return 0 if all(s.passed for s in soaks) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
