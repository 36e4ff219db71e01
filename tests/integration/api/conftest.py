"""Every API test runs against the SQLite store and against Redis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from calendar_service.bootstrap import Container
from calendar_service.config import Settings
from calendar_service.domain import Audience
from tests.integration.api.support import BACKENDS, Api, opened, settings_for, token


@pytest.fixture(params=BACKENDS)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    return settings_for(request.param, request, tmp_path)


@pytest.fixture
def container(settings: Settings) -> Iterator[Container]:
    with opened(settings) as built:
        yield built


@pytest.fixture
def officer(container: Container) -> Api:
    """A protocol officer's token (not an admin), cleared for restricted engagements: the tests
    of what a narrower clearance reads issue their own tokens (`test_clearance.py`)."""
    return Api(container, token(container, "Officer Lee Ji-won", clearance=Audience.RESTRICTED))


@pytest.fixture
def admin(officer: Api) -> Api:
    return officer.as_(token(officer.container, "Admin Park", admin=True))
