"""What the fault servers share (http1_fault_server.py, h2_fault_server.py): a threaded TCP server on 127.0.0.1,
a log of one line per fact flushed at once, and counters across connections."""
import argparse
import socketserver
import threading

_lock = threading.Lock()
_counters = {}
_log = None


def open_log(path):
    global _log
    _log = open(path, "a", buffering=1)


def log(line):
    with _lock:
        _log.write(line + "\n")
        _log.flush()


def next_number(name):
    """1, 2, 3, ... for each `name` (e.g. "connection", "request"), across threads."""
    with _lock:
        _counters[name] = _counters.get(name, 0) + 1
        return _counters[name]


def receive(sock):
    """What the client sent next (up to 64 KiB); b"" when it closed or reset the connection."""
    try:
        return sock.recv(65536)
    except ConnectionError:
        return b""


def parser(modes):
    """The arguments every fault server takes: --port, --log, --mode (one of `modes`)."""
    result = argparse.ArgumentParser()
    result.add_argument("--port", type=int, required=True)
    result.add_argument("--log", required=True)
    result.add_argument("--mode", choices=modes, required=True)
    return result


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 128


def serve(arguments, handler):
    """Opens the log and serves on 127.0.0.1:--port with `handler` until killed."""
    open_log(arguments.log)
    with Server(("127.0.0.1", arguments.port), handler) as server:
        server.serve_forever()
