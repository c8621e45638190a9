"""A set of item ids as a bitmap: ids are small, dense integers, so a million of them
take 125 KB rather than the ~60 MB of a Python set. Imports and the search index use it
to remember what a large ingest touched."""

from __future__ import annotations

from collections.abc import Iterable, Iterator


class ItemSet:
    """Item ids, one bit each."""

    def __init__(self, ids: Iterable[int] = ()) -> None:
        self._bits = bytearray()
        self._count = 0
        self.update(ids)

    def add(self, item_id: int) -> None:
        """Remember one id."""
        byte, bit = item_id >> 3, 1 << (item_id & 7)
        bits = self._bits
        if byte >= len(bits):
            bits.extend(bytes(byte - len(bits) + 1 + len(bits) // 2))  # grow by half
        if not bits[byte] & bit:
            bits[byte] |= bit
            self._count += 1

    def update(self, ids: Iterable[int]) -> None:
        """Remember these ids."""
        for item_id in ids:
            self.add(item_id)

    def __contains__(self, item_id: object) -> bool:
        if not isinstance(item_id, int) or item_id < 0:
            return False
        byte = item_id >> 3
        return byte < len(self._bits) and bool(self._bits[byte] & (1 << (item_id & 7)))

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def __iter__(self) -> Iterator[int]:
        for byte, value in enumerate(self._bits):
            if value:
                yield from (byte * 8 + bit for bit in range(8) if value & (1 << bit))
