#!/usr/bin/env python3
"""Peer benchmarks: loadgen against the established tool for each protocol, on the same server, in one go.

    sudo python3 Benchmarks/run.py --loadgen .build/release/loadgen [--seconds 10] [--repeat 3] [--json FILE]
                                   [--only dns|dnstls|http1|http2|pacing|tls ...]

Sections: DNS (loadgen vs dnsperf, Knot DNS), DNS over TLS and HTTPS (loadgen vs dnsperf, unbound), HTTP/1.1
(loadgen vs wrk, nginx), HTTP/2 (loadgen vs h2load, nghttpd and nginx) and pacing (the floor of
Benchmarks/pacing_floor.c, loadgen in both pacing modes and dnsperf; knot and nginx). For each, starts the server in a network namespace of its own, runs every load with both clients `--repeat` times
(alternating which goes first), prints the medians as a Markdown table with the targets, and removes the
namespace and the server again, also on Ctrl-C or an error. See Benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import sys
import tempfile
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))

import dns_bench  # noqa: E402
import dns_tls_bench  # noqa: E402
import http1_bench  # noqa: E402
import http2_bench  # noqa: E402
import pacing_bench  # noqa: E402
import tls_bench  # noqa: E402
from harness import render_markdown, run_section  # noqa: E402


def parse_args(argv: list) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--loadgen", default=".build/release/loadgen", help="the loadgen binary (default: %(default)s)")
    p.add_argument("--seconds", type=float, default=10.0,
                   help="length of each run in seconds (default: 10; whole seconds for the HTTP sections, "
                        "as wrk and h2load take no fractions)")
    p.add_argument("--repeat", type=int, default=3,
                   help="runs of each (load, tool) pair; the table shows medians (default: 3)")
    p.add_argument("--json", metavar="FILE", help="also write every raw number to FILE")
    p.add_argument("--pause", type=float, default=1.0, help="seconds of rest between runs (default: 1)")
    p.add_argument("--only", action="append", choices=sorted(SECTIONS), default=None,
                   help="run only this section (repeatable; default: all)")
    args = p.parse_args(argv)
    if not 1 <= args.seconds <= 600:
        p.error(f"--seconds {args.seconds:g}: use 1 to 600")
    if not 1 <= args.repeat <= 50:
        p.error(f"--repeat {args.repeat}: use 1 to 50")
    if not 0 <= args.pause <= 60:
        p.error(f"--pause {args.pause:g}: use 0 to 60")
    args.only = list(dict.fromkeys(args.only or SECTIONS))
    if any(name.startswith("http") for name in args.only) and args.seconds != int(args.seconds):
        p.error(f"--seconds {args.seconds:g}: the HTTP sections need whole seconds (wrk -d and h2load -D take no "
                "fractions)")
    return args


# Each section module has preflight(loadgen) -> [problems], versions(loadgen) -> {tool: version} and
# make_section(loadgen, netns, workdir) -> harness.Section, or make_sections(...) -> [harness.Section] when it
# compares against more than one server (HTTP/2: nghttpd and nginx, each in a namespace of its own).
SECTIONS = {"dns": dns_bench, "dnstls": dns_tls_bench, "http1": http1_bench, "http2": http2_bench,
            "pacing": pacing_bench, "tls": tls_bench}


def make_sections(module, loadgen: str, netns: str, workdir: Path) -> list:
    if hasattr(module, "make_sections"):
        return module.make_sections(loadgen, netns, workdir)
    return [module.make_section(loadgen, netns, workdir)]


def _terminated(signum, frame):
    raise SystemExit(128 + signum)


def main(argv: list) -> int:
    args = parse_args(argv)
    loadgen = os.path.abspath(args.loadgen)
    modules = {name: SECTIONS[name] for name in args.only}
    problems = [p for module in modules.values() for p in module.preflight(loadgen)]
    if problems:
        for problem in dict.fromkeys(problems):
            print(f"run.py: {problem}", file=sys.stderr)
        return 1
    # SIGTERM and SIGHUP unwind like Ctrl-C does, through the with/finally blocks that stop the servers.
    signal.signal(signal.SIGTERM, _terminated)
    signal.signal(signal.SIGHUP, _terminated)

    started = datetime.datetime.now().astimezone()
    report = {
        "started": started.isoformat(timespec="seconds"),
        "host": {"kernel": platform.release(), "cpus": os.cpu_count(), "python": platform.python_version()},
        "loadgen": loadgen,
        "seconds": args.seconds,
        "repeat": args.repeat,
        "sections": [],
    }
    tables = []
    failures = 0
    workdir = Path(tempfile.mkdtemp(prefix="loadgen-bench."))
    try:
        for name, module in modules.items():
            versions = module.versions(loadgen)
            section_dir = workdir / name
            section_dir.mkdir()
            all_versions = versions
            for section in make_sections(module, loadgen, f"loadgen-bench-{os.getpid()}-{name}", section_dir):
                versions = {k: v for k, v in all_versions.items() if section.versions is None or k in section.versions}
                runs = sum(1 for load in section.loads for c in section.clients if load.runs(c.name))
                print(f"== {section.title}: {len(section.loads)} loads, {runs} tool runs per round × "
                      f"{args.repeat} × {args.seconds:g} s", file=sys.stderr, flush=True)
                results = run_section(section, args.seconds, args.repeat, timeout_s=5.0, pause_s=args.pause)
                rows = section.rows(results)
                report["sections"].append({
                    "name": name,
                    "title": section.title,
                    "versions": versions,
                    "rows": [vars(r) for r in rows],
                    "samples": [s.to_json() for s in results.samples],
                })
                failures += sum(1 for s in results.samples if not s.ok)
                tables.append(render_section(section, results, rows, versions, started, args))
    except KeyboardInterrupt:
        print("\nrun.py: interrupted; the namespaces and servers were removed", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
        print(f"raw numbers written to {args.json}", file=sys.stderr)
    print("\n\n".join(tables))
    return 1 if failures else 0


def render_section(section, results, rows, versions, started, args) -> str:
    tools = ", ".join(f"{tool} {version}" for tool, version in versions.items())
    lines = [
        f"### {section.title}",
        "",
        f"{started:%Y-%m-%d}, {os.cpu_count()} CPUs, Linux {platform.release()}; {tools}. "
        f"Medians of {args.repeat} run{'s' if args.repeat != 1 else ''} of {args.seconds:g} s per tool and load; "
        f"CPU = user+sys of the client process.",
        "",
        section.render(rows) if section.render else render_markdown(rows, *(c.name for c in section.clients[:2])),
    ]
    if section.notes:
        lines += [""] + [f"Note: {note}" for note in section.notes]
    failed = [s for s in results.samples if not s.ok]
    flagged = [s for s in results.samples if s.ok and s.checks]
    if failed or flagged:
        lines += ["", "Problems seen during the runs:"]
        lines += [f"- {s.tool}, {s.load}, run {s.rep + 1}: FAILED: {s.error}" for s in failed]
        lines += [f"- {s.tool}, {s.load}, run {s.rep + 1}: " + "; ".join(s.checks) for s in flagged]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
