#!/usr/bin/env python3
"""A fake Coder for the startup-log tests: the two endpoints envbox uses.

  GET   /api/v2/buildinfo                  {"version":"v2.12.0",...}
  PATCH /api/v2/workspaceagents/me/logs    200 {} (Coder's own answer)

Every request is recorded in --record as one JSON line:
  {"method":..., "path":..., "token":<Coder-Session-Token or null>,
   "content_type":..., "body":<the parsed JSON body, or the raw text>}

  coder-server.py --port-file FILE --record FILE [--tls CERT KEY]
                  [--mode ok|slow|500] [--slow-s 30] [--port N]

It listens on 127.0.0.1, on --port or a free port, written to --port-file
once it listens. --mode slow sleeps --slow-s seconds before answering any request;
--mode 500 answers every request with HTTP 500 and a Coder-style message.
"""
import argparse
import http.server
import json
import os
import ssl
import threading
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--record", required=True)
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--mode", choices=["ok", "slow", "500"], default="ok")
    ap.add_argument("--slow-s", type=float, default=30)
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            pass

        def record(self, body):
            raw = body.decode("utf-8", "replace")
            try:
                parsed = json.loads(raw) if raw else None
            except ValueError:
                parsed = raw
            entry = {
                "method": self.command,
                "path": self.path,
                "token": self.headers.get("Coder-Session-Token"),
                "content_type": self.headers.get("Content-Type"),
                "body": parsed,
            }
            with lock, open(args.record, "a") as f:
                f.write(json.dumps(entry) + "\n")

        def answer(self, status, obj):
            data = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def handle_any(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else b""
            self.record(body)
            if args.mode == "slow":
                time.sleep(args.slow_s)
            if args.mode == "500":
                self.answer(500, {"message": "Internal error inserting logs.",
                                  "detail": "fake coder: mode 500"})
            elif self.command == "GET" and self.path == "/api/v2/buildinfo":
                self.answer(200, {"external_url": "https://github.com/coder/coder",
                                  "version": "v2.12.0+fake", "dashboard_url": "/"})
            elif self.command == "PATCH" and self.path == "/api/v2/workspaceagents/me/logs":
                self.answer(200, {})
            else:
                self.answer(404, {"message": "Route not found."})

        do_GET = do_PATCH = do_POST = do_PUT = handle_any

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address):
            pass  # clients that give up (the slow mode) are expected

    srv = Server(("127.0.0.1", args.port), Handler)
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls[0], args.tls[1])
        # The handshake happens in the request's thread, on first read.
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                                     do_handshake_on_connect=False)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
