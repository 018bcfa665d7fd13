#!/usr/bin/python3
"""An h2c (prior knowledge) server that misbehaves on purpose, for loadgen's fault tests (HTTPFaultServer.swift
starts it). Built on the `h2` package (Debian's python3-h2).

Modes:
  refuse        every stream is refused with RST_STREAM(REFUSED_STREAM), except every --every-th stream (counted
                across connections, from 1; --every 0: none), which is answered 200 "ok".
  silent        streams are read and never answered.
  goaway-stall  the first connection answers its first batch of streams with GOAWAY(last stream ID 0, NO_ERROR):
                none was processed, all may be retried; it goes on reading (and logging) what the client still
                sends. Every later connection is accepted and then left without the server's SETTINGS, so the
                retries wait.
  goaway-unread every connection sends its SETTINGS, then reads nothing for --stall-ms (the client's writes back
                up), then sends GOAWAY(last stream ID 0, NO_ERROR) and discards what follows: every stream is
                sent back for a retry, and retries land on connections whose writes are still backed up.

One line per fact goes to --log, flushed at once, so the test reads the server's side of every count:
  accept CONN
  ok N CONN STREAM PATH       stream N (the N-th the server saw) answered 200
  refused N CONN STREAM PATH  stream N refused
  recv N CONN STREAM PATH     stream N read and left unanswered (silent, goaway-stall)
  goaway CONN STREAMS         GOAWAY sent after STREAMS streams on CONN
  stall CONN                  a connection left without SETTINGS
  unread CONN BYTES           goaway-unread: BYTES the client sent on CONN after its GOAWAY, until it closed
  eof CONN                    the client closed the connection
  error CONN TEXT             the h2 library rejected what the client sent
"""
import socketserver
import time

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings
import hyperframe.frame

from fault_server_common import log, next_number, parser, serve


def receive(sock):
    try:
        return sock.recv(65536)
    except ConnectionError:
        return b""


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        self.conn = next_number("connection")
        log(f"accept {self.conn}")
        if ARGS.mode == "goaway-stall" and self.conn > 1:
            log(f"stall {self.conn}")
            self.drain()
            return
        if ARGS.mode == "goaway-unread":
            self.goaway_unread()
            return
        config = h2.config.H2Configuration(client_side=False, header_encoding="utf-8", validate_inbound_headers=False)
        self.h2 = h2.connection.H2Connection(config=config)
        self.sent_goaway = False
        self.h2.initiate_connection()
        self.request.sendall(self.h2.data_to_send())
        self.serve()

    def send_goaway(self, streams):
        """GOAWAY(last stream 0, NO_ERROR), written past the h2 state machine so that it goes on reading (and
        logging) the streams the client sends before it sees the GOAWAY."""
        frame = hyperframe.frame.GoAwayFrame(stream_id=0, last_stream_id=0, error_code=0)
        self.request.sendall(frame.serialize())
        self.sent_goaway = True
        log(f"goaway {self.conn} {streams}")

    def goaway_unread(self):
        config = h2.config.H2Configuration(client_side=False)
        connection = h2.connection.H2Connection(config=config)
        connection.update_settings({h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 1000})
        connection.initiate_connection()
        self.request.sendall(connection.data_to_send())
        time.sleep(ARGS.stall_ms / 1000)
        self.send_goaway(0)
        total = 0
        while True:
            data = receive(self.request)
            if not data:
                break
            total += len(data)
        log(f"unread {self.conn} {total}")

    def drain(self):
        """Reads and discards until the client closes."""
        while receive(self.request):
            pass
        log(f"eof {self.conn}")

    def serve(self):
        while True:
            data = receive(self.request)
            if not data:
                log(f"eof {self.conn}")
                return
            try:
                events = self.h2.receive_data(data)
            except h2.exceptions.ProtocolError as error:
                log(f"error {self.conn} {error!r}")
                self.request.sendall(self.h2.data_to_send())
                return
            streams = [event for event in events if isinstance(event, h2.events.RequestReceived)]
            for event in streams:
                self.answer(event)
            self.request.sendall(self.h2.data_to_send())
            if ARGS.mode == "goaway-stall" and streams and not self.sent_goaway:
                self.send_goaway(len(streams))

    def answer(self, event):
        number = next_number("stream")
        stream = event.stream_id
        path = dict(event.headers).get(":path", "")
        where = f"{number} {self.conn} {stream} {path}"
        if ARGS.mode in ("silent", "goaway-stall"):
            log(f"recv {where}")
        elif ARGS.every > 0 and number % ARGS.every == 0:
            self.h2.send_headers(stream, [(":status", "200"), ("content-length", "2")])
            self.h2.send_data(stream, b"ok", end_stream=True)
            log(f"ok {where}")
        else:
            self.h2.reset_stream(stream, error_code=h2.errors.ErrorCodes.REFUSED_STREAM)
            log(f"refused {where}")



def main():
    global ARGS
    arguments = parser(["refuse", "silent", "goaway-stall", "goaway-unread"])
    arguments.add_argument("--every", type=int, default=0)
    arguments.add_argument("--stall-ms", type=int, default=300)
    ARGS = arguments.parse_args()
    serve(ARGS, Handler)


if __name__ == "__main__":
    main()
