"""X long posts joined to their tweets, and tweet entries held back until they can go.

`note-tweet.js` (long posts) has no tweet id. A note belongs to the tweet created in the
same second whose own, truncated, text begins the note. When several tweets of that
second could begin one note, or one tweet could begin several notes (a thread posted at
once), the join is ambiguous: it is reported and the tweets keep their truncated text.
Nothing is guessed.

Edit chains (one item, versions in creation order) and tweets created in a second that
has a note cannot be emitted when they are read. They wait as their exact bytes in a
temporary file; memory holds only where to find them.
"""

from __future__ import annotations

import html
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

HEAD = 1000  # characters of a note kept in memory to match against: a tweet has 280


@dataclass(frozen=True, slots=True)
class Note:
    id: str
    file: str
    index: int
    second: datetime
    head: str             # the start of its text, unescaped, spaces collapsed
    at: tuple[int, int]   # where its entry's bytes wait


class Held:
    """Entries' exact bytes parked in a temporary file, fetched by (offset, length)."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile()
        self.size = 0

    def put(self, raw: bytes) -> tuple[int, int]:
        self.file.seek(self.size)
        self.file.write(raw)
        self.size += len(raw)
        return self.size - len(raw), len(raw)

    def get(self, at: tuple[int, int]) -> bytes:
        self.file.seek(at[0])
        return self.file.read(at[1])

    def close(self) -> None:
        self.file.close()


def opening(text: str) -> str:
    """What a tweet's text and its long post share: the words before the ellipsis X
    adds, and before the first t.co link (links are written differently in each)."""
    return " ".join(text.split("…")[0].split("https://t.co/")[0].split())


def head_of(note_text: str) -> str:
    return " ".join(html.unescape(note_text).split())[:HEAD]


class NoteJoin:
    """Notes by the second they were created, and the tweets of those seconds."""

    def __init__(self) -> None:
        self.notes: dict[datetime, list[Note]] = defaultdict(list)
        self.tweets: dict[datetime, list[tuple[str, str]]] = defaultdict(list)

    def add(self, note: Note) -> None:
        self.notes[note.second].append(note)

    def wants(self, created_at: datetime) -> bool:
        """Whether a tweet created then must wait for the join."""
        return created_at.replace(microsecond=0) in self.notes

    def offer(self, tweet_id: str, created_at: datetime, text: str) -> None:
        self.tweets[created_at.replace(microsecond=0)].append((tweet_id, opening(text)))

    def join(self, problem: Callable[[Note, str], None]) -> dict[str, Note]:
        """tweet id -> its note, for every join that is certain; the others reported."""
        joined: dict[str, Note] = {}
        for second, notes in self.notes.items():
            tweets = self.tweets.get(second, [])
            fits = {note.id: [tweet for tweet, words in tweets
                              if words and note.head.startswith(words)] for note in notes}
            claims = Counter(tweet for ids in fits.values() for tweet in ids)
            for note in notes:
                ids = fits[note.id]
                if len(ids) == 1 and claims[ids[0]] == 1:
                    joined[ids[0]] = note
                elif not ids:
                    problem(note, f"note tweet {note.id} matches no tweet created in the same "
                            f"second ({second.isoformat()}) whose text begins it; its text "
                            "was not imported")
                else:
                    rivals = sorted({n.id for n in notes for t in fits[n.id] if t in ids})
                    problem(note, f"note tweet {note.id} cannot be joined for certain: tweets "
                            f"{', '.join(ids)} of the same second could each begin it (notes "
                            f"{', '.join(rivals)}); not joined, each tweet keeps its "
                            "truncated text")
        return joined
