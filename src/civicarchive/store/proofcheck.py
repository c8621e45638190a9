"""Reading and verifying inclusion proofs strictly, rule by rule (docs/proof-format.md).

Each rule of the format has an id, listed in RULES in the order the checks run, so a
proof that breaks several is reported by the first. A ProofError's message ends with
`(rule <id>)`. docs/examples/verify_proof.py enforces the same rules in the same order
without civicarchive, and docs/proof-vectors/ holds proofs that break each one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from civicarchive.errors import ProofError
from civicarchive.model import Event, Kind
from civicarchive.store.canonical import canonical_json
from civicarchive.store.checkpoint import (HEADER, HEADER_V2, fingerprint, public_raw,
                                           signature_valid)
from civicarchive.store.merkle import leaf_hash, root_from_inclusion

FORMAT = "civicarchive-inclusion-proof/1"
RULES = ("json", "duplicate-member", "unicode", "members", "types", "format",
         "version-id-range", "tree-size-range", "leaf-index-range", "audit-path-hex",
         "base64", "key-length", "signature-length", "key-trusted", "signature",
         "body-lines", "body-origin", "body-size", "body-root", "body-time", "body-number",
         "body-previous", "tree-size-match", "entry-json", "entry-type", "entry-members", "entry-canonical",
         "entry-version", "content-hash", "audit-path-length", "root-match")
MEMBERS = ("format", "version_id", "leaf_index", "entry", "content", "tree_size",
           "audit_path", "checkpoint", "public_key")
CHECKPOINT_MEMBERS = ("body", "signature")
BODY_KEYWORDS = {HEADER: ("origin", "size", "root", "time"),
                 HEADER_V2: ("origin", "size", "root", "time", "number", "previous")}
# I-JSON (RFC 7493): the integers every JSON reader, JavaScript's too, holds exactly.
MAX_INTEGER = 2**53 - 1

_HEX64 = re.compile(r"[0-9a-f]{64}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_POSITIVE = re.compile(r"[1-9][0-9]*")
_GENESIS = "0" * 64
_TIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})"
                   r"\.([0-9]{6})Z")


@dataclass(frozen=True)
class ProofResult:
    version_id: int
    leaf_index: int
    tree_size: int
    root: str
    checkpoint_time: str
    key_fingerprint: str
    content_included: bool
    entry: dict
    checkpoint_number: int | None = None  # None for a v1 body, which is not chained


def _broken(rule: str, message: str) -> ProofError:
    """The error for a proof that breaks `rule`, one of RULES."""
    return ProofError(f"{message} (rule {rule})")


def parse_proof(data: bytes, where: str = "the proof file") -> object:
    """The JSON value of a proof file, read as the format requires: UTF-8 without a byte
    order mark, no NaN or Infinity, no member named twice, no unpaired surrogate. Use it
    rather than a lenient parser, which keeps the last of two members silently."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _broken("json", f"{where} is not UTF-8: byte {error.start} is invalid") from None
    if text.startswith("\ufeff"):
        raise _broken("json", f"{where} starts with a byte order mark; remove it")
    return _load_json(text, where, "json")


def _load_json(text: str, where: str, rule: str) -> object:
    def unique(pairs: list[tuple[str, object]]) -> dict:
        value = dict(pairs)
        if len(value) != len(pairs):
            names = [name for name, _ in pairs]
            twice = next(name for name in names if names.count(name) > 1)
            raise _broken("duplicate-member", f"{where} names the member {twice!r} twice")
        return value

    def constant(name: str) -> None:
        raise _broken(rule, f"{where} holds {name}, which is not JSON")

    try:
        value = json.loads(text, object_pairs_hook=unique, parse_constant=constant,
                           parse_int=_integer)
    except json.JSONDecodeError as error:
        raise _broken(rule, f"{where} is not JSON: {error.msg} at line {error.lineno} "
                            f"column {error.colno}") from None
    except (ValueError, RecursionError) as error:  # 5,000-digit numbers, deep nesting
        raise _broken(rule, f"{where} is not JSON this verifier can read: {error}") from None
    _check_unicode(value, where)
    return value


