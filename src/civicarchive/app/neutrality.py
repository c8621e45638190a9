"""The viewpoint-neutrality report: what the moderation log shows about whether comments
were removed for what they said or for a category of the policy. Pure: it reads the
comments (each with the engine's verdict under the adopted policy), the log and the
stance labels reviewers gave, and counts; the service (app/moderation.py) gathers them.

A comment counts as removed when any action of the group hid or deleted it, even if it
was later shown again: the removal happened. Rates are removed / comments, per group.
"""

from __future__ import annotations

from collections import defaultdict

REMOVALS = ("hide", "delete")

# What each figure means, in the report's own words (the text output prints these).
MEANING = {
    "actions_by_category": "how many actions of each kind were taken under each policy "
                           "clause; 'no clause' means an unhide or unblock, which needs none",
    "protected_removal_rate": "of the comments the engine marks protected speech (criticism "
                              "of the government or officials, profanity, 'offensive' speech, "
                              "without a threat or obscenity), the share hidden or deleted",
    "other_removal_rate": "of all other comments, the share hidden or deleted; a protected "
                          "rate near or above this one is a sign of viewpoint discrimination "
                          "and needs each removal's reason examined",
    "uncategorised": "hides and deletions of comments in which the engine found no category "
                     "of the policy: each needed a written reason, shown with it",
    "blocks": "people blocked from the account: a block shuts a person out of the whole "
              "forum, and is judged more strictly than hiding one comment",
    "stance": "comments of the same category compared across the stance a reviewer labelled "
              "(for, against, neutral toward the post's subject): a viewpoint-neutral practice "
              "removes comments of one category at about the same rate whatever their stance. "
              "Only labelled comments count; no model guesses viewpoint",
}


def build(comments: list[dict], actions: list[dict], labels: dict[int, dict],
          handles: dict[int, str]) -> dict:
    """The report. `comments`: item_id, account_id, protected, categories (the engine's
    verdict now); `actions`: the log; `labels`: item id -> its stance label in force."""
    by_item = {c["item_id"]: c for c in comments}
    accounts = []
    for account_id in sorted({c["account_id"] for c in comments} |
                             {a["account_id"] for a in actions}):
        scope = [c for c in comments if c["account_id"] == account_id]
        accounts.append({"account": account_id, "handle": handles.get(account_id),
                         **_figures(scope, [a for a in actions if a["account_id"] ==
                                            account_id], by_item)})
    moderators = []
    for moderator in sorted({a["acted_by"] for a in actions}):
        theirs = [a for a in actions if a["acted_by"] == moderator]
        where = {a["account_id"] for a in theirs}
        scope = [c for c in comments if c["account_id"] in where]
        moderators.append({"moderator": moderator, "accounts": sorted(where),
                           **_figures(scope, theirs, by_item)})
    return {"accounts": accounts, "moderators": moderators,
            "stance": _stance(comments, actions, labels), "meaning": MEANING,
            "comments": len(comments), "actions": len(actions), "labelled": len(labels)}


def _figures(scope: list[dict], actions: list[dict], by_item: dict[int, dict]) -> dict:
    removed = {a["item_id"] for a in actions if a["action"] in REMOVALS}
    by_category: dict[str, dict] = defaultdict(lambda: {"items": []})
    for a in actions:
        found = by_category[a["clause"] or "no clause"]
        found[a["action"]] = found.get(a["action"], 0) + 1
        if a["item_id"] not in found["items"]:
            found["items"].append(a["item_id"])
    protected = [c["item_id"] for c in scope if c["protected"]]
    others = [c["item_id"] for c in scope if not c["protected"]]
    return {
        "actions_by_category": dict(sorted(by_category.items())),
        "protected": _rate(protected, removed),
        "others": _rate(others, removed),
        "uncategorised": [_brief(a) for a in actions if a["action"] in REMOVALS
                          and not a["verdict"].get("clauses")],
        "blocks": [_brief(a) for a in actions if a["action"] == "block"],
        "unblocks": [_brief(a) for a in actions if a["action"] == "unblock"],
        # Removals of comments no longer among those judged (none today: comments stay).
        "unjudged_removals": sorted(i for i in removed if i not in by_item),
    }


def _rate(items: list[int], removed: set[int]) -> dict:
    hit = sorted(i for i in items if i in removed)
    return {"comments": len(items), "removed": len(hit),
            "rate": round(len(hit) / len(items), 4) if items else None, "items": hit}


def _stance(comments: list[dict], actions: list[dict], labels: dict[int, dict]) -> list[dict]:
    removed = {a["item_id"] for a in actions if a["action"] in REMOVALS}
    groups: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for c in comments:
        label = labels.get(c["item_id"])
        if label is None:
            continue
        for category in c["categories"] or ["no category"]:
            groups[category][label["stance"]].append(c["item_id"])
    rows = []
    for category, stances in sorted(groups.items()):
        rates = {stance: _rate(items, removed) for stance, items in sorted(stances.items())}
        known = [r["rate"] for s, r in rates.items() if s in ("for", "against")
                 and r["rate"] is not None]
        rows.append({"category": category, "stances": rates,
                     "gap": round(rates["against"]["rate"] - rates["for"]["rate"], 4)
                     if len(known) == 2 else None})
    return rows


def _brief(action: dict) -> dict:
    return {"action_id": action["id"], "action": action["action"], "item_id": action["item_id"],
            "version_id": action["version_id"], "clause": action["clause"],
            "reason": action["reason"], "author": action["author"], "by": action["acted_by"],
            "at": action["acted_at"],
            "warning": action["warning"]["message"] if action["warning"] else None}
