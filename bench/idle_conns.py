#!/usr/bin/python3
"""Opens N keep-alive HTTP/1.1 connections, completes one request on each, then holds them idle.

Prints "ready open=N failed=M" once every connection has its response (or has failed, or made no
progress for 30 s), then keeps the connections open until SIGTERM or SIGINT. Standard library only.

usage: idle_conns.py HOST PORT [--connections N] [--path /] [--in-flight 256]
"""
import argparse
import errno
import resource
import selectors
import signal
import socket
import sys


class Connection:
    def __init__(self, sock, request):
        self.sock = sock
        self.pending = request  # bytes still to send
        self.received = b""
        self.done = False

    def response_complete(self):
        head, sep, body = self.received.partition(b"\r\n\r\n")
        if not sep:
            return False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                return len(body) >= int(value.strip())
            if name.strip().lower() == b"transfer-encoding" and b"chunked" in value.lower():
                return body.endswith(b"0\r\n\r\n")
        return True  # no body (e.g. 204)


def raise_fd_limit(wanted):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else wanted
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    if target < wanted:
        sys.exit(f"idle_conns: RLIMIT_NOFILE hard limit {hard} is below {wanted}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--connections", type=int, default=10000)
    parser.add_argument("--path", default="/")
    parser.add_argument("--in-flight", type=int, default=256,
                        help="connections being set up at once (keeps the upstream side small)")
    args = parser.parse_args()
    raise_fd_limit(args.connections + 64)

    request = (f"GET {args.path} HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n"
               "User-Agent: causeway-idle-conns\r\n\r\n").encode()
    selector = selectors.DefaultSelector()
    idle = []
    started = failed = active = 0

    def start_one():
        nonlocal started, active, failed
        started += 1
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        err = sock.connect_ex((args.host, args.port))
        if err not in (0, errno.EINPROGRESS):
            sock.close()
            failed += 1
            return
        selector.register(sock, selectors.EVENT_WRITE, Connection(sock, request))
        active += 1

    def finish(conn, ok):
        nonlocal active, failed
        selector.unregister(conn.sock)
        active -= 1
        if ok:
            idle.append(conn.sock)
        else:
            conn.sock.close()
            failed += 1

    while started < args.connections or active:
        while started < args.connections and active < args.in_flight:
            start_one()
        ready = selector.select(timeout=30)
        if not ready:  # stalled: give up on the connections still being set up
            failed += active
            break
        for key, events in ready:
            conn = key.data
            try:
                if events & selectors.EVENT_WRITE:
                    sent = conn.sock.send(conn.pending)
                    conn.pending = conn.pending[sent:]
                    if not conn.pending:
                        selector.modify(conn.sock, selectors.EVENT_READ, conn)
                elif events & selectors.EVENT_READ:
                    chunk = conn.sock.recv(65536)
                    if not chunk:
                        finish(conn, False)
                        continue
                    conn.received += chunk
                    if conn.response_complete():
                        finish(conn, conn.received.startswith(b"HTTP/1.1 200"))
            except OSError:
                finish(conn, False)

    print(f"ready open={len(idle)} failed={failed}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while True:
            signal.pause()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
