"""The moderation log: the review queue of comments on registered accounts as the engine
judges them, every action a moderator takes (hide, unhide, delete, block, unblock) with
who, when, the policy clause relied on and the comment's archived version, carried out on
the platform where its API allows, and the stance labels the viewpoint-neutrality report
compares.

The queue is read a page at a time, newest first: only the comments it pages through are
judged, each verdict kept until what it depends on changes (app/verdicts.py).

Each action and label is a row and an audit event in the ledger. The comment itself is
never touched: it stays in the archive whatever happens on the platform. A hide or delete
of a comment the engine marks protected, or one it finds no policy category for, needs a
written reason and raises an alert, and so does a block of its author; a block, or a
deletion, under a post assessed likely state action or unclear carries the state-action
warning, which the log keeps.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from itertools import islice

import httpx

from civicarchive.app.compliance import Compliance
from civicarchive.app.context import ArchiveContext
from civicarchive.app.credentials import Credentials
from civicarchive.app.custody import Custody
from civicarchive.app.reading import Reading
from civicarchive.app.registry import Registry, choose
from civicarchive.app.verdicts import Judged, Verdicts, describe
from civicarchive.capture import moderation as platform
from civicarchive.errors import InvalidInput, NotFound
from civicarchive.model.moderation import ModerationKind, Stance
from civicarchive.store import capture as capture_sql
from civicarchive.store import moderation as sql

PROTECTED_REMOVED = "moderation.protected_removed"
UNCATEGORISED = "moderation.uncategorised"
CHOSE_RECORD_ONLY = "recorded only: the moderator carried the action out elsewhere"
BATCH = 500  # comments judged at most at once while a page of the queue is filled


class Moderation:
    """The review queue, the moderation log and its stance labels."""

    def __init__(self, context: ArchiveContext, registry: Registry, reading: Reading,
                 custody: Custody, compliance: Compliance, credentials: Credentials) -> None:
        self.context = context
        self.registry = registry
        self.reading = reading
        self.custody = custody
        self.compliance = compliance
        self.credentials = credentials
        self._engine = None
        self.verdicts = Verdicts(context)

    # -- the queue -----------------------------------------------------------------------

    def review(self, account_id: int | None = None, everything: bool = False,
               within: Iterable[int] | None = None, pending: bool = False) -> list[dict]:
        """Comments and replies on registered accounts (or one account; or those of the
        accounts `within`, as the web scopes it) judged by the moderation engine under the
        adopted policy, newest first: those with a recommendation (review, hide, remove)
        or marked protected, or all with `everything`; with `pending`, only those no one
        has acted on. Each carries the engine's verdict (findings with clause and footing,
        the protected-speech guard) and the latest action logged on it. Every comment is
        judged: `review_page` judges only those a page needs."""
        ids = self._scope(account_id, within)
        with self.context.read() as conn:
            last = {row["item_id"]: row for row in sql.actions(conn, account_id)}
            chosen = [j for j in self.verdicts.stream(conn, self._engine_of, ids)
                      if (everything or j.flagged) and not (pending and j.row.id in last)]
            rows = self._rows(conn, chosen, last)
        rows.sort(key=lambda r: (r["created_at"] or r["first_seen_at"], r["item_id"]),
                  reverse=True)
        return rows

    def review_page(self, account_id: int | None = None, everything: bool = False,
                    within: Iterable[int] | None = None, pending: bool = False,
                    offset: int = 0, limit: int = 20) -> dict:
        """One page of `review`: `limit` rows from `offset`, found by judging the newest
        comments until the page and one more are found (ix_items_comments_newest), so a
        page costs what it shows, not the archive. `more`: another page follows; `total`:
        how many there are, or None when finding the page left some unjudged."""
        ids = self._scope(account_id, within)
        wanted, found, read, chosen = offset + limit + 1, 0, 0, []
        with self.context.read() as conn:
            candidates = sql.newest(conn, ids, pending)
            while found < wanted:
                # As many as the share flagged so far says the rest needs (4 times more
                # while none is), BATCH at most.
                need = wanted - found
                size = need if not read else need * read // found if found else 4 * read
                batch = list(islice(candidates, min(max(size, need), BATCH)))
                if not batch:
                    break
                read += len(batch)
                for judged in self.verdicts.judge(conn, self._engine_of, ids, batch):
                    if everything or judged.flagged:
                        if offset <= found < offset + limit:
                            chosen.append(judged)
                        found += 1
            last = {row["item_id"]: row for row in sql.actions(
                conn, item_ids=[j.row.id for j in chosen])}
            rows = self._rows(conn, chosen, last)
        return {"rows": rows, "more": found > offset + limit,
                "total": found if found < wanted else None}

    def pending_counts(self, within: Iterable[int] | None = None) -> Counter:
        """Account id -> comments waiting in the queue: flagged, and no one has acted on
        them (the dashboard's figure; every comment judged, texts not read)."""
        ids = self._scope(None, within)
        with self.context.read() as conn:
            acted = {row["item_id"] for row in sql.actions(conn)}
            return Counter(j.row.account_id for j in self.verdicts.stream(
                conn, self._engine_of, ids) if j.flagged and j.row.id not in acted)

    # -- acting --------------------------------------------------------------------------

    def act(self, item_id: int, action: ModerationKind | str, actor: str,
            clause: str | None = None, reason: str | None = None, on_platform: bool = True,
            client: httpx.Client | None = None) -> dict:
        """Record one action on a comment (a block: on its author), carried out on the
        platform first when `on_platform` and its API allows. A hide, delete or block
        needs a clause (a moderation category of the adopted policy), and a written reason
        when the comment is protected or has no policy category: both raise an alert. Returns
        the logged action, with the alerts raised and any state-action warning."""
        action = choose(ModerationKind, action, "action")
        reason = " ".join(reason.split()) if reason else None
        _, policy = self.custody.policy()
        keys = {c.key for c in policy.moderation}
        if clause is not None and clause not in keys:
            raise InvalidInput(f"the adopted policy has no moderation category {clause!r} "
                               f"(categories: {', '.join(sorted(keys)) or 'none'})",
                               parameter="clause")
        if clause is None and not action.restores:
            raise InvalidInput(f"a {action.value} relies on a clause of the policy: name its "
                               f"moderation category (one of {', '.join(sorted(keys))})",
                               parameter="clause")
        found = self._one(item_id)
        if found is None:
            raise InvalidInput(f"item {item_id} is not a comment or reply on a registered "
                               f"account: only those are moderated", parameter="item")
        row, verdict = found
        account = self.registry.account(row["account_id"])
        if action in (ModerationKind.BLOCK, ModerationKind.UNBLOCK) and not row["author"]:
            raise InvalidInput(f"item {item_id} has no known author to "
                               f"{action.value}", parameter="item")
        categorised = any(f.clause for f in verdict.findings)
        alerts = []
        # A block shuts the author out of the whole forum: at least as serious as hiding
        # the one comment, so every restricting action meets the same rule.
        if action.restricts and verdict.protected:
            why = "the engine marks it protected speech"
            if verdict.guarded:
                why += ": " + "; ".join(g.explanation for g in verdict.guarded)
            if action is ModerationKind.BLOCK:
                why += " (a block shuts its author out of the whole forum)"
            alerts.append((PROTECTED_REMOVED, "high", why))
        if action.restricts and not categorised:
            alerts.append((UNCATEGORISED, "medium",
                           "the engine finds no category of the policy in it"))
        if alerts and not reason:
            raise InvalidInput(f"a {action.value} of item {item_id} needs a written reason: "
                               f"{'; and '.join(a[2] for a in alerts)}", parameter="reason")
        warning = None
        if action in (ModerationKind.BLOCK, ModerationKind.DELETE):
            found_warning = self.compliance.restriction_warning(item_id, action.value)
            warning = found_warning.as_dict() if found_warning else None
        thread = self.reading.item(row["post_id"]).native_id if row["post_id"] else None
        result = self._carry_out(account, action, row["native_id"], on_platform, client,
                                 thread)
        version = self.reading.history(item_id)[-1]
        entry = {"account_id": account.id, "item_id": item_id, "version_id": version.id,
                 "action": action.value, "clause": clause, "reason": reason,
                 "author": row["author"], "verdict": _verdict(verdict),
                 "outcome": result.outcome.value, "outcome_detail": result.detail,
                 "warning": warning}
        with self.context.write() as tx:
            action_id = sql.add_action(tx, entry, actor)
            alert_ids = [capture_sql.add_alert(
                tx, kind, account.id,
                f"{action.value} of comment {item_id} on {account.handle} by {actor} under "
                f"{clause or 'no clause'}: {why}; reason given: {reason}",
                {"severity": severity, "action_id": action_id, "item_id": item_id,
                 "version_id": version.id, "clause": clause, "reason": reason,
                 "evidence": why}, actor) for kind, severity, why in alerts]
        return {**self.action(action_id), "alerts": alert_ids}

    def action(self, action_id: int) -> dict:
        """One logged action."""
        with self.context.read() as conn:
            found = [a for a in sql.actions(conn) if a["id"] == action_id]
        if not found:
            raise NotFound("moderation action", action_id)
        return found[0]

    def log(self, account_id: int | None = None) -> list[dict]:
        """Every action logged (or one account's), oldest first."""
        with self.context.read() as conn:
            return sql.actions(conn, account_id)

    def report(self, within: Iterable[int] | None = None) -> dict:
        """The viewpoint-neutrality report (app/neutrality.py): per account and per
        moderator, actions by category, removal rates of protected comments against all
        others, removals without a category, blocks, each with the items; and removal
        rates of each category compared across the stances reviewers labelled; over the
        accounts `within` only, when given."""
        from civicarchive.app.neutrality import build
        accounts = _within(self.registry.accounts(), within)
        with self.context.read() as conn:
            judged = [{"item_id": j.row.id, "account_id": j.row.account_id,
                       "protected": j.verdict.protected, "categories": j.verdict.categories}
                      for j in self.verdicts.stream(conn, self._engine_of,
                                                    [a.id for a in accounts])]
        ids = {a.id for a in accounts}
        items = {c["item_id"] for c in judged}
        return build(judged, [a for a in self.log() if a["account_id"] in ids],
                     {i: label for i, label in self.labels().items() if i in items},
                     {a.id: a.handle for a in accounts})

    # -- stance labels -------------------------------------------------------------------

    def label(self, item_id: int, stance: Stance | str, actor: str) -> int:
        """Record a reviewer's label of a commenter's stance on one comment (for, against,
        neutral), for the viewpoint-neutrality report; the latest label is in force."""
        stance = choose(Stance, stance, "stance")
        with self.context.read() as conn:
            found = sql.comment(conn, item_id, [a.id for a in self.registry.accounts()])
        if found is None:
            raise InvalidInput(f"item {item_id} is not a comment or reply on a registered "
                               f"account: only those are labelled", parameter="item")
        with self.context.write() as tx:
            return sql.add_label(tx, item_id, stance.value, actor)

    def labels(self, within: Iterable[int] | None = None) -> dict[int, dict]:
        """Item id -> the stance label in force (on comments of the accounts `within` only,
        when given)."""
        with self.context.read() as conn:
            return sql.labels(conn, within)

    # -- helpers -------------------------------------------------------------------------

    def engine(self):  # noqa: ANN201 - a moderation.Moderator
        """The moderation engine over the adopted policy's categories (with sentence
        embeddings when the extra is installed)."""
        policy_id, policy = self.custody.policy()
        if self._engine is None or self._engine[0] != policy_id:
            from civicarchive.app.offline import moderator
            self._engine = (policy_id, moderator(policy, self.context.settings.embeddings))
        return self._engine[1]

    def _engine_of(self):  # noqa: ANN202 - (policy id, a moderation.Moderator)
        engine = self.engine()
        return self._engine[0], engine

    def _scope(self, account_id: int | None, within: Iterable[int] | None) -> list[int]:
        accounts = [self.registry.account(account_id)] if account_id is not None \
            else self.registry.accounts()
        return [a.id for a in _within(accounts, within)]

    def _one(self, item_id: int) -> tuple[dict, object] | None:
        """A comment or reply on a registered account and its verdict (judged with its
        author's earlier comments on every account), or None."""
        ids = [a.id for a in self.registry.accounts()]
        with self.context.read() as conn:
            row = sql.comment(conn, item_id, ids)
            if row is None:
                return None
            (judged,) = self.verdicts.judge(conn, self._engine_of, ids, [row])
            return describe(conn, self.context.store.blob, [judged])[0], judged.verdict

    def _rows(self, conn, judged: list[Judged], last: dict[int, dict]) -> list[dict]:  # noqa: ANN001
        handles = self.registry.handles()
        return [{**row, "handle": handles[row["account_id"]], "verdict": j.verdict.as_dict(),
                 "last_action": _brief(last[row["item_id"]]) if row["item_id"] in last
                 else None}
                for row, j in zip(describe(conn, self.context.store.blob, judged), judged)]

    def _carry_out(self, account, action: ModerationKind, native_id: str,  # noqa: ANN001
                   on_platform: bool, client: httpx.Client | None,
                   thread: str | None) -> platform.Result:
        if not platform.supported(account.platform, action.value):
            return platform.Result(platform.Outcome.RECORDED_ONLY, platform.RECORDED_ONLY)
        if not on_platform:
            return platform.Result(platform.Outcome.RECORDED_ONLY, CHOSE_RECORD_ONLY)
        token = self.credentials.token(account.id)
        if token is None:
            raise InvalidInput(f"account {account.id} has no token stored, so the {action.value}"
                               f" cannot be carried out on {account.platform}: store one "
                               f"(accounts credentials), or record the action only",
                               parameter="on_platform")
        with self.context.read() as conn:
            base_url = capture_sql.settings(conn).get(account.id, {}).get("url")
        own = client is None
        if own:
            from civicarchive.capture.http import open_client
            client = open_client(allow_loopback=self.context.settings.capture_allow_loopback)
        try:
            return platform.carry_out(account.platform, action.value, native_id, client, token,
                                      self.context.clock.now(), base_url, thread)
        finally:
            if own:
                client.close()


def _within(accounts: list, within: Iterable[int] | None) -> list:
    if within is None:
        return accounts
    wanted = set(within)
    return [a for a in accounts if a.id in wanted]


def _verdict(verdict) -> dict:  # noqa: ANN001
    """What the log keeps of the engine's verdict at the time of the action."""
    return {"categories": verdict.categories, "action": verdict.action.value,
            "protected": verdict.protected,
            "clauses": sorted({f.clause for f in verdict.findings if f.clause})}


def _brief(action: dict) -> dict:
    return {key: action[key] for key in ("id", "action", "clause", "outcome", "acted_at",
                                         "acted_by")}
