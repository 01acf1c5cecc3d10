#!/usr/bin/env python3
"""A fake Coder for the startup-log tests: the endpoints envbox uses.

  GET   /api/v2/buildinfo                  {"version":"v2.12.0",...}
  POST  /api/v2/workspaceagents/me/log-source
                                           --log-source's status (201, as
                                           Coder: the source back; 404, as
                                           a Coder before log sources)
  PATCH /api/v2/workspaceagents/me/logs    200 {} (Coder's own answer)

Every request is recorded in --record as one JSON line:
  {"method":..., "path":..., "token":<Coder-Session-Token or null>,
   "content_type":..., "body":<the parsed JSON body, or the raw text>}

  coder-server.py --port-file FILE --record FILE [--tls CERT KEY]
                  [--mode ok|slow|500] [--slow-s 30] [--port N]
                  [--log-source STATUS] [--log-source-slow-s S]

It listens on 127.0.0.1, on --port or a free port, written to --port-file
once it listens. --mode slow sleeps --slow-s seconds before answering any request;
--mode 500 answers every request with HTTP 500 and a Coder-style message.
--log-source STATUS (default 201) is the answer to the log-source
registration: 2xx and 409 with the source, 404 as an older Coder's router,
anything else with a Coder-style message; --log-source-slow-s sleeps that
long before it (the other endpoints answering at once).
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
    ap.add_argument("--log-source", type=int, default=201)
    ap.add_argument("--log-source-slow-s", type=float, default=0)
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
            elif self.command == "POST" and self.path == "/api/v2/workspaceagents/me/log-source":
                self.log_source(body)
            elif self.command == "PATCH" and self.path == "/api/v2/workspaceagents/me/logs":
                self.answer(200, {})
            else:
                self.answer(404, {"message": "Route not found."})

        def log_source(self, body):
            time.sleep(args.log_source_slow_s)
            status = args.log_source
            if 200 <= status <= 299 or status == 409:
                try:
                    req = json.loads(body)
                except ValueError:
                    req = {}
                self.answer(status, {
                    "workspace_agent_id": "5b7c2d0e-52d6-4a4e-9a43-3e8f4f0a1c11",
                    "created_at": "2026-01-01T00:00:00Z",
                    "id": req.get("id"), "display_name": req.get("display_name"),
                    "icon": req.get("icon")})
            elif status == 404:
                self.answer(404, {"message": "Route not found."})
            else:
                # Echoing the token, as a careless proxy might: it must
                # not reach the log.
                token = self.headers.get("Coder-Session-Token")
                self.answer(status, {"message": "Failed to insert log source (token %s)." % token,
                                     "detail": "fake coder: --log-source %d" % status})

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
