"""A Content-Encoding undone a bounded piece at a time.

httpx's decoders inflate each chunk they are handed whole: 64 KiB of gzip is 64 MiB of
zeros, and a few hundred bytes of brotli or zstd are gigabytes, in one bytes object,
before any size cap can look at it. Capture therefore asks only for the encodings zlib
can undo with a bound on its output (`ACCEPT_ENCODING`), undoes them here, `PIECE`
bytes at most at a time, and refuses any other encoding a server sends unasked.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

import httpx

__all__ = ["ACCEPT_ENCODING", "PIECE", "decoded"]

ACCEPT_ENCODING = "gzip, deflate"
PIECE = 64 * 1024
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS,
          "deflate": zlib.MAX_WBITS}


def decoded(chunks: Iterable[bytes], encoding: str | None) -> Iterator[bytes]:
    """The bytes `chunks` carry under the Content-Encoding `encoding` (a list of the
    encodings in the order they were applied, so undone last first), in pieces of at most
    PIECE bytes, so that a reader stopping at its cap never holds much more. Raises
    httpx.DecodingError for a broken stream or an encoding other than identity, gzip and
    deflate."""
    stream: Iterator[bytes] = iter(chunks)
    for name in reversed([e.strip().lower() for e in (encoding or "").split(",")]):
        if name in ("", "identity"):
            continue
        if name not in _WBITS:
            raise httpx.DecodingError(f"the answer is {name}-encoded, which capture did not "
                                      f"ask for (it accepts {ACCEPT_ENCODING}); not read")
        stream = _inflated(stream, _WBITS[name])
    return stream


def _inflated(chunks: Iterator[bytes], wbits: int) -> Iterator[bytes]:
    inflater = None
    try:
        for chunk in chunks:
            if inflater is None:
                if not chunk:
                    continue
                # "deflate" is meant to be zlib-wrapped, but some servers send it raw
                raw = wbits == zlib.MAX_WBITS and (chunk[0] & 0x0F != 8 or len(chunk) > 1
                                                   and (chunk[0] << 8 | chunk[1]) % 31)
                inflater = zlib.decompressobj(-zlib.MAX_WBITS if raw else wbits)
            data = chunk
            while data and not inflater.eof:
                piece = inflater.decompress(data, PIECE)
                if piece:
                    yield piece
                data = inflater.unconsumed_tail
        if inflater is not None and not inflater.eof:
            while piece := inflater.decompress(b"", PIECE):
                yield piece
    except zlib.error as error:
        raise httpx.DecodingError(f"the answer's compressed body is broken ({error})") \
            from None
