"""A schemathesis run over the API's own OpenAPI document, in process: every operation,
with generated valid and invalid input (and the ids of real records), as the admin and
as the moderator. No answer is a 5xx, and every answer is what the document says: a
documented status, its content type, a body that fits its schema.

Bounded and repeatable: a few derandomized examples per operation and mode."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance,
                                               negative_data_rejection,
                                               response_headers_conformance,
                                               response_schema_conformance,
                                               status_code_conformance)

from civicarchive.web.app import API
from tests.web.routes import MISSING, PARAMETERS

# Examples per operation: as many as a run of about 40 s allows for the operations there
# are (about 0.1 s each on 2 cores), between 3 and 12; the moderator's run and the
# invalid input get half as many.
BUDGET = 150
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


@pytest.fixture(autouse=True)
def lexical(monkeypatch):
    monkeypatch.setenv("CIVICARCHIVE_EMBEDDINGS", "off")  # the moderation engine's fallback


def document_of(deployment) -> schemathesis.BaseSchema:  # noqa: ANN001
    return schemathesis.openapi.from_asgi(f"{API}/openapi.json", deployment.app)


def real_ids(deployment, operation) -> list[dict[str, int]]:  # noqa: ANN001
    """Path parameters naming real objects of the city (and a missing id), so that the
    run sees full answers, not only 404s."""
    names = [p.name for p in operation.path_parameters]
    if not names or any(n not in PARAMETERS for n in names):
        return []
    city = {"item": deployment.items, "account": deployment.accounts}
    choices = []
    for which in ("post", "comment", "message", "city", "mayor"):
        values = {n: city.get(PARAMETERS[n], {}).get(which) for n in names}
        if all(v is not None for v in values.values()):
            choices.append(values)
    if all(PARAMETERS[n] == "version" for n in names):
        choices += [{n: v for n in names} for v in (1, 2, 3)]
    return [*choices, {n: MISSING for n in names}]


def failures_of(deployment, username: str) -> list[str]:  # noqa: ANN001
    token = deployment.token(username)
    headers = {"Authorization": f"Bearer {token}"}
    problems = []
    operations = [result.ok() for result in document_of(deployment).get_all_operations()]
    examples = max(3, min(12, BUDGET // len(operations)))
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            count = examples if mode is GenerationMode.POSITIVE and username == "admin" \
                else examples // 2 + 1
            strategy = operation.as_strategy(generation_mode=mode)
            if mode is GenerationMode.POSITIVE:
                ids = real_ids(deployment, operation)
                strategy = st.one_of(strategy, *[operation.as_strategy(
                    generation_mode=mode, path_parameters=chosen) for chosen in ids])
            checks = CHECKS + ([negative_data_rejection] if mode is GenerationMode.NEGATIVE
                               else [])

            @settings(max_examples=count, derandomize=True, database=None, deadline=None,
                      suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
            @given(case=strategy)
            def run(case) -> None:  # noqa: ANN001
                case.call_and_validate(headers=headers, checks=checks)

            try:
                run()
            except Unsatisfiable:
                if mode is not GenerationMode.NEGATIVE:
                    raise  # nothing invalid to send: an operation without input
            except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001 - report all
                problems.append(f"{username} {operation.label} ({mode.value}): "
                                f"{str(failure)[:1500]}")
    assert len(operations) >= 6, "the document lists fewer operations than main has"
    return problems


@pytest.mark.parametrize("username", ["admin", "moderator"])
def test_every_answer_is_what_the_openapi_document_says(deployment, username):
    assert failures_of(deployment, username) == []


def test_every_operation_documents_its_problems(deployment):
    """Errors are problem+json: each operation declares them with the Problem schema,
    and answering one as the document says is checked by the run above."""
    document = deployment.client().get(f"{API}/openapi.json").json()
    components = document.get("components", {}).get("schemas", {})
    missing = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            for status in ("400", "401", "403", "404", "422"):
                content = operation["responses"].get(status, {}).get("content", {})
                schema = content.get("application/problem+json", {}).get("schema", {})
                if "$ref" in schema:  # a module's own Problem model
                    schema = components[schema["$ref"].rsplit("/", 1)[-1]]
                if schema.get("title") != "Problem" or "status" not in schema.get(
                        "required", ()):
                    missing.append(f"{method.upper()} {path} {status}")
    assert missing == []


def test_a_missing_record_is_a_documented_problem(deployment):
    client = deployment.client()
    answer = client.get(f"{API}/items/{MISSING}",
                        headers={"Authorization": f"Bearer {deployment.token('admin')}"})
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json() == {"type": "about:blank", "title": "Not found", "status": 404,
                             "detail": "no item with that id"}
