"""TLS sections: HTTPS/1.1 and a full handshake per request (loadgen vs wrk), h2 over TLS (loadgen vs h2load),
against the same nginx (1 worker, bench mode) in a fresh network namespace: HTTPS on 127.0.0.1:8443, h2 over TLS
on 127.0.0.1:8444, with the ECDSA P-256 certificate scripts/nginx-netns.sh makes.

Every client skips certificate verification (loadgen -k; wrk and h2load verify nothing), so each pays the same
OpenSSL crypto. The reconnect load sends `Connection: close` (wrk `-H "Connection: close"`, loadgen
`--no-keepalive`): a new TCP connection and TLS handshake per request. wrk resumes its session on every
reconnect (nginx logged $ssl_session_reused "r" for 3,961 of 3,971 wrk requests, 2026-12-05), and so does
loadgen by default, so that pair compares like with like; full handshakes (`--no-tls-resume`) are loadgen's
alone, as wrk cannot be made to do them.

On kept connections each table also runs a floor: the smallest client of loadgen's design in C, one thread and
one epoll set, TLS over memory BIOs, one read(2) per readable event and one SSL_write and write(2) per request
(Benchmarks/tls_floor.c for HTTPS/1.1; Benchmarks/h2_tls_floor.c, with nghttp2 as loadgen and h2load use it, for
h2). Its rows show how far below the peer this design can go on this machine at all (the 0.8× goal asks for less
CPU than the peer's), and how far loadgen is above it.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from harness import Counts, Load, Results, Row, Section, compile_floor, fmt_float, fmt_int, fmt_ratio
from http1_bench import Wrk
from http2_bench import H2load
from http_common import LoadgenHTTP, NginxServer, closed_rows, nginx_version, preflight_common
from harness import first_line

HTTPS_URL = "https://127.0.0.1:8443/"
H2_TLS_URL = "https://127.0.0.1:8444/"

KEEPALIVE_100 = Load(concurrency=100, connections=100)
FLOOR = "floor"
TLS_FLOOR_SOURCE = Path(__file__).resolve().parent / "tls_floor.c"
H2_TLS_FLOOR_SOURCE = Path(__file__).resolve().parent / "h2_tls_floor.c"

RECONNECT_10 = Load(concurrency=10, connections=10, mode="reconnect", only=("loadgen", "wrk"))
FULL_10 = Load(concurrency=10, connections=10, mode="full-handshake", only=("loadgen",))
H2_10X100 = Load(concurrency=1_000, connections=10, streams=100)

TARGET_KEPT = 0.8  # client CPU per 1000 requests on kept connections: at most 0.8× the peer's
TARGET_HANDSHAKE = 1.0  # a TLS connection per request: at most the peer's (the same OpenSSL crypto)


class LoadgenHTTPS(LoadgenHTTP):
    """loadgen over TLS without verification; a connection per request in the reconnect and full-handshake loads."""

    def command(self, load: Load, seconds: float) -> list:
        argv = super().command(load, seconds) + ["-k"]
        if load.mode in ("reconnect", "full-handshake"):
            argv += ["--no-keepalive"]
        if load.mode == "full-handshake":
            argv += ["--no-tls-resume"]
        return argv


class TLSFloor:
    """`ip netns exec NS tls_floor 127.0.0.1:PORT / SECONDS CONNECTIONS` (HTTPS/1.1), or h2_tls_floor with STREAMS
    too (h2 over TLS): responses and the process's CPU from the floor's JSON; the harness measures CPU itself."""

    name = FLOOR

    def __init__(self, binary: Path, netns: str, port: int) -> None:
        self.binary = binary
        self.netns = netns
        self.port = port

    def command(self, load: Load, seconds: float) -> list:
        argv = ["ip", "netns", "exec", self.netns, str(self.binary), f"127.0.0.1:{self.port}", "/", f"{seconds:g}",
                str(load.connections)]
        return argv + ([str(load.streams)] if load.streams is not None else [])

    def parse(self, stdout: str, stderr: str) -> Counts:
        try:
            doc = json.loads(stdout)
            responses, wall = int(doc["responses"]), float(doc["wall_s"])
        except json.JSONDecodeError as e:
            raise ValueError(f"not JSON: {e}") from None
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"floor output without a usable {e}") from None
        # The floor counts responses only: what was in flight when the time was up is not in `sent`.
        return Counts(sent=responses, completed=responses, lost=0, duration_s=wall, sent_exact=False,
                      extra={"cpu_ms": doc.get("cpu_ms")})


class WrkTLS(Wrk):
    def command(self, load: Load, seconds: float) -> list:
        argv = super().command(load, seconds)
        if load.mode == "reconnect":
            argv[-1:-1] = ["-H", "Connection: close"]
        return argv


def floor_rows(r: Results, load: Load, subject: str, peer: str, what: str) -> list:
    """The floor's CPU per 1000 requests against the peer's (the floor in the subject's column), and the subject's
    against the floor's (the floor in the peer's column); each ratio the median of the rounds' ratios."""
    cpu = "cpu_ms_per_1k"
    floor = r.median(load, FLOOR, cpu)
    return [Row(f"{what}: client CPU ms / 1000 requests of the floor (in the {subject} column), against {peer}",
                fmt_float(floor), fmt_float(r.median(load, peer, cpu)),
                fmt_ratio(r.paired_ratio((load, FLOOR, cpu), (load, peer, cpu))), f"({subject}'s goal ≤ {TARGET_KEPT}×)"),
            Row(f"{what}: client CPU ms / 1000 requests of {subject}, against the floor (in the {peer} column)",
                fmt_float(r.median(load, subject, cpu)), fmt_float(floor),
                fmt_ratio(r.paired_ratio((load, subject, cpu), (load, FLOOR, cpu))))]


