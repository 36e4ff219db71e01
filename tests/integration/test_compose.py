"""docker-compose.yml is checked without Docker: the Compose Spec schema, then its references.

No Docker engine runs on these machines, so `docker compose config` cannot be the test. These
checks catch what it would: a schema error, a command the image does not have, a setting the
service does not know, a dependency or volume that does not resolve, an env file that is missing.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from calendar_service.cli import app
from calendar_service.config import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def _command(service: dict[str, Any]) -> list[str]:
    command = service.get("command", [])
    return shlex.split(command) if isinstance(command, str) else list(command)


def test_compose_file_is_valid_against_the_compose_spec_schema() -> None:
    checker = BIN / "check-jsonschema"
    assert checker.exists(), "check-jsonschema is a dev dependency"
    done = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_compose_has_the_four_services_and_no_top_level_name(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"redis", "api", "worker", "scheduler"}
    assert "name" not in compose, "older compose tools reject a top-level name"


def test_redis_keeps_the_log_on_disk(compose: dict[str, Any]) -> None:
    redis = compose["services"]["redis"]
    assert "--appendonly" in _command(redis)
    assert _command(redis)[_command(redis).index("--appendonly") + 1] == "yes"
    assert any(volume.endswith(":/data") for volume in redis["volumes"])


def test_every_depends_on_volume_env_file_and_build_context_resolves(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    named_volumes = set(compose.get("volumes") or {})
    for name, service in services.items():
        for dependency in service.get("depends_on") or {}:
            assert dependency in services, f"{name} depends on unknown service {dependency}"
        for volume in service.get("volumes") or []:
            source = volume.split(":", 1)[0]
            if not source.startswith((".", "/")):
                assert source in named_volumes, f"{name} uses undeclared volume {source}"
        for env_file in service.get("env_file") or []:
            assert (ROOT / env_file).is_file(), f"{name}: env file {env_file} is missing"
        if "build" in service:
            context = service["build"] if isinstance(service["build"], str) else "."
            assert (ROOT / context / "Dockerfile").is_file()
        assert "healthcheck" in service or name == "scheduler", f"{name} has no health check"


def test_every_variable_in_the_env_files_is_a_setting_the_service_knows(
    compose: dict[str, Any],
) -> None:
    known = {f"CALENDAR_{field.upper()}" for field in Settings.model_fields}
    files = {f for service in compose["services"].values() for f in service.get("env_file") or []}
    assert files, "the app services share one env file"
    for env_file in files:
        for line in (ROOT / env_file).read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                variable = line.split("=", 1)[0]
                assert variable in known, f"{env_file}: {variable} is not a setting"
    for service in compose["services"].values():
        for variable in service.get("environment") or {}:
            assert variable in known, f"environment: {variable} is not a setting"


def test_every_calendar_service_command_exists_in_the_cli(compose: dict[str, Any]) -> None:
    runner = CliRunner()
    checked = 0
    for name, service in compose["services"].items():
        command = _command(service)
        if command[:1] != ["calendar-service"]:
            continue
        result = runner.invoke(app, [*command[1:2], "--help"])
        assert result.exit_code == 0, f"{name}: `{' '.join(command)}` is not a command"
        checked += 1
    assert checked >= 2


def test_the_worker_command_starts_a_celery_app_from_the_workers_package(
    compose: dict[str, Any],
) -> None:
    command = _command(compose["services"]["worker"])
    assert command[:3] == ["celery", "-A", "workers"]
    celery = shutil.which("celery", path=str(BIN))
    assert celery is not None
    done = subprocess.run(
        [celery, *command[1:4], "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "--concurrency" in done.stdout
