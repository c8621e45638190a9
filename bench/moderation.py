"""Moderation quality and speed on the project's own labelled comments.

    python bench/moderation.py [--no-embeddings] [--data bench/data/comments.jsonl]

Runs the engine, with the packaged Washington policy, over every comment of
bench/data/comments.jsonl in file order (repetition is seen across the stream, as
`moderation check` sees a file) and scores it against the labels (bench/data/LABELLING.md):

- per category: precision, recall and F1 over comments, on all comments and on the
  held-out part (every 5th line: 5, 10, 15...), which no threshold or word list was tuned
  on; a finding counts whatever its action (review included);
- protected: precision and recall of the `protected` flag;
- protected_false_removals: hide or remove recommendations on comments labelled
  protected (the target is 0);
- comments_per_s: the whole engine, cold (the encoder's cache emptied), best of 3 passes;
- encoder_comments_per_s: the bare sentence encoder on the same comments, batch 64, at
  the model's own length limit (256 word pieces); and at the engine's 64, for reference.

--no-embeddings (or CIVICARCHIVE_EMBEDDINGS=off) runs the lexical fallback instead. If
bench/public_business.py exists with `evaluate() -> dict`, its `public_business_f1` is
printed too.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import time
from pathlib import Path

from civicarchive import policy
from civicarchive.moderation import Action, Category, Comment, Moderator, load_embedder

HERE = Path(__file__).parent
CATEGORIES = [c.value for c in Category]


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def comments(rows: list[dict]) -> list[Comment]:
    return [Comment(r["comment"], r["post"], r.get("author"), r.get("thread"), r.get("id"))
            for r in rows]


def score(rows: list[dict], verdicts: list, indexes: list[int]) -> dict:
    result = {}
    for category in CATEGORIES:
        tp = fp = fn = 0
        for i in indexes:
            truth = category in rows[i]["labels"]
            said = category in verdicts[i].categories
            tp += truth and said
            fp += said and not truth
            fn += truth and not said
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        result[category] = (precision, recall, f1, tp + fn)
    tp = sum(rows[i]["protected"] and verdicts[i].protected for i in indexes)
    said = sum(verdicts[i].protected for i in indexes)
    truth = sum(rows[i]["protected"] for i in indexes)
    result["protected"] = (tp / said if said else 1.0, tp / truth if truth else 1.0, 0.0, truth)
    result["false_removals"] = [rows[i]["id"] for i in indexes if rows[i]["protected"] and
                                verdicts[i].action in (Action.HIDE, Action.REMOVE)]
    result["macro_f1"] = sum(result[c][2] for c in CATEGORIES) / len(CATEGORIES)
    return result


def report(name: str, result: dict) -> None:
    print(f"{name}:")
    print(f"  {'category':<22} {'precision':>9} {'recall':>7} {'f1':>6} {'n':>4}")
    for category in CATEGORIES + ["protected"]:
        precision, recall, f1, n = result[category]
        f1_text = f"{f1:6.3f}" if category != "protected" else "     -"
        print(f"  {category:<22} {precision:9.3f} {recall:7.3f} {f1_text} {n:4d}")
    print(f"  macro F1 {result['macro_f1']:.3f}; protected comments hidden or removed: "
          f"{len(result['false_removals'])} {result['false_removals'] or ''}")


def timed(moderator: Moderator, batch: list[Comment], embedder) -> float:
    best = None
    for _ in range(3):
        if embedder is not None:
            embedder.clear_cache()
        started = time.perf_counter()
        list(moderator.evaluate_many(batch))
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    return len(batch) / best


def encoder_rate(embedder, texts: list[str], tokens: int) -> float:
    before = embedder.max_tokens
    embedder.max_tokens = tokens
    embedder.encode(texts[:16])  # warm up
    embedder.clear_cache()
    started = time.perf_counter()
    embedder.encode(texts)
    rate = len(texts) / (time.perf_counter() - started)
    embedder.max_tokens = before
    return rate


def public_business() -> float | None:
    path = HERE / "public_business.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("public_business", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.evaluate().get("public_business_f1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=HERE / "data" / "comments.jsonl")
    parser.add_argument("--no-embeddings", action="store_true",
                        help="Run the lexical fallback, as without the embeddings extra.")
    args = parser.parse_args()
    if args.no_embeddings:
        os.environ["CIVICARCHIVE_EMBEDDINGS"] = "off"
    rows = read(args.data)
    batch = comments(rows)
    washington = policy.load_policy(policy.EXAMPLES / "washington-local.yaml")
    embedder = load_embedder()
    moderator = Moderator(washington.moderation, embedder=embedder)
    verdicts = list(moderator.evaluate_many(batch))
    every = list(range(len(rows)))
    held_out = every[4::5]
    print(f"{len(rows)} comments ({len(held_out)} held out); sentence encoder: "
          f"{embedder.name + ', ' + str(embedder.max_tokens) + ' word pieces' if embedder else 'none (lexical fallback)'}")
    print(f"comments sent to the encoder: {moderator.encoded} of {len(rows)}")
    everything, kept_out = score(rows, verdicts, every), score(rows, verdicts, held_out)
    report("all comments", everything)
    report("held-out comments", kept_out)
    rate = timed(Moderator(washington.moderation, embedder=embedder), batch, embedder)
    if embedder is not None:
        texts = [c.text for c in batch]
        bare = encoder_rate(embedder, texts, 256)
        print(f"bare encoder at the engine's 64 word pieces: "
              f"{encoder_rate(embedder, texts, 64):.0f} comments/s")
    figure = public_business()
    print(f"macro_f1: {everything['macro_f1']:.3f}")
    print(f"macro_f1_held_out: {kept_out['macro_f1']:.3f}")
    print(f"protected_false_removals: {len(everything['false_removals'])}")
    print(f"protected_false_removals_held_out: {len(kept_out['false_removals'])}")
    if figure is not None:
        print(f"public_business_f1: {figure:.3f}")
    print(f"comments_per_s: {rate:.0f}")
    if embedder is not None:
        print(f"encoder_comments_per_s: {bare:.0f}")


if __name__ == "__main__":
    main()
