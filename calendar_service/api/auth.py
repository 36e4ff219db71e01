"""Who a request acts as: the staff bearer token, and the headers that make writes safe.

- `staff_of(container)` and `admin_of(container)` make the dependencies a route declares:
  401 without a token or with an unknown or revoked one, 403 for a non-admin on an admin route.
- `expected_version(if_match)` reads `If-Match: "v{n}"` (the ETag of GET
  /api/engagements/{id}). Task commands require it (428 when missing): an officer's change
  is decided against the version they saw, and a stale one gets 412 with nothing changed.
  `If-Match: *` explicitly opts into last-writer-wins.

No `from __future__ import annotations` here: FastAPI reads these annotations at run time.
"""

import re
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from calendar_service.api.errors import ApiError
from calendar_service.bootstrap import Container
from calendar_service.staff.tokens import Principal, authenticate

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="StaffToken",
    description="A staff token: `calendar-service tokens create --actor NAME [--admin]`.",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
_ENTITY_TAG = re.compile(r'(?:W/)?"v(\d{1,9})"')


def staff_of(container: Container) -> Callable[..., Principal]:
    """The dependency that authenticates a staff token (any staff member)."""

    def staff(credentials: Credentials) -> Principal:
        if credentials is None:
            raise ApiError(
                401,
                "unauthorized",
                "Send a staff token as 'Authorization: Bearer <token>'; an administrator "
                "creates one with `calendar-service tokens create --actor NAME`.",
                headers={"WWW-Authenticate": 'Bearer realm="calendar"'},
            )
        principal = authenticate(container.projector, credentials.credentials)
        if principal is None:
            raise ApiError(
                401,
                "unauthorized",
                "This token is unknown or has been revoked; ask an administrator for a new one.",
                headers={"WWW-Authenticate": 'Bearer realm="calendar", error="invalid_token"'},
            )
        return principal

    return staff


def admin_of(container: Container) -> Callable[..., Principal]:
    """The dependency for administrators' routes (a token created with --admin)."""
    staff = staff_of(container)

    def admin(principal: Annotated[Principal, Depends(staff)]) -> Principal:
        if not principal.admin:
            raise ApiError(
                403,
                "forbidden",
                f"The token of {principal.actor!r} is not an administrator's; ask an "
                "administrator to do this, or for a token created with --admin.",
            )
        return principal

    return admin


def expected_version(if_match: str | None, engagement_id: str) -> int | None:
    """The version `If-Match` names; None for `*`. 428 if missing, 422 if malformed."""
    where = f"/api/engagements/{engagement_id}"
    if if_match is None:
        raise ApiError(
            428,
            "precondition_required",
            f'Send If-Match with the ETag of GET {where} (e.g. If-Match: "v3"), so that a '
            "change someone made meanwhile is not overwritten; If-Match: * skips that check.",
        )
    value = if_match.strip()
    if value == "*":
        return None
    found = _ENTITY_TAG.fullmatch(value)
    if found is None:
        raise ApiError(
            422,
            "validation_error",
            f"If-Match {value[:40]!r} is not a version tag: send the ETag of GET {where} as "
            'it came, e.g. If-Match: "v3".',
            field="header.If-Match",
        )
    return int(found[1])
