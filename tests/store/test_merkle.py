"""RFC 9162 hashing against a direct transcription of the RFC's recursive definitions."""

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicarchive.store import merkle


def mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 2.1.1, literally: MTH over leaf *entries* (not hashes)."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def entries(n: int) -> list[bytes]:
    return [f"entry {i}".encode() for i in range(n)]


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 33, 100])
def test_merkle_root_matches_rfc_definition(n):
    leaves = [merkle.leaf_hash(e) for e in entries(n)]
    assert merkle.root_of(leaves) == mth(entries(n))


def test_merkle_empty_tree_root_is_sha256_of_nothing():
    assert merkle.Frontier().root().hex() == \
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@given(st.integers(min_value=1, max_value=70), st.data())
def test_merkle_frontier_roots_every_prefix(n, data):
    frontier = merkle.Frontier()
    leaves = [merkle.leaf_hash(e) for e in entries(n)]
    for i, leaf in enumerate(leaves):
        frontier.append(leaf)
        assert frontier.size == i + 1
    assert frontier.root() == mth(entries(n))
    # a frontier restored from its saved hashes keeps growing to the same tree
    restored = merkle.Frontier(frontier.size, frontier.hashes())
    extra = merkle.leaf_hash(b"one more")
    restored.append(extra)
    assert restored.root() == mth(entries(n) + [b"one more"])


def test_merkle_frontier_rejects_wrong_shape():
    with pytest.raises(ValueError):
        merkle.Frontier(3, [b"x" * 32])


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13, 33])
def test_merkle_inclusion_path_verifies_for_every_leaf(n):
    leaves = [merkle.leaf_hash(e) for e in entries(n)]
    root = merkle.root_of(leaves)
    for index in range(n):
        path = merkle.inclusion_path(index, leaves)
        assert merkle.root_from_inclusion(index, n, leaves[index], path) == root


def test_merkle_inclusion_rejects_wrong_index_size_and_path():
    leaves = [merkle.leaf_hash(e) for e in entries(11)]
    root = merkle.root_of(leaves)
    path = merkle.inclusion_path(6, leaves)
    assert merkle.root_from_inclusion(7, 11, leaves[6], path) != root
    # A size with the same tree shape yields the same root: the signed checkpoint binds the
    # size (tests/test_proof.py); here only sizes that change the shape can be caught, and
    # for a smaller tree the four-step path is too long.
    for size in (7, 8):
        with pytest.raises(ValueError, match="longer than the tree is deep"):
            merkle.root_from_inclusion(6, size, leaves[6], path)
    assert merkle.root_from_inclusion(6, 16, leaves[6], path) == root  # the same shape
    with pytest.raises(ValueError):
        merkle.root_from_inclusion(6, 11, leaves[6], path[:-1])
    with pytest.raises(ValueError):
        merkle.root_from_inclusion(6, 11, leaves[6], path + [root])
    with pytest.raises(ValueError):
        merkle.root_from_inclusion(11, 11, leaves[6], path)


@given(st.integers(min_value=1, max_value=40), st.integers(min_value=0, max_value=40))
def test_merkle_consistency_proofs_verify_and_bind_both_roots(old, grow):
    new = old + grow
    leaves = [merkle.leaf_hash(e) for e in entries(new)]
    old_root, new_root = merkle.root_of(leaves[:old]), merkle.root_of(leaves)
    path = merkle.consistency_path(old, leaves)
    assert merkle.verify_consistency(old, new, old_root, new_root, path)
    wrong = merkle.leaf_hash(b"forged")
    assert not merkle.verify_consistency(old, new, wrong, new_root, path)
    if old != new:
        assert not merkle.verify_consistency(old, new, old_root, wrong, path)
        if path:
            assert not merkle.verify_consistency(old, new, old_root, new_root, path[:-1])


@given(st.integers(min_value=1, max_value=70), st.data())
def test_inclusion_paths_in_one_pass_equal_one_at_a_time(size, data):
    leaves = [merkle.leaf_hash(bytes([n % 256, n // 256])) for n in range(size)]
    wanted = data.draw(st.lists(st.integers(min_value=0, max_value=size - 1), max_size=12))
    paths = merkle.inclusion_paths(wanted, leaves)
    assert set(paths) == set(wanted)
    for index in wanted:
        assert paths[index] == merkle.inclusion_path(index, leaves)
        assert merkle.root_from_inclusion(index, size, leaves[index], paths[index]) == \
            merkle.root_of(leaves)


@given(st.integers(min_value=0, max_value=40), st.integers(min_value=0, max_value=70))
def test_merkle_frontier_extend_equals_append_one_at_a_time(start, more):
    first = [merkle.leaf_hash(e) for e in entries(start)]
    added = merkle.leaf_hashes(f"more {i}".encode() for i in range(more))
    one_by_one, together = merkle.Frontier(), merkle.Frontier()
    for leaf in first + added:
        one_by_one.append(leaf)
    for leaf in first:
        together.append(leaf)
    together.extend(added)
    assert (together.size, together.hashes()) == (one_by_one.size, one_by_one.hashes())
    assert added == [merkle.leaf_hash(f"more {i}".encode()) for i in range(more)]
