"""Helpers for the API tests: an app over a real store, staff tokens, and a client that speaks
the API's conventions (bearer token, If-Match from the last ETag)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from calendar_service.api import create_app
from calendar_service.bootstrap import Container, build
from calendar_service.config import Settings, load_settings
from calendar_service.domain import Audience
from calendar_service.projections import NullNudger
from calendar_service.staff.tokens import issue_token

with warnings.catch_warnings():
    # starlette asks for `httpx2`; the project uses httpx, which works the same here.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

BACKENDS = ["sqlite", "redis"]


def settings_for(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for a fresh store of `backend`: a SQLite file, or a Redis prefix of its own
    (a test Redis keeps nothing on disk, hence CALENDAR_REDIS_ALLOW_EPHEMERAL)."""
    if backend == "sqlite":
        return load_settings(store=f"sqlite:///{tmp_path}/events.db", base_url="http://testserver")
    redis_url = request.getfixturevalue("redis_url")
    prefix = request.getfixturevalue("redis_prefix")
    monkeypatch = request.getfixturevalue("monkeypatch")
    monkeypatch.setenv("CALENDAR_REDIS_ALLOW_EPHEMERAL", "true")
    return load_settings(store=f"{redis_url}?prefix={prefix}", base_url="http://testserver")


@contextmanager
def opened(settings: Settings) -> Iterator[Container]:
    container = build(settings, nudger=NullNudger())
    try:
        yield container
    finally:
        container.close()


def token(
    container: Container, actor: str, *, admin: bool = False, clearance: Audience | None = None
) -> str:
    return issue_token(
        container.store,
        container.projector,
        actor=actor,
        admin=admin,
        clearance=clearance,
        by="test",
    ).token


class Api:
    """A TestClient acting with one bearer token."""

    def __init__(self, container: Container, secret: str | None) -> None:
        self.container = container
        self.client = TestClient(create_app(container), raise_server_exceptions=False)
        self.secret = secret

    def headers(self, **extra: str) -> dict[str, str]:
        found = {} if self.secret is None else {"Authorization": f"Bearer {self.secret}"}
        return {**found, **extra}

    def as_(self, secret: str | None) -> Api:
        other = Api.__new__(Api)
        other.container, other.client, other.secret = self.container, self.client, secret
        return other

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params=params, headers=self.headers())

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        return self.client.post(path, json=body, headers=self.headers(**headers))

    def delete(self, path: str, **headers: str) -> Any:
        return self.client.delete(path, headers=self.headers(**headers))

    def version(self, engagement_id: str) -> str:
        """The engagement's current ETag, as a write's If-Match."""
        response = self.get(f"/api/engagements/{engagement_id}")
        assert response.status_code == 200, response.text
        return str(response.headers["etag"])

    def command(self, engagement_id: str, verb: str, body: Any = None) -> Any:
        """POST a task command with the current ETag as If-Match; asserts 200."""
        response = self.post(
            f"/api/engagements/{engagement_id}/{verb}",
            body,
            **{"If-Match": self.version(engagement_id)},
        )
        assert response.status_code == 200, response.text
        return response


def invitation(engagement_id: str, month: str = "2027-06", **extra: Any) -> dict[str, Any]:
    """A creating body: an invitation to a forum in `month`, in Dalian."""
    return {
        "mode": "invitation",
        "engagement_id": engagement_id,
        "kind": "forum",
        "direction": "outbound",
        "title": {"en": "Summer Davos 2027", "ko": "2027 하계 다보스포럼"},
        "when": {"kind": "month", "month": month, "tz": "Asia/Shanghai"},
        "place": {"city": {"en": "Dalian"}, "country": "CN", "tz": "Asia/Shanghai"},
        "inviter": "hao-peng",
        "channel": "letter",
        "sources": [{"origin": "assumed", "claim": "A test invitation."}],
        **extra,
    }
