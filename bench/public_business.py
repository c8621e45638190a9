"""The compliance engines on 100 officials' posts written and labelled for this project
(bench/data/officials_posts.jsonl; how they were labelled: bench/data/LABELLING.md).

    python bench/public_business.py [--errors]

Each post is classified as public business or not (compliance/public_business.py: the
Washington example policy's agency terms and its offices' authority, plus similarity to
the agency's own posts in bench/data/agency_posts.jsonl: sentence embeddings when the
`embeddings` extra is installed, TF-IDF otherwise), and assessed for state action
(compliance/state_action.py, against the authority of the author's office in the same
policy). Figures are given on every post, on the 80 the engines were tuned on, and on
the held-out 20 (every 5th line), which nothing was tuned on. `public_business_f1` is
F1 of the public-business class over all 100; `..._terms_only` leaves similarity out.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from civicarchive.compliance.public_business import PublicBusiness  # noqa: E402
from civicarchive.compliance.state_action import Post, assess  # noqa: E402
from civicarchive.model.account import Classification  # noqa: E402
from civicarchive.policy import EXAMPLES, load_policy  # noqa: E402

POSTS = HERE / "data" / "officials_posts.jsonl"
AGENCY_POSTS = HERE / "data" / "agency_posts.jsonl"
POLICY = EXAMPLES / "washington-local.yaml"


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def held_out(index: int) -> bool:
    """Every 5th line (the 5th, 10th, ...), counted from 0 as index 4, 9, ..."""
    return index % 5 == 4


def _embedder():  # noqa: ANN202
    try:
        from civicarchive.moderation.embeddings import load_embedder
    except ImportError:
        return None
    return load_embedder()


def _f1(truth: list[bool], guess: list[bool]) -> tuple[float, float, float]:
    tp = sum(t and g for t, g in zip(truth, guess))
    fp = sum(g and not t for t, g in zip(truth, guess))
    fn = sum(t and not g for t, g in zip(truth, guess))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def run(embedder=None) -> list[dict]:  # noqa: ANN001
    """Each post with the engines' answers beside its labels."""
    policy = load_policy(POLICY)
    posts = _lines(POSTS)
    agency = [p["text"] for p in _lines(AGENCY_POSTS)]
    offices = [(policy.office(p["office"]),) for p in posts]
    terms = policy.personal_accounts.agency_terms
    with_similarity = PublicBusiness(terms, agency, embedder, agency=policy.agency)
    terms_only = PublicBusiness(terms, agency=policy.agency)
    texts = [p["text"] for p in posts]
    business = with_similarity.classify_many(texts, offices)
    plain = terms_only.classify_many(texts, offices)
    results = []
    for i, (post, found, bare, held) in enumerate(zip(posts, business, plain, offices)):
        assessment = assess(Post(post["text"], Classification(post["classification"]), held,
                                 profile=post.get("profile", "")))
        results.append({**post, "held_out": held_out(i), "found": found, "bare": bare,
                        "assessment": assessment})
    return results


def evaluate(embedder=None, load: bool = True) -> dict:  # noqa: ANN001
    """Public-business F1 and state-action accuracy: all posts, the tuned 80, the
    held-out 20; with the embedder when installed (unless `load` is False)."""
    if embedder is None and load:
        embedder = _embedder()
    results = run(embedder)
    figures: dict = {"mode": "embeddings" if embedder is not None else "lexical",
                     "posts": len(results)}
    for name, chosen in (("", results), ("_train", [r for r in results if not r["held_out"]]),
                         ("_heldout", [r for r in results if r["held_out"]])):
        truth = [r["public_business"] for r in chosen]
        precision, recall, f1 = _f1(truth, [r["found"].public_business for r in chosen])
        figures[f"public_business_precision{name}"] = precision
        figures[f"public_business_recall{name}"] = recall
        figures[f"public_business_f1{name}"] = f1
        figures[f"public_business_f1_terms_only{name}"] = _f1(
            truth, [r["bare"].public_business for r in chosen])[2]
        figures[f"state_action_accuracy{name}"] = sum(
            r["assessment"].result.value == r["state_action"] for r in chosen) / len(chosen)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--errors", action="store_true",
                        help="Also list the tuning posts the engines got wrong, with their "
                             "reasons (never the held-out ones: looking at them would make "
                             "the held-out figure a tuned one).")
    parser.add_argument("--lexical", action="store_true",
                        help="Leave the embedder out even when it is installed.")
    args = parser.parse_args()
    embedder = None if args.lexical else _embedder()
    figures = evaluate(embedder, load=False)
    for name, value in figures.items():
        print(f"{name}: {value:.3f}" if isinstance(value, float) else f"{name}: {value}")
    if not args.errors:
        return
    for r in run(embedder):
        wrong_pb = r["found"].public_business != r["public_business"]
        wrong_sa = r["assessment"].result.value != r["state_action"]
        if (wrong_pb or wrong_sa) and not r["held_out"]:
            split = "held-out" if r["held_out"] else "train"
            print(f"\n#{r['id']} ({split}, {r['office']}): {r['text']}")
            if wrong_pb:
                parts = "; ".join(f"{p.kind} {p.points:+}" for p in r["found"].parts)
                print(f"  public business: labelled {r['public_business']}, found "
                      f"{r['found'].public_business} (score {r['found'].score:.2f}: {parts})")
            if wrong_sa:
                reasons = "; ".join(f"{x.factor.value} {x.weight:+}"
                                    for x in r["assessment"].reasons)
                print(f"  state action: labelled {r['state_action']}, found "
                      f"{r['assessment'].result.value} ({reasons})")


if __name__ == "__main__":
    main()
