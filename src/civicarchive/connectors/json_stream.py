"""The elements of a JSON array read from a byte stream, one at a time, with exact bytes.

Export files can be far larger than an import may hold in memory (the `tweets.js` of a
busy account runs to gigabytes), so an array's elements are found in a rolling buffer and
parsed one by one. Where the file is pretty-printed, as the platforms write them, an
element ends at the first line indented like its opening bracket: one `find`, checked by
parsing exactly those bytes. Otherwise, or if that check fails, a scanner counts brackets
outside strings, iteratively, so no nesting depth can exhaust the stack; orjson then
refuses an element nested deeper than 1024 levels.

Damage to one element whose end is known (`DamagedElement`) can be stepped over; damage
that loses the thread of the array (`DamagedArray`: cut short, no separator) cannot.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

import orjson

CHUNK = 1 << 20
MAX_ELEMENT = 512 << 20   # one entry larger than this is not an export entry
LAYOUT_REACH = 64 << 20   # how far to look for a pretty-printed closing line
WHITESPACE = re.compile(rb"[ \t\r\n]*")
BRACKET_OR_QUOTE = re.compile(rb'[\[\]{}"]')
STRING_REST = re.compile(rb'(?:[^"\\]|\\.)*"', re.DOTALL)
SCALAR = re.compile(rb"[^,\]}\s]*")
CLOSING = {ord("{"): b"}", ord("["): b"]"}


class DamagedArray(ValueError):
    """The array cannot be followed past this point."""


class Element(NamedTuple):
    index: int
    offset: int            # of its first byte in the stream
    raw: bytes             # its exact bytes
    value: object          # parsed, or None when `error` says why it could not be
    error: str | None


class ArrayReader:
    """Reads `[ element, element, ... ]` from a binary stream, holding one element."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.buf = bytearray()
        self.pos = 0        # next unread byte in buf
        self.base = 0       # stream offset of buf[0]
        self.eof = False

    def _more(self, keep: int) -> int:
        """Read a chunk, dropping the bytes before `keep`; returns how far offsets moved
        (subtract it), or -1 at the end of the stream."""
        if self.eof:
            return -1
        chunk = self.stream.read(CHUNK)
        if not chunk:
            self.eof = True
            return -1
        del self.buf[:keep]  # cheap: bytearray drops its head without copying
        self.buf += chunk
        self.base += keep
        self.pos -= keep
        return keep

    @classmethod
    def of_bytes(cls, data: bytes, offset: int = 0) -> ArrayReader:
        """A reader over bytes in memory, from `offset`."""
        reader = cls(_NoMore())
        reader.buf = bytearray(data)
        reader.pos = offset
        reader.eof = True
        return reader

    def _skip_space(self) -> None:
        while True:
            self.pos = WHITESPACE.match(self.buf, self.pos).end()
            # keep the line's indent: it tells where the next element ends
            if self.pos < len(self.buf) or self._more(max(self.pos - 256, 0)) < 0:
                return

    def skip_past(self, marker: bytes, within: int) -> bytes | None:
        """The bytes before the first `marker` in the first `within` bytes, consumed with
        it; None if it is not there."""
        while (at := self.buf.find(marker, self.pos)) < 0:
            if len(self.buf) >= within or self._more(self.pos) < 0:
                return None
        head = bytes(self.buf[self.pos:at])
        self.pos = at + len(marker)
        return head

    def elements(self) -> Iterator[Element]:
        """Each element of the array that begins at the next non-blank byte."""
        self._skip_space()
        if self.buf[self.pos:self.pos + 1] != b"[":
            raise DamagedArray(f"expected a JSON array `[` at byte {self.base + self.pos}")
        self.pos += 1
        index = 0
        while True:
            self._skip_space()
            if self.pos >= len(self.buf):
                raise DamagedArray(f"the array ends before it is closed, after {index} "
                                   f"entries (byte {self.base + self.pos}): the file is cut "
                                   "short")
            if self.buf[self.pos] == ord("]") and index == 0:
                self.pos += 1
                return
            yield self._element(index)
            index += 1
            self._skip_space()
            separator = self.buf[self.pos:self.pos + 1]
            if separator == b"]":
                self.pos += 1
                return
            if separator != b",":
                where = f"after entry {index - 1} (byte {self.base + self.pos})"
                raise DamagedArray(f"the array ends before it is closed, {where}: the file "
                                   "is cut short" if not separator else
                                   f"expected `,` or `]` {where}, found {bytes(separator)!r}")
            self.pos += 1

    def _element(self, index: int) -> Element:
        start = self.pos
        offset = self.base + start
        end = self._end_by_indent(start)
        if end is not None:
            start = self.pos
            try:
                raw = bytes(self.buf[start:start + end])
                return self._done(Element(index, offset, raw, orjson.loads(raw), None), end)
            except orjson.JSONDecodeError:
                pass  # not what the layout promised: count brackets instead
        end = self._end_by_scan(index, offset)
        start = self.pos
        raw = bytes(self.buf[start:start + end])
        try:
            return self._done(Element(index, offset, raw, orjson.loads(raw), None), end)
        except orjson.JSONDecodeError as error:
            return self._done(Element(index, offset, raw, None, str(error)), end)

    def _done(self, element: Element, length: int) -> Element:
        self.pos += length
        return element

    def _end_by_indent(self, start: int) -> int | None:
        """The element's length if it closes on a line indented as it opens, else None."""
        closing = CLOSING.get(self.buf[start])
        line = self.buf.rfind(b"\n", max(start - 256, 0), start) + 1
        indent = bytes(self.buf[line:start])
        if closing is None or not line or indent.strip(b" \t"):
            return None
        needle = b"\n" + indent + closing
        searched = start
        while (at := self.buf.find(needle, searched)) < 0:
            searched = max(len(self.buf) - len(needle), self.pos)
            if len(self.buf) - self.pos > LAYOUT_REACH:
                return None
            moved = self._more(self.pos)
            if moved < 0:
                return None
            searched -= moved
        return at + len(needle) - self.pos

    def _end_by_scan(self, index: int, offset: int) -> int:
        """The element's length by counting brackets outside strings."""
        i, depth = self.pos, 0
        while True:
            if i - self.pos > MAX_ELEMENT:
                raise DamagedArray(f"entry {index} (byte {offset}) runs past "
                                   f"{MAX_ELEMENT >> 20} MiB without closing")
            first = self.buf[i] if i < len(self.buf) else None
            if depth == 0 and first is not None and first not in b'[{"':
                found = SCALAR.match(self.buf, i)  # a number, true, false or null
                if found.end() < len(self.buf):
                    return found.end() - self.pos
            else:
                found = BRACKET_OR_QUOTE.search(self.buf, i)
                if found is None:
                    i = len(self.buf)
                else:
                    char = self.buf[found.start()]
                    if char == ord('"'):
                        rest = STRING_REST.match(self.buf, found.end())
                        if rest is not None:
                            i = rest.end()
                            if depth == 0:
                                return i - self.pos
                            continue
                        i = found.start()  # the string goes on past the buffer
                    else:
                        i = found.end()
                        depth += 1 if char in b"[{" else -1
                        if depth <= 0:
                            return i - self.pos
                        continue
            moved = self._more(self.pos)  # the buffer ends inside the element
            if moved < 0:
                raise DamagedArray(f"entry {index} (byte {offset}) is not closed before the "
                                   "end of the file: the file is cut short")
            i -= moved


