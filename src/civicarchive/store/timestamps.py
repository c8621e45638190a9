"""RFC 3161 time-stamp tokens on checkpoints: their rows, and checking one.

A token is the DER `TimeStampResp` a time-stamping authority returned for the SHA-256 of
a checkpoint's body: `openssl ts -verify -in TOKEN -data BODY -CAfile TSA-CA.pem` checks
it. Rows are only added: a miss (the authority was down) is a row with its error, so the
archive shows when its witness was away.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import orjson
import sqlalchemy as sa
from cryptography import x509
from rfc3161_client import (HashAlgorithm, PKIStatus, TimestampRequestBuilder,
                            VerificationError, VerifierBuilder, decode_timestamp_response)
from sqlalchemy.engine import Connection

from civicarchive.errors import InvalidInput
from civicarchive.store import schema as t
from civicarchive.store.checkpoint_file import CheckpointFile

SHA256 = x509.ObjectIdentifier("2.16.840.1.101.3.4.2.1")


def load_roots(ca_file: Path | None) -> list[x509.Certificate]:
    """The authority's CA certificates (PEM); none when no file is configured."""
    if ca_file is None:
        return []
    try:
        return x509.load_pem_x509_certificates(ca_file.read_bytes())
    except (OSError, ValueError) as error:
        raise InvalidInput(f"{ca_file}: not a PEM certificate file: {error}") from None


def timestamp_request(body_text: str) -> tuple[bytes, int | None]:
    """The DER TimeStampReq for a checkpoint body (SHA-256, a nonce, the TSA's
    certificate asked for), and its nonce."""
    request = TimestampRequestBuilder().data(body_text.encode()) \
        .hash_algorithm(HashAlgorithm.SHA256).build()
    return request.as_bytes(), request.nonce


def token_problem(token: bytes, body_text: str, roots: Sequence[x509.Certificate] = (),
                  nonce: int | None = None) -> str | None:
    """What is wrong with `token` as a timestamp of `body_text`, or None. With `roots`
    (the TSA's CA certificates) its signature and certificate chain are checked too."""
    try:
        response = decode_timestamp_response(token)
    except ValueError as error:
        return f"not an RFC 3161 time-stamp response: {error}"
    if response.status not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        return f"the authority refused it (status {response.status})"
    imprint = response.tst_info.message_imprint
    if imprint.hash_algorithm != SHA256 or \
            imprint.message != hashlib.sha256(body_text.encode()).digest():
        return "it timestamps other bytes than this checkpoint's body"
    if nonce is not None and response.tst_info.nonce != nonce:
        return "its nonce is not the one asked for"
    if roots:
        builder = VerifierBuilder()
        for root in roots:
            builder = builder.add_root_certificate(root)
        try:
            builder.build().verify_message(response, body_text.encode())
        except VerificationError as error:
            return f"its signature does not verify with the authority's CA: {error}"
    return None


def token_time(token: bytes) -> str:
    """When the authority says it saw the checkpoint (genTime), ISO 8601 UTC."""
    return decode_timestamp_response(token).tst_info.gen_time.isoformat()


def newest_checkpoint(conn: Connection) -> sa.Row | None:
    """The newest checkpoint's id, body, signature and frontier."""
    c = t.checkpoints.c
    return conn.execute(sa.select(c.id, c.body, c.signature, c.frontier, c.tree_size)
                        .order_by(c.id.desc()).limit(1)).first()


def token_of(conn: Connection, checkpoint_id: int) -> bytes | None:
    """The first token stored for a checkpoint, or None."""
    ts = t.checkpoint_timestamps.c
    row = conn.execute(sa.select(ts.token).where(ts.checkpoint_id == checkpoint_id,
                                                 ts.token.is_not(None))
                       .order_by(ts.id).limit(1)).first()
    return bytes(row.token) if row else None


def add(conn: Connection, checkpoint_id: int, tsa_url: str, requested_at: str,
        token: bytes | None, error: str | None) -> None:
    """Record an answer (a token) or a miss (an error)."""
    conn.execute(t.checkpoint_timestamps.insert(), [{
        "checkpoint_id": checkpoint_id, "tsa_url": tsa_url, "requested_at": requested_at,
        "token": token, "error": error}])


def tokens(conn: Connection) -> Iterator[tuple[int, int, bytes]]:
    """(row id, checkpoint id, token) of every token stored, in order."""
    ts = t.checkpoint_timestamps.c
    for row in conn.execute(sa.select(ts.id, ts.checkpoint_id, ts.token)
                            .where(ts.token.is_not(None)).order_by(ts.id)):
        yield row.id, row.checkpoint_id, bytes(row.token)


def summary(conn: Connection) -> dict[str, int]:
    """How many checkpoints carry a token, and how many requests missed."""
    ts = t.checkpoint_timestamps.c
    stamped = conn.execute(sa.select(sa.func.count(sa.distinct(ts.checkpoint_id)))
                           .where(ts.token.is_not(None))).scalar_one()
    missed = conn.execute(sa.select(sa.func.count()).where(ts.token.is_(None))).scalar_one()
    return {"timestamped_checkpoints": stamped, "timestamp_misses": missed}


def timestamp_problems(conn: Connection, roots: Sequence[x509.Certificate] = ()
                       ) -> Iterator[tuple[str, str]]:
    """(where, what) for every stored token that is not a timestamp of its checkpoint."""
    bodies = dict(conn.execute(sa.select(t.checkpoints.c.id, t.checkpoints.c.body)).all())
    for row_id, checkpoint_id, token in tokens(conn):
        problem = token_problem(token, bodies.get(checkpoint_id, ""), roots)
        if problem:
            yield (f"timestamp {row_id} (checkpoint {checkpoint_id})", problem)


def newest_checkpoint_file(conn: Connection, public_key_raw: bytes) -> CheckpointFile | None:
    """The newest checkpoint as a checkpoint file, with its first token if it has one."""
    newest = newest_checkpoint(conn)
    if newest is None:
        return None
    return CheckpointFile(newest.body, bytes(newest.signature), public_key_raw,
                          tuple(bytes.fromhex(h) for h in orjson.loads(newest.frontier)),
                          token_of(conn, newest.id))
