"""The key that signs message links: given, or made once and kept beside the log."""

from __future__ import annotations

from calendar_service.bootstrap import link_secret
from calendar_service.config import Settings


def test_the_link_key_is_made_once_and_kept_beside_the_sqlite_log(tmp_path) -> None:
    settings = Settings(store=f"sqlite:///{tmp_path}/events.db")
    first = link_secret(settings)
    assert len(first) >= 32
    assert link_secret(settings) == first
    assert (tmp_path / "events.link-secret").stat().st_mode & 0o077 == 0
    assert link_secret(Settings(store=settings.store, link_secret="given")) == b"given"
