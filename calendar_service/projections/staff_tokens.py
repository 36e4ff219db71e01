"""The staff tokens projection: token hash -> who it acts as, so the API authenticates in one read.

Tables (projection name `staff_tokens`)::

    hashes   key token hash (SHA-256 hex)   the token row: id, actor, admin, clearance, revoked,
                                            when, by whom
    tokens   key token id                   sort: created_at   the same row, to list tokens and
                                                               to find a token's hash on revoke
    problems key position                   token events that could not apply

Only hashes are kept: nothing here can be turned back into a working token. A revocation must
take effect at once, so the write path catches this projection up itself before it returns
(`calendar_service.staff.tokens`), and the API reads the row on every request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from calendar_service.domain import Audience, hash_token, token_matches
from calendar_service.domain.staff_tokens import (
    TOKEN_LIFE,
    TOKEN_STREAM_PREFIX,
    TokenEventType,
    default_clearance,
)
from calendar_service.projections import stream_rows
from calendar_service.projections.views import ViewStore

NAME = "staff_tokens"
HASHES, TOKENS = "hashes", "tokens"


class StaffTokensProjection(stream_rows.RevocableRows[TokenEventType]):
    """Staff tokens by hash and by id, as of the last applied event."""

    def __init__(self) -> None:
        super().__init__(NAME, TOKEN_STREAM_PREFIX, TOKEN_LIFE, table=TOKENS, by_hash=HASHES)


@dataclass(frozen=True)
class StaffTokenRow(stream_rows.RevocableRow):
    """A staff token as the projection holds it (never the token itself). `clearance` is
    None in a row projected before clearances existed: see `clearance_of`."""

    token_id: str
    actor: str
    admin: bool
    token_hash: str
    clearance: str | None = None

    @property
    def clearance_of(self) -> Audience:
        """The widest audience the token may read (restricted for an administrator's, staff
        for another that names none: `default_clearance`)."""
        if self.clearance is None:
            return default_clearance(self.admin)
        return Audience(self.clearance)


def token_for_secret(views: ViewStore, token: str) -> StaffTokenRow | None:
    """The staff token whose secret is `token` (revoked or not), or None. One read by hash;
    the stored hash is then compared with `hmac.compare_digest`."""
    token_hash = hash_token(token)
    found = views.get(NAME, HASHES, [token_hash]).get(token_hash)
    if found is None:
        return None
    row = StaffTokenRow.from_doc(json.loads(found))
    return row if token_matches(token, row.token_hash) else None


def token_by_id(views: ViewStore, token_id: str) -> StaffTokenRow | None:
    return stream_rows.revocable_row(views, NAME, TOKENS, token_id, StaffTokenRow)


def all_tokens(views: ViewStore) -> list[StaffTokenRow]:
    """Every staff token, oldest first."""
    return stream_rows.revocable_rows(views, NAME, TOKENS, StaffTokenRow)