def _integer(text: str) -> int | float:
    """A JSON integer as written; -0, which a lenient reader takes for 0, is not one the
    format writes: read as the float -0.0, it fails the checks for an integer."""
    return -0.0 if text == "-0" else int(text)


def _check_unicode(value: object, where: str) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise _broken("unicode", f"{where} holds a string with an unpaired surrogate "
                                         f"({item[:20]!r}), which has no UTF-8 form") from None


def _shown(value: object) -> str:
    text = json.dumps(value, default=repr)
    return text if len(text) <= 40 else text[:37] + "..."


def verify_proof(doc: object, trusted_key: Ed25519PublicKey | None = None) -> ProofResult:
    """Check a proof (as `parse_proof` reads it) against every rule of the format;
    raises ProofError naming the first rule it breaks."""
    _check_unicode(doc, "the proof")
    doc = _members(doc)
    _check_types(doc)
    if doc["format"] != FORMAT:
        raise _broken("format", f"format is {_shown(doc['format'])}, not {FORMAT!r}")
    version_id, index, size = doc["version_id"], doc["leaf_index"], doc["tree_size"]
    if not 1 <= version_id <= MAX_INTEGER:
        raise _broken("version-id-range", f"version_id {version_id} is outside 1..2^53-1")
    if not 1 <= size <= MAX_INTEGER:
        raise _broken("tree-size-range", f"tree_size {size} is outside 1..2^53-1")
    if not 0 <= index < size:
        raise _broken("leaf-index-range", f"leaf_index {index} is outside the tree: it must "
                                          f"be at least 0 and less than tree_size ({size})")
    for n, element in enumerate(doc["audit_path"]):
        if not _HEX64.fullmatch(element):
            raise _broken("audit-path-hex", f"audit_path[{n}] must be 64 lower-case hex "
                                            f"digits, not {_shown(element)}")
    path = [bytes.fromhex(element) for element in doc["audit_path"]]
    key_raw = _base64(doc["public_key"], "public_key")
    signature = _base64(doc["checkpoint"]["signature"], "checkpoint.signature")
    if len(key_raw) != 32:
        raise _broken("key-length", f"public_key is {len(key_raw)} bytes, not 32")
    if len(signature) != 64:
        raise _broken("signature-length", f"checkpoint.signature is {len(signature)} bytes, "
                                          "not 64")
    if trusted_key is not None and public_raw(trusted_key) != key_raw:
        raise _broken("key-trusted", "the proof is signed with a different key than the one "
                                     f"you trust: its key sha256 is {fingerprint(key_raw)}")
    body_text = doc["checkpoint"]["body"]
    if not signature_valid(Ed25519PublicKey.from_public_bytes(key_raw), body_text, signature):
        raise _broken("signature", "checkpoint signature does not verify with public_key")
    body = parse_body(body_text)
    if body["size"] != str(size):
        raise _broken("tree-size-match", f"proof claims tree size {size}, the signed "
                                         f"checkpoint {body['size']}")
    entry = _read_entry(doc["entry"])
    if entry["version"] != version_id:
        raise _broken("entry-version", f"the entry is for version {entry['version']}, the "
                                       f"proof names version {version_id}")
    content = doc["content"]
    if content is not None and \
            hashlib.sha256(content.encode()).hexdigest() != entry["content_sha256"]:
        raise _broken("content-hash", "content does not match the entry's content_sha256")
    try:
        root = root_from_inclusion(index, size, leaf_hash(doc["entry"].encode()), path)
    except ValueError as error:
        raise _broken("audit-path-length", f"audit path of {len(path)} hashes does not fit "
                                           f"leaf {index} of {size}: {error}") from None
    if root.hex() != body["root"]:
        raise _broken("root-match", "audit path does not lead to the signed root: the entry "
                                    "is not in the tree this checkpoint signs")
    return ProofResult(version_id=version_id, leaf_index=index, tree_size=size,
                       root=body["root"], checkpoint_time=body["time"],
                       key_fingerprint=fingerprint(key_raw),
                       content_included=content is not None, entry=entry,
                       checkpoint_number=int(body["number"]) if "number" in body else None)


