"""ItemSet behaves exactly as a set of non-negative ints (Hypothesis)."""

from hypothesis import given
from hypothesis import strategies as st

from civicarchive.store.itemset import ItemSet

IDS = st.lists(st.integers(min_value=0, max_value=3_000_000), max_size=300)


@given(IDS, st.integers(min_value=-5, max_value=3_000_010))
def test_itemset_behaves_as_a_set_of_ids(ids, probe):
    items = ItemSet(reversed(ids))
    assert (probe in items) == (probe in set(ids))
    assert len(items) == len(set(ids)) and bool(items) == bool(ids)
    assert list(items) == sorted(set(ids))


def test_itemset_a_million_ids_take_little_memory():
    items = ItemSet(range(1, 1_000_001))
    assert len(items) == 1_000_000 and 1_000_000 in items and 1_000_001 not in items
    assert len(items._bits) < 300_000  # bytes; a set of a million ints takes ~60 MB
