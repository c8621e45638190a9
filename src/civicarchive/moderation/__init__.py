"""Comment moderation: a pure engine from a policy's categories to findings with reasons,
clauses and legal footing, and a guard over protected speech.

    from civicarchive.moderation import Comment, Moderator, load_embedder
    moderator = Moderator(policy.moderation, embedder=load_embedder())
    verdict = moderator.evaluate(Comment(text, post=post_text))
    verdict.action, verdict.protected, verdict.findings, verdict.guarded

No I/O, no store: callers hand it comments and a policy (app/offline.py runs it on a file).
See docs/moderation.md.
"""

from civicarchive.moderation.embeddings import Embedder, load_embedder
from civicarchive.moderation.engine import Moderator
from civicarchive.moderation.findings import (Action, Comment, Finding, Guarded, Span, Speech,
                                              Verdict)
from civicarchive.moderation.footing import Category, high_risk_clause, high_risk_word
from civicarchive.moderation.spam import AuthorHistory

__all__ = ["Action", "AuthorHistory", "Category", "Comment", "Embedder", "Finding", "Guarded",
           "Moderator", "Span", "Speech", "Verdict", "high_risk_clause", "high_risk_word",
           "load_embedder"]
