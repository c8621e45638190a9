"""The engine's verdicts on archived comments, judged a few at a time and kept.

A verdict depends on the comment's text, the post its thread answers, and its author's
earlier comments on the accounts judged together: the engine's stream over every comment
shows it the last HISTORY of them, in id order, to see repetition. Those are read from
the archive here (ix_items_comments_author), so a comment judged on its own, or a page of
the newest, gets the verdict that stream would give it; the moderation queue judges only
the comments it pages through.

Each verdict is kept under the ids and contents of everything it depends on (the policy,
the comment, its post, the earlier comments): a new version of any of them, a purge, or a
post archived late makes another key, so a kept verdict is never stale, and the same
comments under the same policy are judged once. The stream loses an author's history only
past the engine's 100,000 authors (spam.AuthorHistory); here every author keeps theirs.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from civicarchive.app.context import ArchiveContext
from civicarchive.model.record import Event
from civicarchive.store import moderation as sql
from civicarchive.store.people import content_texts

if TYPE_CHECKING:  # the engine loads only when a comment is judged
    from civicarchive.moderation import Moderator, Verdict
    from civicarchive.moderation.spam import Earlier

HISTORY = 50      # earlier comments per author the engine compares (AuthorHistory)
KEPT = 500_000    # verdicts kept per process; the least recently used go first
TEXTS = 100_000   # texts held while judging; more are read again
EngineOf = Callable[[], "tuple[int, Moderator]"]  # the adopted policy's id and its engine


@dataclass(frozen=True)
class Judged:
    """A comment (the store's row), the post its thread answers, its latest content and
    the engine's verdict."""

    row: object
    post_id: int | None
    deleted: bool
    content: bytes
    post_content: bytes | None
    verdict: Verdict

    @property
    def flagged(self) -> bool:
        """The engine recommends something, or marks it protected: what the queue shows."""
        return self.verdict.protected or self.verdict.action.value != "none"


class Verdicts:
    """Verdicts kept per comment, judged on demand."""

    def __init__(self, context: ArchiveContext, kept: int = KEPT) -> None:
        self.context = context
        self._kept: OrderedDict[tuple, Verdict] = OrderedDict()
        self._size = kept
        self._plain: dict[Verdict, Verdict] = {}  # one object for each verdict of nothing
        self._lock = threading.Lock()
        self.judged = 0  # comments sent to the engine (tests, benchmarks)

    def judge(self, conn, engine_of: EngineOf, account_ids: list[int],  # noqa: ANN001
              rows: list) -> list[Judged]:
        """The verdicts of these comments (store rows, in any order), judged with their
        authors' earlier comments on `account_ids`."""
        if not rows:
            return []
        roots = sql.thread_roots(conn, rows)
        before = _earlier(conn, account_ids, rows)
        involved = {r.id for r in rows} | {p for p in roots.values() if p is not None} | \
            {e for ids in before.values() for e in ids}
        contents = _contents(conn, sql.latest(conn, item_ids=involved))
        policy_id, _ = engine_of()
        judging = [(row, roots[row.id], before[row.id]) for row in rows]
        keys = [_key(policy_id, row.id, post_id, earlier, contents)
                for row, post_id, earlier in judging]
        return self._verdicts(conn, engine_of, judging, contents, keys,
                              [self._kept_verdict(key) for key in keys])

    def stream(self, conn, engine_of: EngineOf, account_ids: list[int]  # noqa: ANN001
               ) -> list[Judged]:
        """Every comment and reply of these accounts, by id, with its verdict: the
        earlier comments are those the stream has passed."""
        rows = sql.in_order(conn, account_ids)
        if not rows:
            return []
        roots = sql.thread_roots(conn, rows)
        found = sql.latest(conn, account_ids=account_ids)
        found.update(sql.latest(conn, item_ids={p for p in roots.values() if p is not None}))
        contents = _contents(conn, found)
        policy_id, _ = engine_of()
        history: dict[str, deque[int]] = {}
        judging, keys, verdicts = [], [], []
        for row in rows:
            earlier: tuple[int, ...] = ()
            if row.author:
                seen = history.setdefault(row.author, deque(maxlen=HISTORY))
                earlier = tuple(seen)
                seen.append(row.id)
            keys.append(_key(policy_id, row.id, roots[row.id], earlier, contents))
            verdicts.append(self._kept_verdict(keys[-1]))
            # the earlier ids are held only to judge what is not kept (a million comments
            # hold 50 each)
            judging.append((row, roots[row.id], earlier if verdicts[-1] is None else ()))
        return self._verdicts(conn, engine_of, judging, contents, keys, verdicts)

    def _kept_verdict(self, key: tuple) -> Verdict | None:
        with self._lock:
            verdict = self._kept.get(key)
            if verdict is not None:
                self._kept.move_to_end(key)
            return verdict

    def _verdicts(self, conn, engine_of: EngineOf, judging: list[tuple],  # noqa: ANN001
                  contents: dict[int, tuple], keys: list[tuple],
                  verdicts: list[Verdict | None]) -> list[Judged]:
        """The verdicts given, and those missing judged (and kept)."""
        _, engine = engine_of()
        missing = [n for n, verdict in enumerate(verdicts) if verdict is None]
        if missing:
            texts = _Texts(conn, self.context.store.blob, contents)
            fresh = engine.evaluate_each(_comments(texts, [judging[n] for n in missing]))
            for n, verdict in zip(missing, fresh):
                verdicts[n] = verdict
            self.judged += len(missing)
            with self._lock:
                for n in missing:
                    verdict = verdicts[n]
                    if not verdict.findings and not verdict.guarded:
                        verdict = verdicts[n] = self._plain.setdefault(verdict, verdict)
                    self._kept[keys[n]] = verdict
                while len(self._kept) > self._size:
                    self._kept.popitem(last=False)
        return [Judged(row, post_id, contents[row.id][2] == Event.DELETED,
                       contents[row.id][0], contents[post_id][0] if post_id is not None
                       else None, verdict)
                for (row, post_id, _), verdict in zip(judging, verdicts)]


def _key(policy_id: int, item_id: int, post_id: int | None, earlier: tuple[int, ...],
         contents: dict[int, tuple]) -> tuple:
    """What a comment's verdict depends on: the policy, the comment, and the contents of
    the comment, its post and its earlier comments (as a 64-bit hash: two inputs of one
    comment colliding is not a practical concern)."""
    return (policy_id, item_id, hash((
        contents[item_id][1], post_id, contents[post_id][1] if post_id is not None else None,
        tuple((e, contents[e][1]) for e in earlier))))


def describe(conn, blob, judged: Iterable[Judged]) -> list[dict]:  # noqa: ANN001
    """The comments as the queue shows them: item_id, account_id, native_id, kind, url,
    created_at, first_seen_at, deleted, text, author, post_id, post (its text, empty when
    the post is not archived)."""
    judged = list(judged)
    texts = content_texts(conn, blob, {
        **{("post", j.post_id): j.post_content for j in judged if j.post_id is not None},
        **{j.row.id: j.content for j in judged}})
    return [{"item_id": j.row.id, "account_id": j.row.account_id,
             "native_id": j.row.native_id, "kind": j.row.kind, "url": j.row.url,
             "created_at": j.row.created_at, "first_seen_at": j.row.first_seen_at,
             "deleted": j.deleted, "text": texts[j.row.id], "author": j.row.author,
             "post_id": j.post_id,
             "post": texts[("post", j.post_id)] if j.post_id is not None else ""}
            for j in judged]


def _earlier(conn, account_ids: list[int], rows: list) -> dict[int, tuple[int, ...]]:  # noqa: ANN001
    """Comment id -> the ids of its author's last HISTORY comments before it, in order:
    for each author, those before the first of the rows and every one between."""
    by_author: dict[str, list[int]] = {}
    for row in rows:
        if row.author:
            by_author.setdefault(row.author, []).append(row.id)
    found: dict[int, tuple[int, ...]] = {row.id: () for row in rows}
    for author, ids in by_author.items():
        low, high = min(ids), max(ids)
        known = sql.earlier(conn, account_ids, author, low, HISTORY)
        if high > low:
            known += sql.earlier(conn, account_ids, author, high, HISTORY, since=low)
        for item_id in ids:
            before = [e for e in known if e < item_id]
            found[item_id] = tuple(before[-HISTORY:])
    return found


def _contents(conn, latest: dict[int, tuple]) -> dict[int, tuple]:  # noqa: ANN001
    """Item id -> (content sha256, what its text depends on, event): the sha256, and
    for a purged version also whether its blob is still held (another version may keep
    it)."""
    purged = {found[2] for found in latest.values() if found[3]}
    held = sql.readable(conn, purged) if purged else set()
    return {item_id: (sha, sha if not gone else (sha, sha in held), event)
            for item_id, (_, event, sha, gone) in latest.items()}


class _Texts:
    """Texts read as judging needs them, and their normalised form, a batch at a time."""

    def __init__(self, conn, blob, contents: dict[int, tuple]) -> None:  # noqa: ANN001
        from civicarchive.moderation.spam import Earlier, normalise
        self.conn, self.blob, self.contents = conn, blob, contents
        self._earlier, self._normalise = Earlier, normalise
        self.text: dict[int, str] = {}
        self.folded: dict[int, str] = {}

    def need(self, item_ids: Iterable[int]) -> None:
        item_ids = set(item_ids)
        wanted = {i: self.contents[i][0] for i in item_ids if i not in self.text}
        if len(self.text) + len(wanted) > TEXTS:
            self.text.clear()
            self.folded.clear()
            wanted = {i: self.contents[i][0] for i in item_ids}
        if wanted:
            self.text.update(content_texts(self.conn, self.blob, wanted))

    def earlier(self, item_id: int) -> Earlier:
        """The comment as the engine's history holds it: its text normalised, its id."""
        if item_id not in self.folded:
            self.folded[item_id] = self._normalise(self.text[item_id])
        return self._earlier(self.folded[item_id], str(item_id))


def _comments(texts: _Texts, judging: list[tuple], batch: int = 256):  # noqa: ANN202
    """The engine's input for each (row, post id, earlier ids), texts read a batch ahead."""
    from civicarchive.moderation import Comment
    for start in range(0, len(judging), batch):
        chunk = judging[start:start + batch]
        texts.need({i for row, post_id, earlier in chunk
                    for i in (row.id, *earlier, *([post_id] if post_id is not None else []))})
        for row, post_id, earlier in chunk:
            post = texts.text[post_id] if post_id is not None else ""
            yield (Comment(texts.text[row.id], post, author=row.author, thread=str(post_id),
                           id=str(row.id)),
                   tuple(texts.earlier(e) for e in earlier))
