"""Schemathesis over /openapi.json: generated requests to every operation, authenticated as an
admin, against the seeded calendar on SQLite. No answer is a 500, and every answer matches the
schema the document gives for its status code.

Bounded and repeatable: `MAX_EXAMPLES` per operation, derandomized (a fixed seed), no deadline.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import response_schema_conformance

from calendar_service.api import create_app
from calendar_service.bootstrap import Container
from calendar_service.config import load_settings
from calendar_service.seed import apply_seed
from tests.integration.api.support import opened, token

MAX_EXAMPLES = 25


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Container, str]]:
    directory: Path = tmp_path_factory.mktemp("fuzz")
    with opened(load_settings(store=f"sqlite:///{directory}/events.db")) as container:
        apply_seed(container.store, lambda: datetime.now(UTC))
        container.projector.catch_up_all()
        yield container, token(container, "Fuzzing admin", admin=True)


@pytest.fixture(scope="module")
def app(seeded: tuple[Container, str]) -> FastAPI:
    return create_app(seeded[0])


def test_no_generated_request_gets_a_500_or_an_answer_outside_the_schema(
    app: FastAPI, seeded: tuple[Container, str]
) -> None:
    """Each operation in turn, with its own bounded Hypothesis run. (Driven directly rather
    than through schemathesis' pytest plugin, which does not load under this pytest.)"""
    auth = {"Authorization": f"Bearer {seeded[1]}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operations.append(result.ok())
    assert len(operations) >= 20
    failures: dict[str, BaseException] = {}
    for operation in operations:

        @settings(
            max_examples=MAX_EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate],
        )
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            case.call_and_validate(
                headers=auth, checks=[not_a_server_error, response_schema_conformance]
            )

        try:
            run()
        except Exception as error:  # collected, so one run names every failing operation
            failures[operation.label] = error
    assert not failures, "\n\n".join(f"{label}: {error}" for label, error in failures.items())


def test_the_document_declares_bearer_auth_and_the_error_body(app: FastAPI) -> None:
    document = app.openapi()
    assert document["components"]["securitySchemes"]["StaffToken"]["scheme"] == "bearer"
    reschedule = document["paths"]["/api/engagements/{engagement_id}/reschedule"]["post"]
    for status in ("401", "404", "409", "412", "413", "422", "428"):
        content = reschedule["responses"][status]["content"]["application/json"]
        assert content["schema"]["$ref"].endswith("/ErrorOut"), status
    headers = {p["name"] for p in reschedule["parameters"] if p["in"] == "header"}
    assert headers == {"If-Match", "Idempotency-Key"}
    json.dumps(document)
