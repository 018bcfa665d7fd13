"""HTTP/2 sections: loadgen vs h2load over h2c (prior knowledge), against nghttpd and against nginx, each in a
fresh network namespace of its own.

Both clients fetch / (a static 612-byte index.html) over the same number of connections and streams per
connection (10 × 100): loadgen with --netns (one thread), h2load under `ip netns exec` with its default one
thread. `ip netns exec` execs h2load in place, so the rusage of that process is h2load's. h2load has no
request-rate option (its --rate is connections per second), so the open-loop load is loadgen's alone.
"""
from __future__ import annotations

import re
from pathlib import Path

from harness import Counts, Load, Results, Section, first_line
from http_common import (NGHTTPD_URL, NGINX_H2_URL, LoadgenHTTP, NghttpdServer, NginxServer, closed_rows,
                         nginx_version, open_rows, preflight_common)

# The loads, as the issue asks for them.
CLOSED_10X100 = Load(concurrency=1_000, connections=10, streams=100)
OPEN_50K = Load(rate=50_000, connections=10, streams=100, only=("loadgen",))
LOADS = [CLOSED_10X100, OPEN_50K]

PEER_NA = "— (no request rate)"


class H2load:
    name = "h2load"

    def __init__(self, netns: str, url: str) -> None:
        self.netns = netns
        self.url = url

    def command(self, load: Load, seconds: float) -> list:
        if load.is_open:
            raise ValueError("h2load has no request rate")
        # -D takes whole seconds only ("-D 2.5" is a value error); run.py makes --seconds whole.
        return ["ip", "netns", "exec", self.netns, "h2load", f"-c{load.connections}", f"-m{load.streams}",
                "-D", f"{seconds:.0f}", self.url]

    def parse(self, stdout: str, stderr: str) -> Counts:
        fin = re.search(r"finished in ([\d.]+)(us|ms|s), ([\d.]+) req/s", stdout)
        req = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
                        r"(\d+) errored, (\d+) timeout", stdout)
        if fin is None or req is None:
            raise ValueError("no 'finished in ..., X req/s' or 'requests: N total, ...' line")
        total, started, done, succeeded, failed, errored, timeout = map(int, req.groups())
        duration = float(fin.group(1)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0}[fin.group(2)]
        problems = []
        if failed or errored or timeout:
            problems.append(f"h2load: {failed} failed, {errored} errored, {timeout} timeout")
        if succeeded != done:
            problems.append(f"h2load: {done - succeeded} of {done} done requests did not succeed (not 2xx)")
        # `started` counts the streams opened; those still open when the duration ends are not `done`.
        return Counts(sent=started, completed=done, lost=started - done, duration_s=duration,
                      extra={"requests_per_sec": float(fin.group(3)), "total": total, "succeeded": succeeded,
                             "failed": failed, "errored": errored, "timeout": timeout},
                      problems=problems)


def _section(title: str, server, subject: LoadgenHTTP, peer: H2load, probe, notes: list, tools: tuple) -> Section:
    return Section(
        title=title,
        server=server,
        clients=[subject, peer],
        loads=LOADS,
        rows=lambda results: http2_rows(results, subject.name, peer.name),
        server_probe=probe,
        notes=notes,
        versions=tools,
    )


def make_sections(loadgen: str, netns: str, workdir: Path) -> list:
    common = ("h2load has no request-rate option (its --rate starts connections), so the open-loop rows are "
              "loadgen's alone.")
    ns_nghttpd, ns_nginx = f"{netns}-nghttpd", f"{netns}-nginx"
    return [
        _section("HTTP/2 (h2c): loadgen vs h2load, nghttpd (1 worker) in a network namespace",
                 lambda: NghttpdServer(ns_nghttpd, workdir),
                 LoadgenHTTP(loadgen, ns_nghttpd, NGHTTPD_URL, http2=True), H2load(ns_nghttpd, NGHTTPD_URL),
                 None, [common, "nghttpd counts nothing, so these runs have no server-side check."],
                 ("loadgen", "h2load", "nghttpd")),
        _section("HTTP/2 (h2c): loadgen vs h2load, nginx (1 worker) in a network namespace",
                 lambda: NginxServer(ns_nginx, workdir),
                 LoadgenHTTP(loadgen, ns_nginx, NGINX_H2_URL, http2=True), H2load(ns_nginx, NGINX_H2_URL),
                 lambda server: server.probe(),
                 [common, "nginx runs with keepalive_requests 1000000, so it sends no GOAWAY during a run."],
                 ("loadgen", "h2load", "nginx")),
    ]


def http2_rows(r: Results, subject: str, peer: str) -> list:
    rows = closed_rows(r, CLOSED_10X100, subject, peer, "closed loop, 10 connections × 100 streams",
                       throughput_target=True)
    rows += open_rows(r, OPEN_50K, subject, "open loop 50,000/s, 10 connections × 100 streams", PEER_NA)
    return rows


def versions(loadgen: str) -> dict:
    def nghttp2(tool: str) -> str:
        text = first_line([tool, "--version"])
        m = re.search(r"nghttp2/(\S+)", text)
        return m.group(1) if m else text

    return {"loadgen": first_line([loadgen, "--version"]), "h2load": nghttp2("h2load"),
            "nghttpd": nghttp2("nghttpd"), "nginx": nginx_version()}


def preflight(loadgen: str) -> list:
    return preflight_common(loadgen, (("nghttpd", "nghttp2-server"), ("h2load", "nghttp2-client"),
                                      ("nginx", "nginx-light")))
