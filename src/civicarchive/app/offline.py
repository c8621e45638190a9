"""What needs no archive: checking a policy file and rendering it, comparing two,
verifying an inclusion proof or an evidence package offline, as a third party would, and
trying the moderation engine on a file of comments."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from civicarchive.errors import InvalidInput
from civicarchive.policy import PolicyProblem
from civicarchive.store.checkpoint import load_public_key
from civicarchive.store.proof import ProofResult, parse_proof, verify_proof

if TYPE_CHECKING:
    from civicarchive.moderation import Comment, Moderator, Verdict
    from civicarchive.policy import Policy

# The policy `moderation check` uses when it is given none and finds no adopted one.
DEFAULT_MODERATION_EXAMPLE = "washington-local.yaml"
CHECK_CHUNK = 256  # comments per call to the engine (the encoder batches within one)


def policy_problems(path: Path | str, platforms: Iterable[str] = ()) -> list[PolicyProblem]:
    """Every problem in an agency policy file, with file:line:column; with `platforms`,
    also the records on those platforms that no series, or more than one, would cover."""
    from civicarchive import policy
    problems = policy.check_policy(path)
    if platforms and not any(p.severity is policy.Severity.ERROR for p in problems):
        overlaps, gaps = policy.assignment_report(policy.load_policy(path), tuple(platforms))
        problems += [PolicyProblem(str(path), 1, 1, f"no record series covers {gap}")
                     for gap in gaps]
        problems += [PolicyProblem(str(path), 1, 1, f"{overlap.combination} falls into "
                                   f"several series: {', '.join(overlap.series)}")
                     for overlap in overlaps]
    return problems


def render_policy(path: Path | str, fmt: str, audience: str = "everyone") -> bytes:
    """The agency's social media policy document, or the guide for officials (audience
    `officials`), as md, html or pdf, from its policy file."""
    from civicarchive import policy
    return policy.render(policy.load_policy(path), fmt, audience)


def guide_sha256(path: Path | str) -> str:
    """The SHA-256 of the officials' guide (its Markdown) rendered from a policy file: the
    version an acknowledgement of it records."""
    from civicarchive import policy
    from civicarchive.policy.guide import guide_sha256 as of_policy
    return of_policy(policy.load_policy(path))


def diff_policy_files(old: Path | str, new: Path | str) -> str:
    """A policy change as a diff of both the file and the rendered document."""
    from civicarchive import policy
    return policy.diff_policies(old, new)


def verify_package(folder: Path | str, trusted_key: bytes | None = None) -> list[str]:
    """Every problem in an evidence package (empty when sound), checked offline."""
    from civicarchive.exports.verification import verify_evidence_package
    return verify_evidence_package(Path(folder), trusted_key)


# A proof holds one version's content and at most 64 hashes: far below this. A file over it
# is refused before it is read, so that a hostile one cannot take the machine's memory.
MAX_PROOF_BYTES = 32 * 2**20


def read_proof_file(path: Path) -> object:
    """`read_proof` of a file, refused unread when it is larger than any proof can be."""
    size = path.stat().st_size
    if size > MAX_PROOF_BYTES:
        raise InvalidInput(f"{path} is {size:,} bytes: an inclusion proof is at most "
                           f"{MAX_PROOF_BYTES:,}, so this is not one", parameter="file")
    return read_proof(path.read_bytes(), str(path))


def read_proof(data: bytes, where: str) -> object:
    """A proof file's JSON, read strictly (docs/proof-format.md): no member named twice,
    no byte order mark, no NaN; ProofError naming `where` otherwise."""
    return parse_proof(data, where)


def check_proof(doc: object, trusted_key: bytes | None = None) -> ProofResult:
    """Verify an inclusion proof offline; `trusted_key` (PEM or base64) pins the signer."""
    try:
        key = load_public_key(trusted_key) if trusted_key is not None else None
    except ValueError as error:
        raise InvalidInput(f"the trusted public key is not an Ed25519 key: {error}",
                           parameter="public_key") from None
    return verify_proof(doc, key)


@dataclass(frozen=True)
class CheckedLine:
    """One line of a comments file: its verdict, or why it could not be read (`error`,
    which does not repeat the line number)."""

    line: int  # 1-based
    id: str | None = None
    verdict: Verdict | None = None
    error: str | None = None

    def as_dict(self) -> dict:
        """What `moderation check --json` prints for the line."""
        head = {"line": self.line} | ({"id": self.id} if self.id is not None else {})
        return head | (self.verdict.as_dict() if self.verdict else {"error": self.error})


def moderation_policy(path: Path | str | None = None) -> tuple[Policy, str]:
    """The policy file at `path`, or the packaged Washington example; and where it came
    from, in words."""
    from civicarchive import policy
    if path is not None:
        return policy.load_policy(path), f"policy file {path}"
    example = policy.EXAMPLES / DEFAULT_MODERATION_EXAMPLE
    return policy.load_policy(example), (f"the packaged example policy "
                                         f"{DEFAULT_MODERATION_EXAMPLE} (no policy given or "
                                         f"adopted)")


def moderator(chosen: Policy, embeddings: bool | None = None) -> Moderator:
    """The engine over a policy's moderation categories, with the sentence encoder when the
    `embeddings` extra is installed and `embeddings` (None: unless CIVICARCHIVE_EMBEDDINGS
    is off), the lexical fallback otherwise."""
    from civicarchive.moderation import Moderator, embeddings as encoder
    return Moderator(chosen.moderation, embedder=encoder.load_embedder(enabled=embeddings))


def check_comments(path: Path | str, engine: Moderator) -> Iterator[CheckedLine]:
    """Every non-blank line of a JSON-lines file of {"post": ..., "comment": ...} (with
    optional "id", "author" and "thread"), judged in input order; a line that cannot be read
    gives an error naming it instead of stopping the rest. Repetition is seen across the
    file, per author."""
    from civicarchive.moderation import AuthorHistory
    history = AuthorHistory()
    with open(path, "rb") as lines:
        chunk: list[CheckedLine | tuple[int, Comment]] = []
        number = 0
        while raw := lines.readline(MAX_CHECK_LINE + 1):
            number += 1
            if len(raw) > MAX_CHECK_LINE:  # skipped a piece at a time, never held whole
                while raw and not raw.endswith(b"\n"):
                    raw = lines.readline(1024 * 1024)
                chunk.append(CheckedLine(number, error=f"the line is longer than "
                                         f"{MAX_CHECK_LINE:,} bytes; a comment and the post "
                                         "it answers fit in far less"))
                continue
            if not raw.strip():
                continue
            chunk.append(_comment(number, raw))
            if len(chunk) >= CHECK_CHUNK:
                yield from _judge(chunk, engine, history)
                chunk = []
        yield from _judge(chunk, engine, history)


def _judge(chunk: list, engine: Moderator, history: object) -> Iterator[CheckedLine]:
    comments = [entry[1] for entry in chunk if isinstance(entry, tuple)]
    verdicts = iter(engine.evaluate_many(comments, history))
    for entry in chunk:
        if isinstance(entry, CheckedLine):
            yield entry
        else:
            yield CheckedLine(entry[0], entry[1].id, next(verdicts))


FIELDS = ("post", "comment", "id", "author", "thread")
# No platform allows a comment or post near this long (Facebook: 8,000 characters for a
# comment, YouTube 10,000); a longer line is refused, not judged for minutes.
MAX_CHECK_LINE = 256 * 1024


def _comment(number: int, raw: bytes) -> CheckedLine | tuple[int, Comment]:
    import orjson

    from civicarchive.moderation import Comment
    shape = 'each line must be a JSON object such as {"post": "...", "comment": "..."}'
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        return CheckedLine(number, error=f"not JSON ({error}): {shape}")
    if not isinstance(data, dict):
        return CheckedLine(number, error=f"a JSON {type(data).__name__}, not an "
                                         f"object: {shape}")
    ident = data.get("id")
    ident = str(ident) if isinstance(ident, (str, int)) and not isinstance(ident, bool) \
        else None
    comment = data.get("comment")
    if not isinstance(comment, str) or not comment.strip():
        return CheckedLine(number, ident, error=f"no \"comment\" text: {shape}")
    for key in ("post", "author", "thread"):
        if data.get(key) is not None and not isinstance(data[key], str):
            return CheckedLine(number, ident, error=f"\"{key}\" must be a string, not "
                                                   f"{type(data[key]).__name__}")
    unknown = sorted(set(data) - set(FIELDS) - {"labels", "protected", "hard"})
    if unknown:
        return CheckedLine(number, ident, error=f"unknown field(s) {', '.join(unknown)}: "
                                               f"the fields are {', '.join(FIELDS)}")
    return number, Comment(comment, data.get("post") or "", data.get("author"),
                           data.get("thread"), ident)