def value_offset(data: bytes, path: tuple[str, ...], last: bool = False) -> int:
    """Where the value at `path` (keys of nested objects from the top) begins in the
    valid JSON `data`, so that nested entries keep their own exact bytes. With `last`,
    the last of duplicate keys at the end of the path (the one a parser keeps)."""
    reader = ArrayReader.of_bytes(data)
    reader._skip_space()
    for depth, key in enumerate(path):
        if reader.buf[reader.pos:reader.pos + 1] != b"{":
            raise KeyError(".".join(path[:depth + 1]))
        reader.pos += 1
        keep_looking = last and depth == len(path) - 1
        found = None
        while True:
            reader._skip_space()
            if reader.buf[reader.pos:reader.pos + 1] in (b"}", b""):
                if found is None:
                    raise KeyError(".".join(path[:depth + 1]))
                reader.pos = found
                break
            length = reader._end_by_scan(0, reader.pos)
            name = orjson.loads(reader.buf[reader.pos:reader.pos + length])
            reader.pos += length
            reader._skip_space()
            reader.pos += 1  # the colon
            reader._skip_space()
            if name == key:
                found = reader.pos
                if not keep_looking:
                    break
            reader.pos += reader._end_by_scan(0, reader.pos)
            reader._skip_space()
            if reader.buf[reader.pos:reader.pos + 1] == b",":
                reader.pos += 1
    return reader.pos


class _NoMore:
    def read(self, size: int) -> bytes:
        return b""
