"""Check a civicarchive inclusion proof without civicarchive (see docs/proof-format.md).

Usage: python verify_proof.py PROOF.json [PUBLIC_KEY.pem]
Prints OK and exits 0, or prints FAILED, the reason and the rule broken, and exits 1.
Needs only the standard library and `cryptography` (for Ed25519). Every rule of the
format is checked, in the order of the document's rule table, so a proof breaking
several is reported by the first; docs/proof-vectors/ has a proof breaking each one.
"""
import base64
import binascii
import hashlib
import json
import re
import sys
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (Encoding, PublicFormat,
                                                          load_pem_public_key)

FORMAT = "civicarchive-inclusion-proof/1"
RULES = ("json", "duplicate-member", "unicode", "members", "types", "format",
         "version-id-range", "tree-size-range", "leaf-index-range", "audit-path-hex",
         "base64", "key-length", "signature-length", "key-trusted", "signature",
         "body-lines", "body-origin", "body-size", "body-root", "body-time", "body-number",
         "body-previous", "tree-size-match", "entry-json", "entry-type", "entry-members", "entry-canonical",
         "entry-version", "content-hash", "audit-path-length", "root-match")
MEMBERS = {"format", "version_id", "leaf_index", "entry", "content", "tree_size",
           "audit_path", "checkpoint", "public_key"}
# A body of each version: its header, then the keyword of each line in order.
BODY_LINES = {"civicarchive checkpoint v1": ("origin", "size", "root", "time"),
              "civicarchive checkpoint v2": ("origin", "size", "root", "time", "number",
                                             "previous")}
MAX_INTEGER = 2**53 - 1
KINDS = {"post", "comment", "reply", "message", "media", "profile"}
EVENTS = {"created", "edited", "deleted", "hidden", "unhidden", "restored"}
HEX64 = re.compile(r"[0-9a-f]{64}")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
DECIMAL = re.compile(r"0|[1-9][0-9]*")
POSITIVE = re.compile(r"[1-9][0-9]*")
TIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})"
                  r"\.([0-9]{6})Z")


class Invalid(Exception):
    def __init__(self, rule, reason):
        super().__init__(f"{reason} (rule {rule})")
        self.rule = rule


def check(condition, rule, reason):
    if not condition:
        raise Invalid(rule, reason)


def sha256(data):
    return hashlib.sha256(data).digest()


# Reading JSON: rules json, duplicate-member, unicode

def load_json(text, where, rule):
    def unique(pairs):
        names = [name for name, _ in pairs]
        for name in names:
            check(names.count(name) == 1, "duplicate-member", f"{where} names {name!r} twice")
        return dict(pairs)

    def constant(name):
        raise Invalid(rule, f"{where} holds {name}, which is not JSON")

    def integer(digits):  # -0 is no integer the format writes: as -0.0 it fails the checks
        return -0.0 if digits == "-0" else int(digits)

    try:
        value = json.loads(text, object_pairs_hook=unique, parse_constant=constant,
                           parse_int=integer)
    except (ValueError, RecursionError) as error:
        raise Invalid(rule, f"{where} is not JSON: {error}") from None
    check_unicode(value, where)
    return value


def check_unicode(value, where):
    stack = [value]
    while stack:  # every string must have a UTF-8 form: no unpaired surrogate
        item = stack.pop()
        if isinstance(item, dict):
            stack += list(item) + list(item.values())
        elif isinstance(item, list):
            stack += item
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise Invalid("unicode", f"{where} holds an unpaired surrogate") from None


def read_proof(data):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid("json", "the file is not UTF-8") from None
    check(not text.startswith("\ufeff"), "json", "the file starts with a byte order mark")
    return load_json(text, "the file", "json")


# The proof's members: rules members to signature-length

