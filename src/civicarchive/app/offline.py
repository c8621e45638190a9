"""What needs no archive: checking a policy file and rendering it, comparing two, and
verifying an inclusion proof or an evidence package offline, as a third party would."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from civicarchive.errors import InvalidInput
from civicarchive.policy import PolicyProblem
from civicarchive.store.checkpoint import load_public_key
from civicarchive.store.proof import ProofResult, parse_proof, verify_proof


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


def read_proof(data: bytes, where: str) -> object:
    """A proof file's JSON, read strictly (docs/proof-format.md): no member named twice,
    no byte order mark, no NaN; ProofError naming `where` otherwise."""
    return parse_proof(data, where)


def check_proof(doc: object, trusted_key: bytes | None = None) -> ProofResult:
    """Verify an inclusion proof offline; `trusted_key` (PEM or base64) pins the signer."""
    try:
        key = load_public_key(trusted_key) if trusted_key else None
    except ValueError as error:
        raise InvalidInput(f"the trusted public key is not an Ed25519 key: {error}",
                           parameter="public_key") from None
    return verify_proof(doc, key)