def rows_http1(r: Results, subject: str, peer: str) -> list:
    what = "HTTPS/1.1 keep-alive, 100 connections"
    rows = closed_rows(r, KEEPALIVE_100, subject, peer, what, throughput_target=False, cpu_target=TARGET_KEPT)
    rows += floor_rows(r, KEEPALIVE_100, subject, peer, what)
    rows += closed_rows(r, RECONNECT_10, subject, peer, "a TLS connection per request (resumed), 10 connections",
                        throughput_target=False, cpu_target=TARGET_HANDSHAKE)
    rows.append(Row("a full TLS handshake per request (--no-tls-resume), 10 connections: requests/s",
                    fmt_int(r.median(FULL_10, subject, "throughput")), "— (wrk resumes)"))
    rows.append(Row("a full TLS handshake per request (--no-tls-resume), 10 connections: client CPU ms / 1000 requests",
                    fmt_float(r.median(FULL_10, subject, "cpu_ms_per_1k")), "— (wrk resumes)"))
    return rows


def rows_h2(r: Results, subject: str, peer: str) -> list:
    what = "h2 over TLS, 10 connections × 100 streams"
    return (closed_rows(r, H2_10X100, subject, peer, what, throughput_target=False, cpu_target=TARGET_KEPT)
            + floor_rows(r, H2_10X100, subject, peer, what))


def make_sections(loadgen: str, netns: str, workdir: Path) -> list:
    verify = "No client verifies the certificate (loadgen -k; wrk and h2load never do; nor does the floor)."
    floor = ("floor: {}, loadgen's design in C (one thread, epoll, TLS over memory BIOs, one read(2) per readable "
             "event, one SSL_write and write(2) per {}), compiled with cc -O2; kept connections only.")
    return [
        Section(title="HTTPS/1.1: loadgen vs wrk, nginx (1 worker, TLS 1.3, ECDSA P-256) in a network namespace",
                server=lambda: NginxServer(netns, workdir),
                clients=[LoadgenHTTPS(loadgen, netns, HTTPS_URL, http2=False), WrkTLS(netns, HTTPS_URL),
                         TLSFloor(compile_floor(workdir, TLS_FLOOR_SOURCE, ("-lssl", "-lcrypto")), netns, 8443)],
                loads=[KEEPALIVE_100, RECONNECT_10, FULL_10],
                rows=lambda results: rows_http1(results, "loadgen", "wrk"),
                server_probe=lambda server: server.probe(),
                notes=[verify, floor.format("Benchmarks/tls_floor.c", "request"), "Reconnect load: wrk -H 'Connection: close' and loadgen --no-keepalive both resume the session "
                       "on each new connection (wrk always does); the full-handshake rows are loadgen's alone."],
                versions=("loadgen", "wrk", "nginx", "openssl")),
        Section(title="h2 over TLS (ALPN): loadgen vs h2load, nginx (1 worker) in a network namespace",
                server=lambda: NginxServer(f"{netns}-h2", workdir),
                clients=[LoadgenHTTPS(loadgen, f"{netns}-h2", H2_TLS_URL, http2=True), H2load(f"{netns}-h2", H2_TLS_URL),
                         TLSFloor(compile_floor(workdir, H2_TLS_FLOOR_SOURCE, ("-lnghttp2", "-lssl", "-lcrypto")),
                                  f"{netns}-h2", 8444)],
                loads=[H2_10X100],
                rows=lambda results: rows_h2(results, "loadgen", "h2load"),
                server_probe=lambda server: server.probe(),
                notes=[verify, floor.format("Benchmarks/h2_tls_floor.c with nghttp2", "batch of frames")],
                versions=("loadgen", "h2load", "nginx", "openssl")),
    ]


def versions(loadgen: str) -> dict:
    wrk = first_line(["wrk", "-v"])
    m = re.search(r"wrk\s+(\S+)", wrk)
    h2 = re.search(r"nghttp2/(\S+)", first_line(["h2load", "--version"]))
    return {"loadgen": first_line([loadgen, "--version"]), "wrk": m.group(1) if m else wrk,
            "h2load": h2.group(1) if h2 else "?", "nginx": nginx_version(), "openssl": first_line(["openssl", "version"])}


def preflight(loadgen: str) -> list:
    return preflight_common(loadgen, (("nginx", "nginx-light"), ("wrk", "wrk"), ("h2load", "nghttp2-client"),
                                      ("openssl", "openssl"), ("cc", "gcc")))
