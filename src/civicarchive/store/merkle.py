"""RFC 9162 Merkle tree hashing: leaves, roots, inclusion and consistency proofs.

leaf = SHA-256(0x00 || entry), node = SHA-256(0x01 || left || right). The tree over n
leaves splits at k, the largest power of two below n (RFC 9162 section 2.1.1). Pure
functions over bytes; nothing here touches storage.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable, Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def leaf_hashes(entries: Iterable[bytes]) -> list[bytes]:
    """`leaf_hash` of each entry, without a Python call per entry (bulk ingest)."""
    sha256 = hashlib.sha256
    return [sha256(b"\x00" + entry).digest() for entry in entries]


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class Frontier:
    """The roots of the perfect subtrees that make up a tree of `size` leaves.

    Appending is O(log n) amortised and the root is O(log n), so a signed checkpoint can
    be cut after every write without rereading the ledger.
    """

    __slots__ = ("size", "_stack")

    def __init__(self, size: int = 0, stack: Sequence[bytes] = ()) -> None:
        if len(stack) != bin(size).count("1"):
            raise ValueError("frontier does not match its tree size")
        self.size = size
        self._stack = list(stack)  # largest subtree first

    def append(self, leaf: bytes) -> None:
        stack = self._stack
        stack.append(leaf)
        size = self.size
        while size & 1:  # merge equal-sized subtrees, as a binary counter carries
            right = stack.pop()
            stack[-1] = node_hash(stack[-1], right)
            size >>= 1
        self.size += 1

    def extend(self, leaves: Iterable[bytes]) -> None:
        """`append` each leaf in turn (the same tree), inlined for bulk ingest."""
        stack, size, sha256 = self._stack, self.size, hashlib.sha256
        for leaf in leaves:
            stack.append(leaf)
            carry = size
            while carry & 1:
                right = stack.pop()
                stack[-1] = sha256(b"\x01" + stack[-1] + right).digest()
                carry >>= 1
            size += 1
        self.size = size

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        root = self._stack[-1]
        for left in reversed(self._stack[:-1]):
            root = node_hash(left, root)
        return root

    def hashes(self) -> list[bytes]:
        return list(self._stack)


def root_of(leaves: Sequence[bytes]) -> bytes:
    """Merkle tree hash of a list of leaf hashes."""
    frontier = Frontier()
    for leaf in leaves:
        frontier.append(leaf)
    return frontier.root()


def _largest_power_of_two_below(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_path(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """The audit path for leaf `index` in the tree over `leaves` (RFC 9162 2.1.3.1)."""
    if not 0 <= index < len(leaves):
        raise ValueError(f"leaf {index} is outside a tree of {len(leaves)}")
    path: list[bytes] = []
    lo, hi = 0, len(leaves)
    while hi - lo > 1:
        k = _largest_power_of_two_below(hi - lo)
        if index - lo < k:
            path.append(root_of(leaves[lo + k:hi]))
            hi = lo + k
        else:
            path.append(root_of(leaves[lo:lo + k]))
            lo += k
    path.reverse()
    return path


def inclusion_paths(indexes: Iterable[int], leaves: Sequence[bytes]) -> dict[int, list[bytes]]:
    """The audit paths of many leaves in one pass over the tree: every subtree hash is
    computed once, however many paths need it (the same paths as `inclusion_path`)."""
    wanted = sorted(set(indexes))
    if wanted and not (0 <= wanted[0] and wanted[-1] < len(leaves)):
        raise ValueError(f"leaves {wanted[0]}..{wanted[-1]} are outside a tree of "
                         f"{len(leaves)}")
    paths: dict[int, list[bytes]] = {i: [] for i in wanted}

    def walk(lo: int, hi: int, inside: list[int]) -> bytes:
        if hi - lo == 1:
            return leaves[lo]
        k = _largest_power_of_two_below(hi - lo)
        split = bisect.bisect_left(inside, lo + k)
        left_in, right_in = inside[:split], inside[split:]
        left = walk(lo, lo + k, left_in) if left_in else root_of(leaves[lo:lo + k])
        right = walk(lo + k, hi, right_in) if right_in else root_of(leaves[lo + k:hi])
        for i in left_in:
            paths[i].append(right)
        for i in right_in:
            paths[i].append(left)
        return node_hash(left, right)

    if wanted:
        walk(0, len(leaves), wanted)
    return paths


def root_from_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes:
    """Recompute the root from an audit path (RFC 9162 2.1.3.2); raises on a bad shape."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise ValueError("audit path is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("audit path is shorter than the tree is deep")
    return r


def consistency_path(old_size: int, leaves: Sequence[bytes]) -> list[bytes]:
    """Proof that the tree of `old_size` leaves is a prefix of the tree over `leaves`."""
    new_size = len(leaves)
    if not 0 < old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to {new_size}")

    def subproof(m: int, lo: int, hi: int, complete: bool) -> list[bytes]:
        n = hi - lo
        if m == n:
            return [] if complete else [root_of(leaves[lo:hi])]
        k = _largest_power_of_two_below(n)
        if m <= k:
            return subproof(m, lo, lo + k, complete) + [root_of(leaves[lo + k:hi])]
        return subproof(m - k, lo + k, hi, False) + [root_of(leaves[lo:lo + k])]

    return subproof(old_size, 0, new_size, True)


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes,
                       path: Sequence[bytes]) -> bool:
    """Check a consistency proof (RFC 9162 2.1.4.2)."""
    if not 0 < old_size <= new_size:
        return False
    if old_size == new_size:
        return not path and old_root == new_root
    if not path:
        return False
    path = list(path)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is the first node
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root
