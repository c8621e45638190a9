"""The web archive of one browser capture: every HTTP exchange as a WARC request/response
pair (warcio), the screenshot and extracted text as resource records, packaged with its
page list as a WACZ (the `wacz` package) that ReplayWeb.page replays.

Response records hold the headers and body as received: a compressed body stays
compressed, with its Content-Encoding. httpx removes the chunked framing, so the
`Transfer-Encoding` header, which describes framing and not content, is left out.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import httpx
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from civicarchive.clock import format_time

__all__ = ["WACZ_MEDIA_TYPE", "Exchange", "WarcRecorder", "package_wacz", "peer_address"]

WACZ_MEDIA_TYPE = "application/wacz"
FRAMING_HEADERS = {"transfer-encoding"}


@dataclass(frozen=True)
class Exchange:
    """One request and the response to it, as sent and received."""

    request: httpx.Request
    response: httpx.Response
    body: bytes            # the response body as received (still content-encoded)
    at: datetime
    address: str | None    # the IP address the response came from (the guard's pin)
    truncated: bool = False


def peer_address(response: httpx.Response) -> str | None:
    """The IP address a response came from, read while its connection is open."""
    stream = response.extensions.get("network_stream")
    try:
        peer = stream.get_extra_info("server_addr") if stream is not None else None
    except OSError:
        return None
    return str(peer[0]) if peer else None


class WarcRecorder:
    """Writes a capture's records to a gzipped WARC 1.1 stream."""

    def __init__(self, stream: BinaryIO, *, software: str, at: datetime) -> None:
        self.writer = WARCWriter(stream, gzip=True, warc_version="1.1")
        self.records = 0
        info = self.writer.create_warcinfo_record(None, {
            "software": software, "format": "WARC File Format 1.1",
            "description": "A browser capture: every response the page loaded, its "
                           "screenshot and its text"})
        info.rec_headers.replace_header("WARC-Date", format_time(at))
        self._write(info)

    def exchange(self, exchange: Exchange) -> None:
        """The request and response records of one exchange."""
        request, response = exchange.request, exchange.response
        uri = str(request.url)
        when = {"WARC-Date": format_time(exchange.at)}
        if exchange.address:
            when["WARC-IP-Address"] = exchange.address
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw
                   if k.decode("latin-1").lower() not in FRAMING_HEADERS]
        status = StatusAndHeaders(f"{response.status_code} {response.reason_phrase}".strip(),
                                  headers, protocol=response.http_version or "HTTP/1.1")
        response_headers = dict(when)
        if exchange.truncated:
            response_headers["WARC-Truncated"] = "length"
        record = self.writer.create_warc_record(
            uri, "response", payload=io.BytesIO(exchange.body), length=len(exchange.body),
            warc_headers_dict=response_headers, http_headers=status)
        sent = request.read()   # bodies here are bytes the browser gave: read again freely
        target = request.url.raw_path.decode("ascii")
        request_line = StatusAndHeaders(
            f"{request.method} {target} HTTP/1.1",
            [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw],
            is_http_request=True)
        asked = self.writer.create_warc_record(uri, "request", payload=io.BytesIO(sent),
                                               length=len(sent), warc_headers_dict=when,
                                               http_headers=request_line)
        self.writer.write_request_response_pair(asked, record)
        self.records += 2

    def resource(self, uri: str, media_type: str, data: bytes, at: datetime) -> None:
        """A resource record: what the capture made rather than fetched (the screenshot
        as `urn:screenshot:<url>`, the text as `urn:text:<url>`)."""
        self._write(self.writer.create_warc_record(
            uri, "resource", payload=io.BytesIO(data), length=len(data),
            warc_content_type=media_type, warc_headers_dict={"WARC-Date": format_time(at)}))

    def _write(self, record) -> None:  # noqa: ANN001 (warcio's record type)
        self.writer.write_record(record)
        self.records += 1


def package_wacz(warc: Path, *, url: str, title: str, description: str = "") -> bytes:
    """The WACZ of one WARC, its page list naming the captured page (`url`, the first
    response for it in the WARC) and its title. Raises ValueError when the WARC holds no
    response for `url`."""
    with tempfile.TemporaryDirectory(prefix="civicarchive-wacz-") as folder:
        pages = Path(folder) / "pages.jsonl"
        pages.write_text(
            json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "Pages"}) + "\n"
            + json.dumps({"url": url, "title": title or url}) + "\n")
        output = Path(folder) / "capture.wacz"
        # The page list names the page; `--url` would list it a second time.
        arguments = ["create", "-o", str(output), "-p", str(pages), "--title", title or url,
                     str(warc)]
        if description:
            arguments += ["--desc", description]
        from wacz.main import main as wacz_main   # heavy (frictionless): load when used

        said = io.StringIO()
        with contextlib.redirect_stdout(said):
            code = wacz_main(arguments)
        if code != 0 or not output.exists():
            raise ValueError(f"the wacz package could not package {url}: "
                             f"{said.getvalue().strip().splitlines()[-1:]}")
        return output.read_bytes()
