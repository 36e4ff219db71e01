"""`calendar-service tokens` and the CLI's surface: help a new user understands, exit codes a
script relies on (0 done, 1 refused or not found, 2 bad input or settings)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.main import get_command
from typer.testing import CliRunner

from calendar_service.bootstrap import build
from calendar_service.cli import app
from calendar_service.config import load_settings
from calendar_service.projections import NullNudger
from calendar_service.staff.tokens import authenticate

runner = CliRunner()
DESIGN_COMMANDS = {
    "serve", "seed", "agenda", "history", "decisions", "export", "feeds", "tokens", "staff",
    "projections", "scheduler", "check-config",
}  # fmt: skip
"""DESIGN.md §10's commands, every one."""


@pytest.fixture
def store(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/events.db"


def test_tokens_create_shows_the_token_once_and_it_authenticates(store: str) -> None:
    created = runner.invoke(app, ["tokens", "create", "--actor", "Officer Lee", "--store", store])
    assert created.exit_code == 0, created.output
    secret = next(
        line.split(":", 1)[1].strip() for line in created.stdout.splitlines() if "token:" in line
    )
    assert len(secret) >= 43  # 256 random bits, URL-safe
    admin = runner.invoke(
        app, ["tokens", "create", "--actor", "Admin Park", "--admin", "--json", "--store", store]
    )
    assert admin.exit_code == 0, admin.output
    issued = json.loads(admin.stdout)
    assert issued["admin"] is True

    listed = runner.invoke(app, ["tokens", "list", "--json", "--store", store])
    assert listed.exit_code == 0
    assert secret not in listed.stdout
    assert issued["token"] not in listed.stdout
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(row["actor"], row["admin"]) for row in rows] == [
        ("Officer Lee", False),
        ("Admin Park", True),
    ]

    container = build(load_settings(store=store), nudger=NullNudger())
    try:
        principal = authenticate(container.projector, secret)
        assert principal is not None
        assert principal.actor == "Officer Lee"
        token_id = rows[0]["token_id"]
        revoked = runner.invoke(
            app, ["tokens", "revoke", token_id, "--reason", "left", "--store", store]
        )
        assert revoked.exit_code == 0, revoked.output
        assert "revoked" in revoked.stdout
        assert authenticate(container.projector, secret) is None
    finally:
        container.close()
    again = runner.invoke(app, ["tokens", "revoke", token_id, "--store", store])
    assert again.exit_code == 0
    assert "already revoked" in again.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["tokens", "revoke", "0123456789ab"], 1, "names no staff token"),
        (["tokens", "revoke", "Not An Id"], 2, "token_id 'Not An Id' is not valid"),
        (["tokens", "create", "--actor", ""], 2, "actor"),
        (["tokens", "create"], 2, "--actor"),
        (["tokens", "list", "--store", "ftp://nowhere"], 2, "CALENDAR_STORE"),
    ],
)
def test_tokens_exit_codes_scripts_can_rely_on(
    store: str, args: list[str], code: int, message: str
) -> None:
    extra = [] if "--store" in args else ["--store", store]
    result = runner.invoke(app, [*args, *extra], env={"COLUMNS": "200"})
    assert result.exit_code == code, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def _commands() -> dict[str, object]:
    group = get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    return dict(group.commands)


def test_every_command_of_the_design_is_there_with_help_a_new_user_understands() -> None:
    commands = _commands()
    assert set(commands) >= DESIGN_COMMANDS
    for name in commands:
        result = runner.invoke(app, [name, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (name, result.output)
        described = " ".join(result.stdout.split())
        assert "Usage:" in described, name
        help_text = getattr(commands[name], "help", None) or ""
        assert len(help_text.split()) >= 5, f"`{name}` has no real help text: {help_text!r}"


def test_every_subcommand_has_help_and_exits_0_on_help() -> None:
    for name, command in _commands().items():
        for sub, child in getattr(command, "commands", {}).items():
            result = runner.invoke(app, [name, sub, "--help"], env={"COLUMNS": "200"})
            assert result.exit_code == 0, (name, sub, result.output)
            help_text = child.help or ""
            assert len(help_text.split()) >= 4, f"`{name} {sub}` has no real help text"


def test_tokens_subcommands_each_explain_themselves() -> None:
    for sub in ("create", "list", "revoke"):
        result = runner.invoke(app, ["tokens", sub, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0
    create = " ".join(
        runner.invoke(app, ["tokens", "create", "--help"], env={"COLUMNS": "200"}).stdout.split()
    )
    assert "shown" in create or "print it, once" in create
    assert "--admin" in create
