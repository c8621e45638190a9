"""The Fetcher every capturer talks through: media URLs, size caps, deadlines."""

from __future__ import annotations

import time
import tracemalloc
import zlib
from datetime import datetime, timezone

import brotli
import httpx
import pytest
import zstandard

from civicarchive.capture.failures import CaptureFailed, PlatformUnavailable
from civicarchive.capture.http import Fetcher, open_client
from tests.capture.loopback import Loopback

NOW = datetime(2026, 8, 2, tzinfo=timezone.utc)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "file:photo.jpg",
                                 "data:image/png;base64,AAAA", "ftp://files.example/a.png"])
def test_fetcher_download_of_a_non_http_media_url_says_only_http_is_fetched(url, loopback_only):
    with open_client() as client:
        data, _, problem = Fetcher(client, "secret", NOW).download(url, 1000)
    assert data is None
    assert "only http(s) media URLs are fetched" in problem and "missing" not in problem


class Endless:
    """A body of 1 KiB chunks, `chunks` long, counting how many were asked for."""

    def __init__(self, chunks: int) -> None:
        self.chunks, self.sent = chunks, 0

    def __iter__(self):
        while self.sent < self.chunks:
            self.sent += 1
            yield b" " * 1024


def test_fetcher_refuses_an_answer_over_the_cap_without_holding_it():
    body = Endless(1000)
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    with httpx.Client(transport=transport) as client:
        fetch = Fetcher(client, "secret", NOW, "https://api.example", max_bytes=10 * 1024)
        with pytest.raises(CaptureFailed) as failed:
            fetch.get("/api/v1/timeline", {"access_token": "secret"})
    assert "https://api.example/api/v1/timeline" in str(failed.value)
    assert "10240-byte cap" in str(failed.value) and "secret" not in str(failed.value)
    assert body.sent <= 11   # streamed and stopped, not read to the end


def trickle(method, path, query, headers):
    """An answer sent a byte every 0.2 s: 30 s for the whole of it."""
    def body():
        for _ in range(150):
            time.sleep(0.2)
            yield b" "
    return 200, {"Content-Type": "application/json"}, body()


def test_fetcher_gives_up_a_trickling_answer_at_its_deadline(loopback_only):
    with Loopback(trickle) as server, httpx.Client(timeout=5) as client:
        fetch = Fetcher(client, None, NOW, server.url, deadline=0.5)
        with pytest.raises(PlatformUnavailable) as failed:
            fetch.get("/api/v1/timeline")
        data, _, problem = fetch.download(f"{server.url}/media/slow.mp4", 1000)
    assert f"{server.url}/api/v1/timeline" in str(failed.value)
    assert "0.5 s" in str(failed.value)
    assert data is None and "0.5 s" in problem


class TrickledHeaders:
    """A raw loopback server that sends its status line and headers one byte every 0.1 s
    (each read well inside httpx's timeout), for about 30 s; `sent` counts the bytes each
    connection took before the client hung up."""

    def __init__(self) -> None:
        import socket
        import threading
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.stop = threading.Event()
        self.sent: list[int] = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        while not self.stop.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.sent.append(0)
            with connection:
                try:
                    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 300:
                        if self.stop.wait(0.1):
                            return
                        connection.sendall(bytes([byte]))
                        self.sent[-1] += 1
                except OSError:
                    continue

    def __enter__(self) -> TrickledHeaders:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.listener.close()


def test_fetcher_gives_up_a_server_trickling_its_headers_at_the_deadline(loopback_only):
    with TrickledHeaders() as server, open_client(timeout=5, allow_loopback=True) as client:
        fetch = Fetcher(client, None, NOW, server.url, deadline=0.5)
        with pytest.raises(PlatformUnavailable, match="no whole answer within 0.5 s"):
            fetch.get("/api/v1/timeline")
        data, _, problem = fetch.download(f"{server.url}/media/slow.mp4", 1000)
    assert data is None and "no whole answer within 0.5 s" in problem
    assert len(server.sent) == 2 and max(server.sent) < 100   # hung up long before the end


