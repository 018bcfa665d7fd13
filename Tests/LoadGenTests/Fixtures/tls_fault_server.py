#!/usr/bin/python3
"""A server on a TLS port that breaks the handshake on purpose, for loadgen's TLS fault tests (HTTPFaultServer.swift
starts it). It never completes a handshake: it reads the client's first flight and then

Modes:
  close   closes the connection cleanly (FIN) once the ClientHello arrived: a server that closes mid-handshake.
  stall   keeps the connection open and never answers: a handshake that never finishes (connect timeout).
  alert   answers with a fatal TLS alert record, handshake_failure (40), and closes.

One line per fact goes to --log, flushed at once:
  accept CONN
  hello CONN BYTES      a TLS handshake record (content type 22) arrived: BYTES read
  notls CONN BYTES      the first bytes were not a TLS handshake record
  close CONN / stall CONN / alert CONN
  eof CONN              the client closed the connection
"""
import socketserver
import time

from fault_server_common import log, next_number, parser, receive, serve

# A TLS 1.2 record: content type alert (21), version 3.3, length 2, level fatal (2), handshake_failure (40).
ALERT = bytes([21, 3, 3, 0, 2, 2, 40])


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        conn = next_number("connection")
        log(f"accept {conn}")
        data = receive(self.request)
        if not data:
            log(f"eof {conn}")
            return
        log(f"{'hello' if data[0] == 22 else 'notls'} {conn} {len(data)}")
        if ARGS.mode == "close":
            log(f"close {conn}")
            return
        if ARGS.mode == "alert":
            self.request.sendall(ALERT)
            log(f"alert {conn}")
            time.sleep(0.05)
            return
        log(f"stall {conn}")
        while receive(self.request):
            pass
        log(f"eof {conn}")


def main():
    global ARGS
    ARGS = parser(["close", "stall", "alert"]).parse_args()
    serve(ARGS, Handler)


if __name__ == "__main__":
    main()
