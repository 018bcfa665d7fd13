#!/usr/bin/env python3
"""A scriptable DNS server of the test suite's own: UDP and TCP on 127.0.0.1:PORT, one mode per run.

Modes (--mode):
  normal          answer every query: NOERROR, one A record 192.0.2.1
  twice           answer every UDP query twice (the same answer)
  tc              over UDP answer with TC set and no records; over TCP answer normally
  servfail        answer with rcode SERVFAIL
  refused         answer with rcode REFUSED
  delay           answer after --delay seconds
  wrong-id        answer with the query's ID + 0x8000 (an ID no query in flight has)
  wrong-question  answer with the question name replaced by wrong.example.test
Over TCP, --close-after N closes each connection after answering its first N queries (as dnsmasq does after
about 100); queries read after those go unanswered.

Every query received and every action taken is one JSON line in --log: {"t": seconds since start, "event":
"query"|"answer"|"close"|"ready", "proto": "udp"|"tcp", "id": n, "qname": "...", ...}.
"""
import argparse
import heapq
import json
import select
import socket
import struct
import time

START = time.monotonic()


class Log:
    def __init__(self, path):
        self.file = open(path, "a", buffering=1)

    def write(self, event, **fields):
        fields = {"t": round(time.monotonic() - START, 6), "event": event, **fields}
        self.file.write(json.dumps(fields) + "\n")


def parse_question(packet):
    """(id, flags, qname text, question bytes incl. type and class) or None when the packet is not a query."""
    if len(packet) < 12:
        return None
    qid, flags, qdcount = struct.unpack("!HHH", packet[:6])
    if qdcount != 1:
        return None
    labels, i = [], 12
    while i < len(packet) and packet[i] != 0:
        n = packet[i]
        labels.append(packet[i + 1:i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    end = i + 5
    if end > len(packet):
        return None
    return qid, flags, ".".join(labels), packet[12:end]


def encode_name(text):
    out = b""
    for label in text.split("."):
        if label:
            out += bytes([len(label)]) + label.encode("ascii")
    return out + b"\x00"


def build_answer(qid, flags, question, rcode=0, tc=False, with_record=True):
    # QR, opcode and RD from the query, AA set.
    out_flags = 0x8000 | (flags & 0x7900) | 0x0400 | (rcode & 0xF)
    if tc:
        out_flags |= 0x0200
    ancount = 1 if with_record and rcode == 0 and not tc else 0
    header = struct.pack("!HHHHHH", qid, out_flags, 1, ancount, 0, 0)
    body = question
    if ancount:
        body += struct.pack("!HHHIH", 0xC00C, 1, 1, 300, 4) + socket.inet_aton("192.0.2.1")
    return header + body


class Server:
    def __init__(self, args, log):
        self.args = args
        self.log = log
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", args.port))
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", args.port))
        self.listener.listen(128)
        self.conns = {}  # socket -> state dict
        self.next_conn = 0
        self.delayed = []  # heap of (due, seq, send function args)
        self.seq = 0

    def answers_for(self, proto, qid, flags, qname, question):
        """The (packet, kind) pairs to send for one query, by mode."""
        mode = self.args.mode
        if mode == "servfail":
            return [(build_answer(qid, flags, question, rcode=2), "servfail")]
        if mode == "refused":
            return [(build_answer(qid, flags, question, rcode=5), "refused")]
        if mode == "tc" and proto == "udp":
            return [(build_answer(qid, flags, question, tc=True), "truncated")]
        if mode == "wrong-id":
            return [(build_answer((qid + 0x8000) & 0xFFFF, flags, question), "wrong_id")]
        if mode == "wrong-question":
            wrong = encode_name("wrong.example.test") + question[-4:]
            return [(build_answer(qid, flags, wrong), "wrong_question")]
        answer = build_answer(qid, flags, question)
        if mode == "twice" and proto == "udp":
            return [(answer, "normal"), (answer, "duplicate")]
        return [(answer, "normal")]

    def handle(self, proto, packet, reply, conn=None):
        parsed = parse_question(packet)
        if parsed is None:
            self.log.write("bad_query", proto=proto, length=len(packet))
            return
        qid, flags, qname, question = parsed
        self.log.write("query", proto=proto, id=qid, qname=qname, conn=conn)
        delay = self.args.delay if self.args.mode == "delay" else 0
        for answer, kind in self.answers_for(proto, qid, flags, qname, question):
            if delay > 0:
                self.seq += 1
                heapq.heappush(self.delayed, (time.monotonic() + delay, self.seq, reply, answer, proto, kind, conn))
            else:
                self.send(reply, answer, proto, kind, conn)

    def send(self, reply, answer, proto, kind, conn):
        try:
            reply(answer)
        except OSError as error:
            self.log.write("send_failed", proto=proto, conn=conn, error=str(error))
            return
        qid, flags = struct.unpack("!HH", answer[:4])
        self.log.write("answer", proto=proto, id=qid, rcode=flags & 0xF, tc=bool(flags & 0x0200), kind=kind,
                       conn=conn)

    def read_udp(self):
        packet, peer = self.udp.recvfrom(4096)
        self.handle("udp", packet, lambda data: self.udp.sendto(data, peer))

    def accept(self):
        sock, _ = self.listener.accept()
        self.next_conn += 1
        self.conns[sock] = {"id": self.next_conn, "buffer": b"", "answered": 0}
        self.log.write("accept", proto="tcp", conn=self.next_conn)

    def read_tcp(self, sock):
        state = self.conns[sock]
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            self.log.write("peer_closed", proto="tcp", conn=state["id"])
            self.drop(sock)
            return
        state["buffer"] += data
        while len(state["buffer"]) >= 2:
            length = struct.unpack("!H", state["buffer"][:2])[0]
            if len(state["buffer"]) < 2 + length:
                break
            packet, state["buffer"] = state["buffer"][2:2 + length], state["buffer"][2 + length:]
            limit = self.args.close_after
            if limit and state["answered"] >= limit:
                parsed = parse_question(packet)
                self.log.write("query", proto="tcp", id=parsed[0] if parsed else None, conn=state["id"],
                               unanswered=True)
                continue
            self.handle("tcp", packet, lambda answer: sock.sendall(struct.pack("!H", len(answer)) + answer),
                        conn=state["id"])
            state["answered"] += 1
        if self.args.close_after and state["answered"] >= self.args.close_after:
            self.log.write("close", proto="tcp", conn=state["id"], after=state["answered"])
            self.drop(sock)

    def drop(self, sock):
        self.conns.pop(sock, None)
        sock.close()

    def run(self):
        self.log.write("ready", port=self.args.port, mode=self.args.mode)
        while True:
            timeout = None
            if self.delayed:
                timeout = max(0.0, self.delayed[0][0] - time.monotonic())
            readable, _, _ = select.select([self.udp, self.listener] + list(self.conns), [], [], timeout)
            for sock in readable:
                if sock is self.udp:
                    self.read_udp()
                elif sock is self.listener:
                    self.accept()
                elif sock in self.conns:
                    self.read_tcp(sock)
            while self.delayed and self.delayed[0][0] <= time.monotonic():
                _, _, reply, answer, proto, kind, conn = heapq.heappop(self.delayed)
                self.send(reply, answer, proto, kind, conn)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--mode", default="normal",
                        choices=["normal", "twice", "tc", "servfail", "refused", "delay", "wrong-id",
                                 "wrong-question"])
    parser.add_argument("--delay", type=float, default=2.0)
    parser.add_argument("--close-after", type=int, default=0)
    args = parser.parse_args()
    Server(args, Log(args.log)).run()


if __name__ == "__main__":
    main()