def _members(doc: object) -> dict:
    """`doc` itself, once it and its checkpoint have exactly the members they must."""
    if not isinstance(doc, dict):
        raise _broken("members", f"the proof must be a JSON object, not {_shown(doc)}")
    _check_names("the proof", doc, MEMBERS)
    if not isinstance(doc["checkpoint"], dict):
        raise _broken("members", f"checkpoint must be a JSON object, not "
                                 f"{_shown(doc['checkpoint'])}")
    _check_names("checkpoint", doc["checkpoint"], CHECKPOINT_MEMBERS)
    return doc


def _check_names(where: str, value: dict, names: Iterable[str], rule: str = "members",
                 hint: str = "; every member is required (content may be null) and no "
                             "other is allowed") -> None:
    missing = [name for name in names if name not in value]
    extra = sorted(name for name in value if name not in names)
    if missing or extra:
        faults = ([f"lacks {', '.join(missing)}"] if missing else []) + \
                 ([f"has the unknown member {', '.join(extra)}"] if extra else [])
        raise _broken(rule, f"{where} {' and '.join(faults)}{hint}")


def _check_types(doc: dict) -> None:
    checkpoint = doc["checkpoint"]
    strings = {"format": doc["format"], "entry": doc["entry"],
               "checkpoint.body": checkpoint["body"],
               "checkpoint.signature": checkpoint["signature"], "public_key": doc["public_key"]}
    for name, value in strings.items():
        if type(value) is not str:
            raise _broken("types", f"{name} must be a string, not {_shown(value)}")
    for name in ("version_id", "leaf_index", "tree_size"):
        if type(doc[name]) is not int:  # not 1.0, true, "1" or -0
            raise _broken("types", f"{name} must be a JSON integer (digits only, and 0 never "
                                   f"as -0), not {_shown(doc[name])}")
    if doc["content"] is not None and type(doc["content"]) is not str:
        raise _broken("types", f"content must be a string or null, not {_shown(doc['content'])}")
    path = doc["audit_path"]
    if type(path) is not list or any(type(element) is not str for element in path):
        raise _broken("types", f"audit_path must be an array of strings, not {_shown(path)}")


