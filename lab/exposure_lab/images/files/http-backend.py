#!/usr/bin/python3
"""A tiny HTTP backend for the exposure lab's end-to-end tests: every answer says who answered.

GET /healthz -> "ok". Any other GET -> 200 and the lines
    pod=<POD_NAME> namespace=<POD_NAMESPACE> node=<NODE_NAME> pod_ip=<POD_IP>
    client=<address the connection came from> path=<request path>
(set the variables from the downward API). Listens on $PORT (default 8080), on IPv6 and IPv4
when the pod has IPv6, else on IPv4. Exits at once on SIGTERM (it is PID 1 in its container).
"""

import os
import signal
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FIELDS = (("pod", "POD_NAME"), ("namespace", "POD_NAMESPACE"), ("node", "NODE_NAME"),
          ("pod_ip", "POD_IP"))


class Handler(BaseHTTPRequestHandler):
    server_version = "exposure-lab-http-backend"

    def do_GET(self) -> None:
        if self.path == "/healthz":
            body = "ok\n"
        else:
            who = " ".join(f"{name}={os.environ.get(var, '-')}" for name, var in FIELDS)
            client = self.client_address[0].removeprefix("::ffff:")
            body = f"{who}\nclient={client} path={self.path}\n"
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_HEAD = do_GET

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib's name)
        client = self.client_address[0].removeprefix("::ffff:")
        sys.stdout.write(f"{client} {format % args}\n")
        sys.stdout.flush()


class DualStackServer(ThreadingHTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


def main() -> None:
    port = int(os.environ.get("PORT", "8080"))
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    try:
        server: ThreadingHTTPServer = DualStackServer(("::", port), Handler)
    except OSError:  # no IPv6 in this network namespace
        server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
        server.daemon_threads = True
    print(f"listening on port {port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
