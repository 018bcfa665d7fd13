#!/usr/bin/python3
"""An HTTP/1.1 server that misbehaves on purpose, for loadgen's fault tests (HTTPFaultServer.swift starts it).

Modes:
  reset   answers every request with 200 "ok", except every --every-th request (counted across connections, from
          1), which gets the status line, headers announcing --body bytes and only --partial of them; then the
          socket is closed with SO_LINGER 0, so the kernel sends RST instead of FIN.
  silent  reads requests and never answers.
  drop    answers every request with 200 "ok", except every --every-th request (counted across connections, from
          1): it is read and the connection closed cleanly (FIN) without an answer and without having said
          `Connection: close` — a keep-alive connection the server gave up just as the request arrived.

One line per fact goes to --log, flushed at once, so the test reads the server's side of every count:
  accept CONN
  ok N CONN PATH        a full response to request N (the N-th request the server read)
  reset N CONN PATH     request N was answered in part and the connection reset
  recv N CONN PATH      request N was read and left unanswered (silent)
  drop N CONN PATH      request N was read and its connection closed without an answer (drop)
  eof CONN              the client closed the connection
"""
import socket
import socketserver
import struct
import time

from fault_server_common import log, next_number, parser, receive, serve


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        conn = next_number("connection")
        log(f"accept {conn}")
        buffered = b""
        while True:
            while b"\r\n\r\n" not in buffered:
                data = receive(self.request)
                if not data:
                    log(f"eof {conn}")
                    return
                buffered += data
            head, buffered = buffered.split(b"\r\n\r\n", 1)
            path = head.split(b"\r\n", 1)[0].split(b" ")[1].decode("latin-1")
            if not self.answer(next_number("request"), conn, path):
                return

    def answer(self, number, conn, path):
        """Answers request `number`; False when the connection is gone."""
        if ARGS.mode == "silent":
            log(f"recv {number} {conn} {path}")
            return True
        if ARGS.mode == "drop" and number % ARGS.every == 0:
            self.request.shutdown(socket.SHUT_RDWR)
            log(f"drop {number} {conn} {path}")
            return False
        if number % ARGS.every != 0:
            self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok")
            log(f"ok {number} {conn} {path}")
            return True
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {ARGS.body}\r\nContent-Type: text/plain\r\n\r\n".encode()
        self.request.sendall(head + b"x" * ARGS.partial)
        time.sleep(0.02)  # the part is on the client's side before the reset
        self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.request.close()
        log(f"reset {number} {conn} {path}")
        return False



def main():
    global ARGS
    arguments = parser(["reset", "silent", "drop"])
    arguments.add_argument("--every", type=int, default=10)
    arguments.add_argument("--body", type=int, default=1000)
    arguments.add_argument("--partial", type=int, default=100)
    ARGS = arguments.parse_args()
    serve(ARGS, Handler)


if __name__ == "__main__":
    main()