def zeros(encoding: str, size: int = 256 * 1024 * 1024) -> bytes:
    """`size` zero bytes compressed as a Content-Encoding: a few hundred bytes to 256 KiB."""
    if encoding == "gzip":
        packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        return packer.compress(bytes(size)) + packer.flush()
    if encoding == "deflate":
        return zlib.compress(bytes(size), 9)
    if encoding == "br":
        return brotli.compress(bytes(size), quality=5)
    return zstandard.ZstdCompressor().compress(bytes(size))


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd"])
def test_fetcher_never_inflates_a_compression_bomb_in_memory(encoding):
    bomb = zeros(encoding)
    pieces = [bomb[at:at + 65536] for at in range(0, len(bomb), 65536)]   # as reads give it
    transport = httpx.MockTransport(lambda request: httpx.Response(
        200, headers={"Content-Encoding": encoding}, content=iter(pieces)))
    with httpx.Client(transport=transport) as client:
        fetch = Fetcher(client, None, NOW, "https://api.example", max_bytes=1024 * 1024)
        tracemalloc.start()
        try:
            with pytest.raises(CaptureFailed) as failed:
                fetch.get("/api/v1/timeline")
            data, _, problem = fetch.download("https://media.example/zeros.bin", 1024 * 1024)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 16 * 1024 * 1024   # 256 MiB decoded, never held
    assert data is None
    if encoding in ("gzip", "deflate"):
        assert "1048576-byte cap" in str(failed.value) and "cap" in problem
    else:   # not asked for, and not undone a bounded piece at a time: refused
        assert f"{encoding}-encoded, which capture did not ask for" in str(failed.value)
        assert f"{encoding}-encoded" in problem


def test_capture_client_asks_only_for_encodings_it_can_bound(loopback_only):
    with Loopback(lambda m, p, q, h: (200, {}, b"{}")) as server, \
            open_client(allow_loopback=True) as client:
        Fetcher(client, None, NOW, server.url).get("/")
    assert server.requests[0][2]["accept-encoding"] == "gzip, deflate"


def test_fetcher_redirect_to_another_host_carries_no_secret_header(loopback_only):
    """httpx drops Authorization on a redirect to another origin, not a key sent in a
    header of its own (YouTube's X-Goog-Api-Key)."""
    with Loopback(lambda m, p, q, h: (200, {"Content-Type": "application/json"}, b"{}")
                  ) as elsewhere, \
            Loopback(lambda m, p, q, h: (302, {"Location": f"{elsewhere.url}/collect"}, b"")
                     ) as api, open_client(allow_loopback=True) as client:
        Fetcher(client, "oauth-secret", NOW, api.url).get("/youtube/v3/videos")
        Fetcher(client, None, NOW, api.url).get("/youtube/v3/videos",
                                                headers={"X-Goog-Api-Key": "AIzaKEY-secret"})
    assert [path for _, path, _ in elsewhere.requests] == ["/collect", "/collect"]
    sent = repr(elsewhere.requests)
    assert "oauth-secret" not in sent and "AIzaKEY-secret" not in sent
    assert api.requests[1][2]["x-goog-api-key"] == "AIzaKEY-secret"   # where it belongs


def test_decoded_undoes_each_encoding_last_applied_first():
    from civicarchive.capture.encoding import decoded
    text = b"the council meets at 7pm " * 4000
    raw = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    bodies = {"identity": text, "gzip": gzipped(text), "deflate": zlib.compress(text),
              "raw deflate": raw.compress(text) + raw.flush(),
              "gzip, deflate": zlib.compress(gzipped(text))}
    for encoding, body in bodies.items():
        chunks = [body[at:at + 7] for at in range(0, len(body), 7)]
        assert b"".join(decoded(chunks, encoding.replace("raw ", ""))) == text, encoding


def gzipped(data: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()
