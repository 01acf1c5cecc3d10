#!/usr/bin/env python3
"""bench/fake-dockerd.py SOCKET DIR: a stand-in for dockerd that answers
what a pull needs, so a recorded progress stream goes through the real
client code (envbox-docker pull, the docker CLI) at the speed of the
client, not of a registry:

  GET|HEAD /_ping                 "OK", with the headers dockerd sends
  POST /v*/images/create?fromImage=.../NAME&tag=...
                                  DIR/NAME.jsonl as the body, as dockerd
                                  streams it (chunked, application/json)
  anything else                   404 {"message": "..."}

Serves until killed; one thread a connection."""
import os
import socket
import socketserver
import sys
import urllib.parse

CHUNK = 64 * 1024


class Handler(socketserver.StreamRequestHandler):
    def head(self, status, ctype, extra=""):
        self.wfile.write(("HTTP/1.1 %s\r\nApi-Version: 1.41\r\nServer: Docker/20.10.24 (linux)\r\n"
                          "Content-Type: %s\r\n%s\r\n" % (status, ctype, extra)).encode())

    def handle(self):
        while True:
            line = self.rfile.readline()
            if not line:
                return
            method, target, _ = line.decode("latin-1").split(" ", 2)
            length = 0
            while True:
                h = self.rfile.readline()
                if h in (b"\r\n", b"\n", b""):
                    break
                name, _, value = h.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            if length:
                self.rfile.read(length)
            url = urllib.parse.urlsplit(target)
            if url.path.endswith("/_ping"):
                body = b"" if method == "HEAD" else b"OK"
                self.head("200 OK", "text/plain; charset=utf-8", "Content-Length: 2\r\n")
                self.wfile.write(body)
                continue
            if method == "POST" and url.path.endswith("/images/create"):
                image = urllib.parse.parse_qs(url.query).get("fromImage", [""])[0]
                path = os.path.join(self.server.dir, image.rsplit("/", 1)[-1] + ".jsonl")
                if os.path.isfile(path):
                    self.head("200 OK", "application/json", "Transfer-Encoding: chunked\r\n")
                    with open(path, "rb") as f:
                        while True:
                            data = f.read(CHUNK)
                            if not data:
                                break
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                    continue
            msg = b'{"message":"fake-dockerd: no such thing"}\n'
            self.head("404 Not Found", "application/json", "Content-Length: %d\r\n" % len(msg))
            self.wfile.write(msg)


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: fake-dockerd.py SOCKET DIR\n")
        return 2
    sock, directory = sys.argv[1], sys.argv[2]
    if os.path.exists(sock):
        os.unlink(sock)
    with Server(sock, Handler) as srv:
        srv.dir = directory
        srv.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        srv.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