def check_members(doc):
    check(isinstance(doc, dict) and set(doc) == MEMBERS, "members",
          f"the proof must be an object with exactly the members {sorted(MEMBERS)}")
    check(isinstance(doc["checkpoint"], dict) and set(doc["checkpoint"]) == {"body", "signature"},
          "members", "checkpoint must be an object with exactly body and signature")
    for name in ("format", "entry", "public_key"):
        check(type(doc[name]) is str, "types", f"{name} must be a string")
    for name in ("body", "signature"):
        check(type(doc["checkpoint"][name]) is str, "types", f"checkpoint.{name} must be a string")
    for name in ("version_id", "leaf_index", "tree_size"):
        # json reads 1.0 and 1e0 as float, true as bool (and load_json -0 as a float):
        # none is a JSON integer
        check(type(doc[name]) is int, "types",
              f"{name} must be a JSON integer, not {json.dumps(doc[name])}")
    check(doc["content"] is None or type(doc["content"]) is str, "types",
          "content must be a string or null")
    check(type(doc["audit_path"]) is list and all(type(p) is str for p in doc["audit_path"]),
          "types", "audit_path must be an array of strings")
    check(doc["format"] == FORMAT, "format", f"format is not {FORMAT}")
    version_id, index, size = doc["version_id"], doc["leaf_index"], doc["tree_size"]
    check(1 <= version_id <= MAX_INTEGER, "version-id-range", "version_id is outside 1..2^53-1")
    check(1 <= size <= MAX_INTEGER, "tree-size-range", "tree_size is outside 1..2^53-1")
    check(0 <= index < size, "leaf-index-range", f"leaf_index {index} is outside 0..{size - 1}")
    for n, p in enumerate(doc["audit_path"]):
        check(HEX64.fullmatch(p), "audit-path-hex", f"audit_path[{n}] is not 64 lower-case hex")


def decode_base64(text, name):
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise Invalid("base64", f"{name} is not padded standard base64") from None
    check(base64.b64encode(raw).decode() == text, "base64", f"{name} is not canonical base64")
    return raw


# The checkpoint body: rules body-lines to body-previous

def real_time(text):
    match = TIME.fullmatch(text)
    try:
        return match is not None and datetime(*map(int, match.groups())) is not None
    except ValueError:  # 2024-02-30, hour 24, second 60
        return False


def parse_body(body):
    lines = body.split("\n")
    keywords = BODY_LINES.get(lines[0])
    check(keywords is not None and len(lines) == len(keywords) + 2 and lines[-1] == "",
          "body-lines", "checkpoint body must be the v1 header and four lines, or the v2 "
          "header and six, each ended by LF")
    fields = {}
    for line, keyword in zip(lines[1:-1], keywords):
        check(line.startswith(keyword + " "), "body-lines",
              f"checkpoint line {line[:20]!r} should start with {keyword!r} and one space")
        fields[keyword] = line[len(keyword) + 1:]
    check(UUID.fullmatch(fields["origin"]), "body-origin", "checkpoint origin is not a UUID")
    check(DECIMAL.fullmatch(fields["size"]), "body-size",
          "checkpoint size is not decimal digits without leading zeros")
    check(HEX64.fullmatch(fields["root"]), "body-root", "checkpoint root is not 64 hex digits")
    check(real_time(fields["time"]), "body-time",
          "checkpoint time is not a real time YYYY-MM-DDTHH:MM:SS.ffffffZ")
    if "number" in fields:  # a v2 body: numbered, and chained to the checkpoint before
        check(POSITIVE.fullmatch(fields["number"]), "body-number",
              "checkpoint number is not a number from 1 without leading zeros")
        check(HEX64.fullmatch(fields["previous"]), "body-previous",
              "checkpoint previous is not 64 hex digits")
        check((fields["number"] == "1") == (fields["previous"] == "0" * 64), "body-previous",
              "checkpoint previous must be 64 zeros exactly when the number is 1")
    return fields


# The entry: rules entry-json to entry-canonical

def is_time(value):
    return type(value) is str and real_time(value)


def is_digest(value):
    return type(value) is str and HEX64.fullmatch(value) is not None


def is_id(value):
    return type(value) is int and 1 <= value <= MAX_INTEGER


def is_text(value):
    return type(value) is str


ENTRY = {
    "type": lambda v: v == "version",
    "version": lambda v: type(v) is int and -MAX_INTEGER <= v <= MAX_INTEGER,
    "item": is_id, "account": is_id, "platform": is_text, "native_id": is_text,
    "kind": lambda v: is_text(v) and v in KINDS, "parent_native_id": lambda v: v is None or is_text(v),
    "author": lambda v: v is None or is_text(v), "url": lambda v: v is None or is_text(v),
    "created_at": lambda v: v is None or is_time(v), "event": lambda v: is_text(v) and v in EVENTS,
    "observed_at": is_time, "recorded_at": is_time, "content_sha256": is_digest,
    "raw_sha256": is_digest, "source": is_text,
}


