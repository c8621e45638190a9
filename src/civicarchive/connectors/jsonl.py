"""The generic JSONL observation format: one observation per line.

Required: native_id, kind, created_at, observed_at, author, text (a deletion may leave
out author and text, and then keeps the last content). Optional: parent_id,
url, event (deleted | hidden | unhidden) and raw (the platform's exact bytes as a string;
the line itself when absent). Every other field is kept in the normalised content.
Lines are read in binary with a bounded readline, so that one huge line cannot take
memory beyond about twice the line cap. See docs/jsonl-format.md.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import orjson

from civicarchive.clock import parse_time
from civicarchive.errors import InvalidInput, MalformedLine
from civicarchive.model.record import OBSERVED_EVENTS, Event, Kind, Observation
from civicarchive.store.canonical import MAX_NESTING, nested_too_deep

REQUIRED = ("native_id", "kind", "created_at", "observed_at", "author", "text")
REQUIRED_OF_DELETION = REQUIRED[:4]
IDENTITY = frozenset({"native_id", "kind", "created_at", "observed_at", "parent_id", "url",
                      "event", "raw"})
_KINDS = {k.value for k in Kind}
_EVENTS = {e.value for e in OBSERVED_EVENTS}
MAX_LINE_BYTES = 64 * 1024**2   # with its line break; no real record is that big
_CHUNK = 1024**2                # how much of an over-long line is skipped at a time
SPLIT_BYTES = 8 * 1024**2       # from this size, a file is checked in two processes
UTF8_BOM = b"\xef\xbb\xbf"      # skipped: it marks the file's encoding, not a record's bytes
_KEY_END = re.compile(rb'"[ \t\r\n]*:')  # every key ends so (and some strings hold it)
_DIGITS = bytes.maketrans(b"0123456789", b"9" * 10)  # a run of digits as a run of 9s:
_LONG_DIGITS = b"9" * 16  # no integer past 2**53 is written shorter (a regex costs 10x)
_HUGE_INTEGER = re.compile(rb"[:\[,][ \t]*(-?\d{20,})(?![\d.eE])")  # past 64 bits
_SAFE_INT = 2**53 - 1                       # what RFC 8785 keeps exactly (I-JSON)
_DECOMPRESS = "decompress it first (for example `{tool} {name}`) and ingest the file inside"
_WIDE = ("JSON lines are UTF-8: save it as UTF-8 (for example `iconv -f {encoding} -t UTF-8 "
         "{name} > {stem}-utf8.jsonl`)")
# What a file that is not JSON lines in UTF-8 starts with (longest first), and what to do.
_OTHER_FORMATS = (
    (b"\x00\x00\xfe\xff", "is UTF-32 text", _WIDE, "UTF-32"),
    (b"\xff\xfe\x00\x00", "is UTF-32 text", _WIDE, "UTF-32"),
    (b"\xfd7zXZ\x00", "is compressed with xz", _DECOMPRESS, "unxz"),
    (b"\x28\xb5\x2f\xfd", "is compressed with zstd", _DECOMPRESS, "unzstd"),
    (b"PK\x03\x04", "is a zip archive", "take the .jsonl file out of it first (a platform's "
     "own export is read by `civicarchive import`)", ""),
    (b"BZh", "is compressed with bzip2", _DECOMPRESS, "bunzip2"),
    (b"\x1f\x8b", "is compressed with gzip", _DECOMPRESS, "gunzip"),
    (b"\xfe\xff", "is UTF-16 text", _WIDE, "UTF-16"),
    (b"\xff\xfe", "is UTF-16 text", _WIDE, "UTF-16"),
)


def parse_line(line: bytes, account_id: int, checked: bool = False) -> Observation:
    """One observation from one line; raises ValueError saying what is wrong. `checked`:
    the line passed `check_jsonl`, whose search for repeated keys and long integers is
    then not made again (a few microseconds a line)."""
    record, bare_deletion, created_at, observed_at = _checked(line, thorough=not checked)
    event, raw, parent, url = (record.get(name) for name in ("event", "raw", "parent_id", "url"))
    content = None if bare_deletion else \
        {key: value for key, value in record.items() if key not in IDENTITY}
    return Observation(
        account_id=account_id, native_id=str(record["native_id"]), kind=Kind(record["kind"]),
        observed_at=observed_at, created_at=created_at, content=content,
        raw=raw.encode() if raw is not None else line,
        raw_media_type="application/octet-stream" if raw is not None else "application/json",
        author=record.get("author"), parent_native_id=str(parent) if parent is not None else None,
        url=str(url) if url is not None else None,
        event=Event(event) if event is not None else None)


def _checked(line: bytes, thorough: bool = True) -> tuple[dict, bool, datetime, datetime]:
    """(record, whether it is a bare deletion, created at, observed at) of a line that is
    a valid observation; raises ValueError saying what is wrong. The checking pass stops
    here: building the observation cannot fail once this passed."""
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as error:
        raise ValueError(f"not valid JSON ({error})") from None
    if not isinstance(record, dict):
        raise ValueError("each line must be a JSON object")
    # Fewer brackets than the limit cannot nest deeper than it: the walk is for the rare
    # line that holds many.
    if line.count(b"[") + line.count(b"{") > MAX_NESTING and nested_too_deep(record):
        raise ValueError(f"arrays and objects nest more than {MAX_NESTING} levels deep, "
                         "more than the archive keeps")
    if thorough:
        _check_keys_and_numbers(line, record)
    event = record.get("event")
    # A deletion may carry nothing but identity: the version then keeps the last content.
    bare_deletion = event == "deleted" and "text" not in record
    required = REQUIRED_OF_DELETION if bare_deletion else REQUIRED
    missing = [name for name in required if record.get(name) in (None, "")
               and not (name == "text" and record.get(name) == "")]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    if type(record["native_id"]) not in (str, int):
        raise ValueError("native_id must be a string or an integer")
    kind = record["kind"]
    if kind not in _KINDS:
        raise ValueError(f"kind {kind!r} is not one of {', '.join(sorted(_KINDS))}")
    if event is not None and event not in _EVENTS:
        raise ValueError(f"event {event!r} is not one of {', '.join(sorted(_EVENTS))}")
    for name in required[4:]:  # author, text
        if not isinstance(record[name], str):
            raise ValueError(f"{name} must be a string")
    raw = record.get("raw")
    if raw is not None and not isinstance(raw, str):
        raise ValueError("raw must be a string (the platform's bytes, as text)")
    for name in ("parent_id", "url"):
        value = record.get(name)
        if value is not None and type(value) not in (str, int):
            raise ValueError(f"{name} must be a string")
    return record, bare_deletion, _time(record, "created_at"), _time(record, "observed_at")


def _check_keys_and_numbers(line: bytes, record: dict) -> None:
    """A key twice in one object (the parser keeps the last value, and the words of the
    first would be lost), or an integer canonical JSON cannot keep exactly (beyond
    2**53, or beyond 64 bits, which the parser reads as a float, its digits lost), is a
    ValueError. The objects are walked only when the line could hold either."""
    keys_written = len(_KEY_END.findall(line))
    long_digits = _LONG_DIGITS in line.translate(_DIGITS)
    if keys_written == len(record) and not long_digits:
        return  # (no key left over for a nested object, nor digits enough)
    keys, number, level = 0, None, [record]
    identity = (record.get("native_id"), record.get("parent_id"))  # (kept as strings)
    while level:
        node = level.pop()
        values = node.values() if isinstance(node, dict) else node
        keys += len(node) if isinstance(node, dict) else 0
        for value in values:
            if isinstance(value, (dict, list)):
                level.append(value)
            elif number is None and long_digits and (
                    type(value) is int and not -_SAFE_INT <= value <= _SAFE_INT or
                    type(value) is float and value.is_integer() and abs(value) >= 2**63) \
                    and not any(value is kept for kept in identity):
                number = value
    if keys_written > keys:  # (or a string holds `":`: then the exact check finds none)
        json.loads(line, object_pairs_hook=_refuse_twice)
    if number is None:
        return
    # (a float is the parser's reading of an integer only where the line writes one of
    # 20 digits or more; 1e20 as written is a float, which canonical JSON keeps)
    shown = number if type(number) is int else \
        (found := _HUGE_INTEGER.search(line)) and found.group(1).decode()
    if shown:
        raise ValueError(f"the integer {shown} is larger than canonical JSON keeps exactly "
                         f"(±{_SAFE_INT:,}): write it as a string")


def _refuse_twice(pairs: list[tuple[str, object]]) -> dict:
    seen = set()
    for key, _ in pairs:
        if key in seen:
            raise ValueError(f"the key {key!r} appears twice in one object; which value is "
                             "meant cannot be told")
        seen.add(key)
    return dict(pairs)


def _time(record: dict, name: str) -> datetime:
    try:
        return parse_time(record[name])
    except (TypeError, ValueError) as error:
        raise ValueError(f"bad time: {error}") from None
    except OverflowError:  # valid text whose conversion to UTC leaves years 1 to 9999
        raise ValueError(f"bad time: {name} {record[name]!r} falls outside years 1 to 9999 "
                         "once converted to UTC; give the time in UTC") from None


def _lines(path: Path, max_line_bytes: int, start: int = 0, stop: int | None = None,
           number: int = 0) -> Iterator[tuple[int, bytes | None]]:
    """(number, line) for each non-blank line; None for a line over the cap, which is
    skipped a chunk at a time without ever being held whole. With `start` and `stop`
    (offsets at line starts), the lines from `start` up to `stop`, the first numbered
    `number` + 1."""
    try:
        stream = open(path, "rb")
    except OSError as error:
        raise InvalidInput(f"cannot read {path}: {error.strerror}") from None
    with stream:
        if start == 0:
            head = stream.read(6)  # (the longest mark below)
            _refuse_other_formats(path, head)
            stream.seek(len(UTF8_BOM) if head.startswith(UTF8_BOM) else 0)
        else:
            stream.seek(start)
        while (stop is None or stream.tell() < stop) and \
                (line := stream.readline(max_line_bytes + 1)):
            number += 1
            if len(line) > max_line_bytes:
                while line and not line.endswith(b"\n"):
                    line = stream.readline(_CHUNK)
                yield number, None
                continue
            line = line.rstrip(b"\r\n")
            if line and not line.isspace():  # (strip would copy every line)
                yield number, line


def _refuse_other_formats(path: Path, head: bytes) -> None:
    """InvalidInput, once for the file, when its first bytes show it is compressed, an
    archive, or text in UTF-16 or UTF-32: else each of its lines would be "not valid JSON"
    for a reason that says nothing of the file."""
    name = Path(path).name
    found = next(((what, hint, tool) for mark, what, hint, tool in _OTHER_FORMATS
                  if head.startswith(mark)), None)
    if found is None and b"\x00" in head[:2]:  # no mark: ASCII characters, NUL-padded
        found = ("is UTF-16 or UTF-32 text", _WIDE, "UTF-16")
    if found is not None:
        what, hint, tool = found
        raise InvalidInput(f"{path} {what}, not JSON lines: " + hint.format(
            tool=tool, encoding=tool, name=name, stem=Path(name).stem), parameter="file")


def _too_long(max_line_bytes: int) -> ValueError:
    return ValueError(f"the line is longer than {max_line_bytes:,} bytes, the most one "
                      "line may hold (with its line break); keep bulky data such as "
                      "media out of the line")


def check_jsonl(path: Path, account_id: int, limit: int = 20,
                max_line_bytes: int = MAX_LINE_BYTES) -> list[MalformedLine]:
    """Every malformed line (up to `limit`), without writing anything. A large file's
    second half is checked in a forked process meanwhile: the check is the only work
    there is before an ingest may write, and it would leave the other core idle."""
    split = _halfway(path) if "fork" in multiprocessing.get_all_start_methods() else None
    if split is None:
        return _problems(path, limit, max_line_bytes)
    offset, lines_before = split
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    helper = context.Process(target=_check_part, daemon=True, args=(
        send, path, limit, max_line_bytes, offset, lines_before))
    helper.start()
    send.close()
    try:
        problems = _problems(path, limit, max_line_bytes, 0, offset)
        try:
            later = [MalformedLine(*found) for found in receive.recv()]
        except EOFError:  # the helper died: check its part here
            later = _problems(path, limit, max_line_bytes, offset, None, lines_before)
    finally:
        receive.close()
        if helper.is_alive():
            helper.terminate()
        helper.join()
    return (problems + later)[:limit]


def _problems(path: Path, limit: int, max_line_bytes: int, start: int = 0,
              stop: int | None = None, number: int = 0) -> list[MalformedLine]:
    problems: list[MalformedLine] = []
    for number, line in _lines(path, max_line_bytes, start, stop, number):
        try:
            if line is None:
                raise _too_long(max_line_bytes)
            _checked(line)
        except ValueError as error:
            problems.append(MalformedLine(str(path), number, str(error)))
            if len(problems) >= limit:
                break
    return problems


def _check_part(send, path: Path, limit: int, max_line_bytes: int,  # noqa: ANN001
                start: int, number: int) -> None:
    try:
        send.send([(p.path, p.line, p.reason)   # (an exception does not pickle whole)
                   for p in _problems(path, limit, max_line_bytes, start, None, number)])
    finally:
        send.close()


def _halfway(path: Path) -> tuple[int, int] | None:
    """(offset of the first line starting past half the file, lines before it), or None
    for a file too small to be worth a second process."""
    try:
        size = os.path.getsize(path)
    except OSError:
        return None  # reported when it is read
    if size < SPLIT_BYTES:
        return None
    with open(path, "rb") as stream:
        stream.seek(size // 2)
        while (piece := stream.readline(_CHUNK)) and not piece.endswith(b"\n"):
            pass
        offset = stream.tell()
        if offset >= size:
            return None
        stream.seek(0)
        lines = 0
        left = offset
        while left and (block := stream.read(min(_CHUNK, left))):
            lines += block.count(b"\n")
            left -= len(block)
    return offset, lines


def read_jsonl(path: Path, account_id: int, max_line_bytes: int = MAX_LINE_BYTES,
               checked: bool = False) -> Iterator[Observation]:
    """Each line's observation; the first malformed line raises MalformedLine. `checked`:
    the file passed `check_jsonl` (see `parse_line`)."""
    for number, line in _lines(path, max_line_bytes):
        try:
            if line is None:
                raise _too_long(max_line_bytes)
            observation = parse_line(line, account_id, checked)
        except ValueError as error:
            raise MalformedLine(str(path), number, str(error)) from None
        yield observation
