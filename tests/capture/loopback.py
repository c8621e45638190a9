"""A loopback HTTP server (127.0.0.1 only) answering from a function, in a thread."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

Answer = Callable[[str, str, dict, dict], tuple[int, dict, bytes | Iterable[bytes]]]


class Loopback:
    """`answer(method, path, query, headers) -> (status, headers, body)`; every request is
    kept in `requests` as (method, path, headers). A body that is not bytes is sent chunk
    by chunk as it comes, and the end of the connection ends it."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.requests: list[tuple[str, str, dict]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                self.respond("GET", {})

            def do_POST(self) -> None:  # noqa: N802 - a form body joins the query
                length = int(self.headers.get("Content-Length") or 0)
                self.respond("POST", parse_qs(self.rfile.read(length).decode()))

            def respond(self, method: str, form: dict) -> None:
                parts = urlsplit(self.path)
                headers = {k.lower(): v for k, v in self.headers.items()}
                outer.requests.append((method, self.path, headers))
                status, sent, body = outer.answer(method, parts.path,
                                                  {**parse_qs(parts.query), **form}, headers)
                self.send_response(status)
                for name, value in sent.items():
                    self.send_header(name, value)
                if isinstance(body, bytes):
                    self.send_header("Content-Length", str(len(body)))
                    body = [body]
                self.end_headers()
                try:
                    for chunk in body:
                        self.wfile.write(chunk)
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass   # the client gave up

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Loopback:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