def _base64(text: str, name: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise _broken("base64", f"{name} is not padded standard base64") from None
    if base64.b64encode(raw).decode() != text:
        raise _broken("base64", f"{name} is not canonical base64: the same bytes encode as "
                                f"{base64.b64encode(raw).decode()[-8:]!r} at the end")
    return raw


def _valid_time(text: str) -> bool:
    """Whether `text` is a real UTC time written YYYY-MM-DDTHH:MM:SS.ffffffZ."""
    match = _TIME.fullmatch(text)
    if match is None:
        return False
    try:
        datetime(*map(int, match.groups()))
    except ValueError:  # 2024-02-30, hour 24, second 60
        return False
    return True


def parse_body(text: str) -> dict[str, str]:
    """The values of a checkpoint body (v1 or v2) read by the format's grammar; raises
    ProofError naming the first body rule it breaks."""
    lines = text.split("\n")
    keywords = BODY_KEYWORDS.get(lines[0])
    if keywords is None or len(lines) != len(keywords) + 2 or lines[-1] != "":
        raise _broken("body-lines", f"checkpoint.body must be {HEADER!r} and four lines, or "
                                    f"{HEADER_V2!r} and six, each ended by a line feed (LF)")
    values = {}
    for number, (line, keyword) in enumerate(zip(lines[1:-1], keywords), start=2):
        if not line.startswith(keyword + " "):
            raise _broken("body-lines", f"line {number} of checkpoint.body must start with "
                                        f"{keyword!r} and one space, not {_shown(line[:20])}")
        values[keyword] = line[len(keyword) + 1:]
    for keyword, valid, form in (
            ("origin", _UUID.fullmatch, "a lower-case UUID"),
            ("size", _DECIMAL.fullmatch, "decimal digits without leading zeros"),
            ("root", _HEX64.fullmatch, "64 lower-case hex digits"),
            ("time", _valid_time, "a real UTC time written YYYY-MM-DDTHH:MM:SS.ffffffZ"),
            ("number", _POSITIVE.fullmatch, "a number from 1, without leading zeros"),
            ("previous", _HEX64.fullmatch, "64 lower-case hex digits")):
        if keyword in values and not valid(values[keyword]):
            raise _broken(f"body-{keyword}", f"checkpoint {keyword} must be {form}, not "
                                             f"{_shown(values[keyword])}")
    if "number" in values and (values["number"] == "1") != (values["previous"] == _GENESIS):
        raise _broken("body-previous", "checkpoint previous must be 64 zeros for checkpoint "
                                       "1, and the hash of the checkpoint before for any other")
    return values


def _member_rules() -> dict[str, tuple[str, Callable[[object], bool]]]:
    def integer(value: object) -> bool:
        return type(value) is int and -MAX_INTEGER <= value <= MAX_INTEGER

    def identifier(value: object) -> bool:
        return type(value) is int and 1 <= value <= MAX_INTEGER

    def string(value: object) -> bool:
        return type(value) is str

    def time(value: object) -> bool:
        return type(value) is str and _valid_time(value)

    def digest(value: object) -> bool:
        return type(value) is str and _HEX64.fullmatch(value) is not None

    def one_of(names: set[str]) -> Callable[[object], bool]:
        return lambda value: isinstance(value, str) and value in names

    def or_null(check: Callable[[object], bool]) -> Callable[[object], bool]:
        return lambda value: value is None or check(value)

    kinds, events = {k.value for k in Kind}, {e.value for e in Event}
    return {
        "type": ('"version"', one_of({"version"})),
        "version": ("a JSON integer", integer),
        "item": ("an integer from 1 to 2^53-1", identifier),
        "account": ("an integer from 1 to 2^53-1", identifier),
        "platform": ("a string", string),
        "native_id": ("a string", string),
        "kind": (f"one of {sorted(kinds)}", one_of(kinds)),
        "parent_native_id": ("a string or null", or_null(string)),
        "author": ("a string or null", or_null(string)),
        "url": ("a string or null", or_null(string)),
        "created_at": ("a time YYYY-MM-DDTHH:MM:SS.ffffffZ or null", or_null(time)),
        "event": (f"one of {sorted(events)}", one_of(events)),
        "observed_at": ("a time YYYY-MM-DDTHH:MM:SS.ffffffZ", time),
        "recorded_at": ("a time YYYY-MM-DDTHH:MM:SS.ffffffZ", time),
        "content_sha256": ("64 lower-case hex digits", digest),
        "raw_sha256": ("64 lower-case hex digits", digest),
        "source": ("a string", string),
    }


ENTRY_MEMBERS = _member_rules()


def _read_entry(text: str) -> dict:
    entry = _load_json(text, "entry", "entry-json")
    if not isinstance(entry, dict):
        raise _broken("entry-json", f"entry must be a JSON object, not {_shown(entry)}")
    if entry.get("type") != "version":
        raise _broken("entry-type", f"the entry is of type {_shown(entry.get('type'))}, not "
                                    '"version": a proof proves a version entry')
    _check_names("entry", entry, ENTRY_MEMBERS, "entry-members", "")
    for name, (form, valid) in ENTRY_MEMBERS.items():
        if not valid(entry[name]):
            raise _broken("entry-members", f"entry member {name} must be {form}, not "
                                           f"{_shown(entry[name])}")
    # With only ASCII names, strings, small integers and null, RFC 8785 is plain sorted
    # JSON; a different text (spaces, order, escapes) would give the leaf two readings.
    if canonical_json(entry).decode() != text:
        raise _broken("entry-canonical", "entry is not RFC 8785 canonical JSON (sorted "
                                         "members, no whitespace, minimal escapes)")
    return entry
