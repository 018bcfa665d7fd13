"""The fixture server of the tcp and udp kind tests: one process, one thread, non-blocking sockets on
127.0.0.1:--port, a log of one line per fact (unbuffered) and a counters line (rewritten every 50 ms and at exit)
in --counts, so a test can hold loadgen's numbers against the server's side of the story.

TCP (--proto tcp) modes:
  accept  accept, read until the client closes, close (logs `accept PEER` and `closed PEER BYTES`)
  reply   accept, read until --recv bytes arrived, write --reply bytes, then as accept (logs `replied PEER`)
  reset   accept and close at once with an RST (SO_LINGER 0; logs `reset PEER`)
UDP (--proto udp) modes, every datagram counted in `received`:
  sink    read and drop
  echo    send each datagram back, except: every --drop-every-th dropped, every --dup-every-th sent twice,
          every --truncate-every-th cut to half its length, and after every --foreign-every-th a datagram of
          --foreign-size random bytes (each counted); with --delay-ms, each echo leaves that many milliseconds
          after its datagram arrived (a server that answers late)
"""
import argparse
import collections
import os
import selectors
import signal
import socket
import struct
import sys
import time

counts = {}
log_file = None
# Echoes held back by --delay-ms: (due on the monotonic clock, bytes, address), in the order they fall due.
delayed = collections.deque()


def count(name, n=1):
    counts[name] = counts.get(name, 0) + n


def log(line):
    log_file.write(line + "\n")


def write_counts(path):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(" ".join(f"{k}={v}" for k, v in sorted(counts.items())) + "\n")
    os.replace(tmp, path)


def peer_text(address):
    return f"{address[0]}:{address[1]}"


def serve_tcp(args, sel, listener):
    conns = {}

    def close(sock, state):
        sel.unregister(sock)
        log(f"closed {state['peer']} {state['got']}")
        count("closed")
        sock.close()
        del conns[sock]

    def on_accept(_):
        for _ in range(256):
            try:
                sock, address = listener.accept()
            except BlockingIOError:
                return
            peer = peer_text(address)
            count("accepted")
            log(f"accept {peer}")
            if args.mode == "reset":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.close()
                count("reset")
                log(f"reset {peer}")
                continue
            sock.setblocking(False)
            state = {"peer": peer, "got": 0, "replied": False}
            conns[sock] = state
            sel.register(sock, selectors.EVENT_READ, ("conn", state))
            if args.mode == "reply" and args.recv == 0:
                reply(sock, state)

    def reply(sock, state):
        try:
            sock.sendall(b"r" * args.reply)
        except OSError:
            return
        state["replied"] = True
        count("replied")
        log(f"replied {state['peer']}")

    def on_data(sock, state):
        try:
            data = sock.recv(65536)
        except (ConnectionError, OSError):
            data = b""
        if not data:
            close(sock, state)
            return
        state["got"] += len(data)
        count("bytes", len(data))
        if args.mode == "reply" and not state["replied"] and state["got"] >= args.recv:
            reply(sock, state)

    return on_accept, on_data


def serve_udp(args, sock):
    n = 0

    def on_datagram(_):
        nonlocal n
        for _ in range(1024):
            try:
                data, address = sock.recvfrom(70000)
            except BlockingIOError:
                return
            n += 1
            count("received")
            if args.mode == "sink":
                continue
            if args.drop_every and n % args.drop_every == 0:
                count("dropped")
                continue
            out = data
            if args.truncate_every and n % args.truncate_every == 0:
                out = data[: len(data) // 2]
                count("truncated")
            copies = 2 if args.dup_every and n % args.dup_every == 0 else 1
            if copies == 2:
                count("duplicated")
            for _ in range(copies):
                if args.delay_ms:
                    delayed.append((time.monotonic() + args.delay_ms / 1000, out, address))
                    continue
                sock.sendto(out, address)
                count("echoed")
            if args.foreign_every and n % args.foreign_every == 0:
                sock.sendto(os.urandom(args.foreign_size), address)
                count("foreign")

    return on_datagram


def send_due(sock):
    """The delayed echoes whose time has come."""
    now = time.monotonic()
    while delayed and delayed[0][0] <= now:
        _, out, address = delayed.popleft()
        sock.sendto(out, address)
        count("echoed")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--proto", choices=["tcp", "udp"], required=True)
    p.add_argument("--mode", choices=["accept", "reply", "reset", "sink", "echo"], required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--host", default="127.0.0.1", help="the address to listen on (an IPv6 literal such as ::1 too)")
    p.add_argument("--log", required=True)
    p.add_argument("--counts", required=True)
    p.add_argument("--recv", type=int, default=0)
    p.add_argument("--reply", type=int, default=0)
    for name in ["drop-every", "dup-every", "truncate-every", "foreign-every"]:
        p.add_argument("--" + name, type=int, default=0)
    p.add_argument("--foreign-size", type=int, default=64)
    p.add_argument("--delay-ms", type=int, default=0)
    args = p.parse_args()
    global log_file
    log_file = open(args.log, "a", buffering=1)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    sel = selectors.DefaultSelector()
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    if args.proto == "tcp":
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((args.host, args.port))
        listener.listen(4096)
        listener.setblocking(False)
        on_accept, on_data = serve_tcp(args, sel, listener)
        sel.register(listener, selectors.EVENT_READ, ("listen", None))
    else:
        sock = socket.socket(family, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)  # SO_RCVBUFFORCE: room for bursts at high rates
        sock.bind((args.host, args.port))
        sock.setblocking(False)
        on_datagram = serve_udp(args, sock)
        sel.register(sock, selectors.EVENT_READ, ("udp", None))
    write_counts(args.counts)
    last = time.monotonic()
    while not stop:
        timeout = 0.05 if not delayed else min(0.05, max(0.0, delayed[0][0] - time.monotonic()))
        for key, _ in sel.select(timeout):
            kind, state = key.data
            if kind == "listen":
                on_accept(key.fileobj)
            elif kind == "conn":
                on_data(key.fileobj, state)
            else:
                on_datagram(key.fileobj)
        if delayed:
            send_due(sock)
        if time.monotonic() - last >= 0.05:
            write_counts(args.counts)
            last = time.monotonic()
    write_counts(args.counts)


if __name__ == "__main__":
    sys.exit(main())