def read_entry(text):
    entry = load_json(text, "entry", "entry-json")
    check(isinstance(entry, dict), "entry-json", "entry is not a JSON object")
    check(entry.get("type") == "version", "entry-type", "the entry is not a version entry")
    check(set(entry) == set(ENTRY), "entry-members", "entry does not have exactly the members "
          "of a version entry")
    for name, valid in ENTRY.items():
        check(valid(entry[name]), "entry-members", f"entry member {name} has the wrong form")
    # The members are now ASCII names with strings, small integers and null, for which
    # RFC 8785 canonical JSON is sorted JSON without whitespace, escaping only what it must.
    canonical = json.dumps(entry, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    check(canonical == text, "entry-canonical", "entry is not RFC 8785 canonical JSON")
    return entry


def root_from_audit_path(index, size, leaf, path):  # RFC 9162 section 2.1.3.2
    fn, sn, r = index, size - 1, leaf
    for p in path:
        check(sn != 0, "audit-path-length", "audit path is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = sha256(b"\x01" + p + r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = sha256(b"\x01" + r + p)
        fn, sn = fn >> 1, sn >> 1
    check(sn == 0, "audit-path-length", "audit path is shorter than the tree is deep")
    return r


def verify(doc, trusted_pem=None):
    """Check a proof (a parsed JSON value) against every rule; raise Invalid or say OK."""
    check_unicode(doc, "the proof")
    check_members(doc)
    key_raw = decode_base64(doc["public_key"], "public_key")
    signature = decode_base64(doc["checkpoint"]["signature"], "checkpoint.signature")
    check(len(key_raw) == 32, "key-length", "public_key is not 32 bytes")
    check(len(signature) == 64, "signature-length", "checkpoint.signature is not 64 bytes")
    if trusted_pem is not None:
        trusted = load_pem_public_key(trusted_pem).public_bytes(Encoding.Raw, PublicFormat.Raw)
        check(trusted == key_raw, "key-trusted",
              "signed with a different key than the published one")
    body = doc["checkpoint"]["body"]
    try:  # Ed25519 per RFC 8032, which rejects a signature whose S is not below L
        Ed25519PublicKey.from_public_bytes(key_raw).verify(signature, body.encode())
    except InvalidSignature:
        raise Invalid("signature", "checkpoint signature does not verify") from None
    fields = parse_body(body)
    size, index = doc["tree_size"], doc["leaf_index"]
    check(fields["size"] == str(size), "tree-size-match",
          f"tree_size {size} is not the signed size {fields['size']}")
    entry = read_entry(doc["entry"])
    check(entry["version"] == doc["version_id"], "entry-version",
          "the entry is not for the version the proof names")
    if doc["content"] is not None:
        check(sha256(doc["content"].encode()).hex() == entry["content_sha256"], "content-hash",
              "content does not match the entry's content_sha256")
    path = [bytes.fromhex(p) for p in doc["audit_path"]]
    root = root_from_audit_path(index, size, sha256(b"\x00" + doc["entry"].encode()), path)
    check(fields["root"] == root.hex(), "root-match", "audit path does not lead to the signed root")
    return (f"OK: version {entry['version']} is ledger entry {index} of {size}, signed at "
            f"{fields['time']} by key sha256 {hashlib.sha256(key_raw).hexdigest()}")


def verify_file(proof_path, pem_path=None):
    """Read and check a proof file (and the published PEM key, if given)."""
    with open(proof_path, "rb") as f:
        doc = read_proof(f.read())
    trusted_pem = None
    if pem_path is not None:
        with open(pem_path, "rb") as f:
            trusted_pem = f.read()
    return verify(doc, trusted_pem)


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.strip().splitlines()[2])
        return 2
    try:
        print(verify_file(*argv[1:]))
        return 0
    except Invalid as error:
        print(f"FAILED: {error}")
    except (OSError, ValueError) as error:  # an unreadable file or published key
        print(f"FAILED: {error}")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
