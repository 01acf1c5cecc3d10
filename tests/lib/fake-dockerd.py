#!/usr/bin/env python3
"""A hostile Docker daemon for envbox-docker exec: what the Engine API says is
whatever the test asks for (tests/docker-hostile.bats).

  fake-dockerd.py --socket PATH --record FILE [--pid N] [--output BYTES]
                  [--hold] [--huge-create] [--truncate]

On the unix socket PATH (created; removed at exit):
  GET  /_ping                        OK
  POST /v1.41/containers/NAME/exec   201 {"Id":"e1e1..."}; --huge-create: a
                                     17 MiB JSON answer instead
  POST /v1.41/exec/ID/start          101 UPGRADED, then --output BYTES of
                                     stdout (lines of 100 bytes) in frames;
                                     --hold: the stream stays open until an
                                     inspect has been answered (the signal
                                     was passed on), then ends; --truncate:
                                     the last frame cut in the middle of
                                     its payload, as a daemon that died
  GET  /v1.41/exec/ID/json           while the stream is open:
                                     {"Running":true,"Pid":N}; after:
                                     {"Running":false,"ExitCode":0 or 143}
Each request's method and path go to --record, one a line.
"""
import argparse
import os
import socketserver
import struct
import threading

EXEC_ID = "e1e1" * 16


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socket", required=True)
    ap.add_argument("--record", required=True)
    ap.add_argument("--pid", type=int, default=0)
    ap.add_argument("--output", type=int, default=0)
    ap.add_argument("--hold", action="store_true")
    ap.add_argument("--huge-create", action="store_true")
    ap.add_argument("--truncate", action="store_true")
    args = ap.parse_args()
    lock = threading.Lock()
    state = {"open": False, "signalled": False}
    inspected = threading.Event()

    def record(line):
        with lock, open(args.record, "a") as f:
            f.write(line + "\n")

    class Handler(socketserver.StreamRequestHandler):
        def answer(self, status, body, ctype="application/json"):
            data = body.encode() if isinstance(body, str) else body
            self.wfile.write(
                ("HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
                 % (status, ctype, len(data))).encode() + data)
            self.wfile.flush()

        def handle(self):
            while self.one():
                pass

        def one(self):
            line = self.rfile.readline()
            if not line:
                return False
            method, path = line.decode().split()[:2]
            length = 0
            while True:
                h = self.rfile.readline().decode()
                if h in ("\r\n", "\n", ""):
                    break
                name, _, value = h.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if length:
                self.rfile.read(length)
            record("%s %s" % (method, path))
            if path == "/_ping":
                self.answer("200 OK", "OK", "text/plain")
            elif method == "POST" and path.endswith("/exec"):
                if args.huge_create:
                    self.answer("201 Created", '{"Id":"%s","Pad":"%s"}'
                                % (EXEC_ID, "x" * (17 << 20)))
                else:
                    self.answer("201 Created", '{"Id":"%s"}' % EXEC_ID)
            elif path.endswith("/start"):
                self.hijacked()
                return False
            elif path.endswith("/json"):
                with lock:
                    running = state["open"]
                    if running:
                        state["signalled"] = True
                    signalled = state["signalled"]
                if running:
                    body = '{"ID":"%s","Running":true,"ExitCode":null,"Pid":%d}' % (
                        EXEC_ID, args.pid)
                else:
                    body = '{"ID":"%s","Running":false,"ExitCode":%d,"Pid":0}' % (
                        EXEC_ID, 143 if signalled else 0)
                self.answer("200 OK", body)
                if running:
                    inspected.set()
            else:
                self.answer("404 Not Found", '{"message":"page not found"}')
            return True

        def hijacked(self):
            with lock:
                state["open"] = True
            self.wfile.write(
                b"HTTP/1.1 101 UPGRADED\r\n"
                b"Content-Type: application/vnd.docker.raw-stream\r\n"
                b"Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n")
            left = args.output
            n = 0
            while left > 0:
                chunk = "".join(("line %06d " % (n + i)).ljust(99, "x") + "\n"
                                for i in range(100))[:left].encode()
                frame = struct.pack(">BxxxI", 1, len(chunk)) + chunk
                left -= len(chunk)
                n += 100
                if args.truncate and left <= 0:
                    frame = frame[:8 + len(chunk) // 2]
                self.wfile.write(frame)
            self.wfile.flush()
            if args.hold:
                inspected.wait(30)
            with lock:
                state["open"] = False

    class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
        daemon_threads = True

    if os.path.exists(args.socket):
        os.unlink(args.socket)
    srv = Server(args.socket, Handler)
    try:
        srv.serve_forever()
    finally:
        os.unlink(args.socket)


if __name__ == "__main__":
    main()
