"""CARv1 files as atproto repositories use them: a header naming the root, then blocks,
each a CIDv1 (sha2-256, dag-cbor or raw) and its bytes. Every block is checked against
its hash as it is loaded, and a file that fails is refused."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import libipld

from civicarchive.connectors.base import ImportContext
from civicarchive.errors import InvalidInput

DAG_CBOR, RAW, SHA2_256 = 0x71, 0x55, 0x12


class Repository:
    """The blocks of a CARv1 file by CID, each checked against its hash on load."""

    def __init__(self, data: bytes, where: str) -> None:
        self.where = where
        self.data = data
        self.gaps = 0  # missing or unreadable tree nodes and records
        try:
            roots, pos = header(data)
        except ValueError as error:
            raise InvalidInput(f"{where}: not a CAR file ({error})") from None
        self.root = roots[0]
        self.spans: dict[bytes, tuple[int, int]] = {}
        self.sections: dict[bytes, int] = {}   # where each block's length prefix starts
        self.head = data[:pos]
        while pos < len(data):
            section = pos
            length, pos = varint(data, pos, where)
            end = pos + length
            if end > len(data):
                raise InvalidInput(f"{where}: the last block is cut short; the download is "
                                   "incomplete, export the repository again")
            cid, codec, digest, start = read_cid(data, pos, end, where)
            if codec not in (DAG_CBOR, RAW):
                raise InvalidInput(f"{where}: block {cid_text(cid)} has codec {codec:#x}, not "
                                   "dag-cbor or raw; not an atproto repository")
            if hashlib.sha256(data[start:end]).digest() != digest:
                raise InvalidInput(f"{where}: block {cid_text(cid)} does not match its hash: "
                                   "the repository was altered or damaged; refusing it")
            self.spans[cid] = (start, end)
            self.sections[cid] = section
            pos = end

    def block(self, cid: bytes) -> bytes | None:
        span = self.spans.get(cid)
        return None if span is None else self.data[span[0]:span[1]]

    def records(self, context: ImportContext, partial: bool = False
                ) -> Iterator[tuple[str, bytes]]:
        """(key, record CID) for every leaf of the tree under the commit, in key order.
        `partial`: the file holds only part of the tree (a `since` diff, a proof), so a
        node that is not in it is skipped without counting as a gap."""
        for key, cid, _ in self.leaves(context, partial):
            yield key, cid

    def leaves(self, context: ImportContext, partial: bool = False
               ) -> Iterator[tuple[str, bytes, tuple[bytes, ...]]]:
        """(key, record CID, the CIDs of the tree nodes from the root down to the leaf's
        node) for every leaf of the tree under the commit, in key order."""
        commit = libipld.decode_dag_cbor(self.block(self.root))
        stack: list[tuple[bytes, str | None, tuple[bytes, ...]]] = [(commit["data"], None, ())]
        seen: set[bytes] = set()
        last = ""
        while stack:
            cid, key, path = stack.pop()
            if key is not None:
                if key <= last:
                    context.problem(self.where, f"tree key {key!r} is out of order; kept")
                last = key
                yield key, cid, path
                continue
            if cid in seen:  # a DAG re-using a subtree would repeat records endlessly
                context.problem(self.where, f"tree node {cid_text(cid)} is reached twice; "
                                "skipped the second time")
                continue
            seen.add(cid)
            if partial and isinstance(cid, bytes) and cid not in self.spans:
                continue
            here = (*path, cid)
            stack.extend((child, name, here)
                         for child, name in reversed(self._expand(cid, context)))

    def proof(self, path: tuple[bytes, ...], record: bytes) -> bytes:
        """A CAR proving one record: the signed commit, the tree nodes from the root down
        to the record's leaf, and the record (the shape `com.atproto.sync.getRecord`
        returns), made of this file's own bytes: its header and each block as framed in
        it (the root named first, so the header stays valid)."""
        return self.head + b"".join(self.data[self.sections[cid]:self.spans[cid][1]]
                                    for cid in dict.fromkeys((self.root, *path, record))
                                    if cid in self.spans)

    def _expand(self, cid: bytes, context: ImportContext) -> list[tuple[bytes, str | None]]:
        """A node's children in key order: left subtree, then each entry and its subtree."""
        try:
            if not isinstance(cid, bytes) or self.block(cid) is None:
                raise ValueError("the block is not in the file (a partial export?)")
            node = libipld.decode_dag_cbor(self.block(cid))
            children = [(node["l"], None)] if node.get("l") else []
            key = b""
            for entry in node["e"]:
                key = key[:entry["p"]] + entry["k"]
                if not isinstance(entry["v"], bytes):
                    raise ValueError(f"the value of {key!r} is not a link")
                children.append((entry["v"], key.decode()))
                if entry.get("t"):
                    children.append((entry["t"], None))
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
            self.gaps += 1
            context.problem(self.where, f"tree node {cid_text(cid)} cannot be read ({error}); "
                            "its records were skipped and deletions are not inferred")
            return []
        return children


def header(data: bytes) -> tuple[list[bytes], int]:
    """The roots of a CARv1 header and where the first block starts; ValueError if not."""
    length, pos = varint(data, 0, "")
    if not 0 < length <= len(data) - pos:
        raise ValueError("no CAR header")
    header = libipld.decode_dag_cbor(data[pos:pos + length])
    if not isinstance(header, dict) or header.get("version") != 1:
        raise ValueError("the header is not a CARv1 header")
    roots = header.get("roots")
    if not isinstance(roots, list) or not roots or not isinstance(roots[0], bytes):
        raise ValueError("the header is not version 1 with a root")
    return roots, pos + length


def varint(data: bytes, pos: int, where: str) -> tuple[int, int]:
    value = shift = 0
    while pos < len(data) and shift < 64:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
    raise (InvalidInput(f"{where}: a length is cut short or too long; the file is damaged")
           if where else ValueError("bad varint"))


def read_cid(data: bytes, pos: int, end: int, where: str) -> tuple[bytes, int, bytes, int]:
    """A block's CIDv1: its bytes, codec and sha2-256 digest, and where the block starts."""
    version, at = varint(data, pos, where)
    codec, at = varint(data, at, where)
    hash_code, at = varint(data, at, where)
    size, at = varint(data, at, where)
    if version != 1 or hash_code != SHA2_256 or size != 32 or at + size > end:
        raise InvalidInput(f"{where}: a block at byte {pos} has a CID that is not CIDv1 with "
                           "sha2-256; atproto repositories use only those: refusing it")
    return data[pos:at + size], codec, data[at:at + size], at + size


def cid_text(cid: object) -> str:
    try:
        return libipld.encode_cid(cid)
    except (ValueError, TypeError):
        return cid.hex() if isinstance(cid, bytes) else repr(cid)
