#!/usr/bin/python3
"""Backend for memory.sh: GET streams SIZE bytes of zeros (with Content-Length, 64 KiB writes);
PUT/POST reads and discards the request body (Content-Length or chunked) and answers its size.

usage: stream_backend.py PORT [--size BYTES]    Standard library only.
"""
import argparse
import http.server

CHUNK = 64 * 1024


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    size = 1 << 30

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(self.size))
        self.end_headers()
        zeros = bytes(CHUNK)
        left = self.size
        while left > 0:
            n = min(left, CHUNK)
            self.wfile.write(zeros if n == CHUNK else zeros[:n])
            left -= n

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            total = 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return total
                left = size
                while left > 0:
                    left -= len(self.rfile.read(min(left, CHUNK)))
                self.rfile.readline()
                total += size
        left = total = int(self.headers.get("Content-Length", "0"))
        while left > 0:
            data = self.rfile.read(min(left, CHUNK))
            if not data:
                break
            left -= len(data)
        return total - left

    def do_PUT(self):
        body = f"{self.read_body()}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_PUT


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--size", type=int, default=1 << 30)
    args = parser.parse_args()
    Handler.size = args.size
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
