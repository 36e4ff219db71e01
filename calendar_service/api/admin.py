"""Administrators' routes: the raw log, staff tokens and feeds. Each needs an admin token.

    GET  /api/log?after=&limit=                 the log after a global position, in order
    GET  /api/admin/tokens                      staff tokens (never their secrets)
    POST /api/admin/tokens                      issue one: the secret is in this answer only
    POST /api/admin/tokens/{token_id}/revoke    refused from the next request on
    GET  /api/admin/staff                       staff reminder subscriptions
    PUT  /api/admin/staff/{staff_id}            subscribe, or change a subscription
    POST /api/admin/staff/{staff_id}/unsubscribe   no more reminders to them
    GET  /api/admin/feeds                       feeds (never their tokens)
    POST /api/admin/feeds                       create one: token and links in this answer only
    POST /api/admin/feeds/{feed_id}/revoke      its URL answers 410 Gone from now on

Feeds are created through `calendar_service.feed.tokens`, tokens issued through
`calendar_service.staff.tokens` and subscriptions made through
`calendar_service.staff.subscriptions`; a revocation or an unsubscription is a command settled
here (`service.settle`). Each write settles its projection before answering, so the change
holds from the very next request, in any process.

No `from __future__ import annotations` here: FastAPI reads these annotations at run time.
"""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query

from calendar_service.api.auth import admin_of
from calendar_service.api.schemas import (
    CreatedFeedOut,
    FeedCreateIn,
    FeedLinksOut,
    FeedOut,
    IssuedTokenOut,
    LogEventOut,
    LogOut,
    RevokedOut,
    RevokeIn,
    SubscriptionIn,
    SubscriptionOut,
    TokenCreateIn,
    TokenOut,
    UnsubscribedOut,
    error_responses,
    from_fields,
)
from calendar_service.bootstrap import Container
from calendar_service.domain import RevokeFeed, SubscribeStaff, UnsubscribeStaff
from calendar_service.domain.staff_tokens import RevokeStaffToken, check_token_id
from calendar_service.eventstore import StoredEvent
from calendar_service.feed.links import feed_links
from calendar_service.feed.tokens import create_feed, list_feeds
from calendar_service.projections.feeds import FeedRow
from calendar_service.projections.staff_tokens import StaffTokenRow
from calendar_service.service import Envelope, settle
from calendar_service.staff.subscriptions import list_subscriptions, subscribe
from calendar_service.staff.tokens import Principal, issue_token, list_tokens

MAX_LOG_PAGE = 1000
MAX_POSITION = 2**62


def router_for(container: Container) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["admin"])
    Admin = Annotated[Principal, Depends(admin_of(container))]
    store, projector, clock = container.store, container.projector, container.clock
    base_url = container.settings.base_url

    def list_route(name: str, path: str, summary: str, model: Any, rows: Callable[[], Any]) -> None:
        """Register GET {path}: what `rows()` lists, as a list of `model`."""

        def endpoint(_: Admin) -> Any:
            return rows()

        endpoint.__name__ = name
        responses = error_responses(401, 403)
        router.get(path, response_model=list[model], summary=summary, responses=responses)(endpoint)

    def create_route(
        name: str,
        path: str,
        summary: str,
        given: Any,
        model: Any,
        create: Callable[[Any, str], Any],
    ) -> None:
        """Register POST {path}: `create(body, actor)` makes what the body (a `given`)
        describes, its secret in this answer only, and answers 201 with a `model`."""

        def endpoint(principal: Admin, body: Annotated[given, Body()]) -> Any:
            return create(body, principal.actor)

        endpoint.__name__ = name
        responses = error_responses(401, 403, 413, 422, 503)
        router.post(
            path, status_code=201, response_model=model, summary=summary, responses=responses
        )(endpoint)

    def end_route(
        name: str,
        path: str,
        summary: str,
        model: Any,
        command: Callable[[str, str | None], object],
        answer: Callable[[str, bool], Any],
    ) -> None:
        """Register POST {path}: settle `command(id, reason)`, which revokes or unsubscribes
        what the path's one parameter names, for an optional reason, and answer
        `answer(id, changed)` (a `model`): whether this call changed anything."""
        field = path[path.index("{") + 1 : path.index("}")]
        IdPath = Annotated[str, Path(alias=field, max_length=64)]

        def endpoint(
            principal: Admin, item_id: IdPath, body: Annotated[RevokeIn | None, Body()] = None
        ) -> Any:
            ended = command(item_id, None if body is None else body.reason)
            outcome = settle(store, projector, ended, Envelope(principal.actor), clock)
            return answer(item_id, outcome.changed)

        endpoint.__name__ = name
        responses = error_responses(401, 403, 404, 413, 422, 503)
        router.post(path, response_model=model, summary=summary, responses=responses)(endpoint)

    @router.get(
        "/log",
        response_model=LogOut,
        summary="The raw event log after a global position, in order",
        responses=error_responses(401, 403, 422),
    )
    def get_log(
        _: Admin,
        after: Annotated[
            int, Query(ge=0, le=MAX_POSITION, description="Events after this position")
        ] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_LOG_PAGE)] = 100,
    ) -> LogOut:
        events = store.read_all(after, limit)
        return LogOut(
            events=[_event(event) for event in events],
            head=store.head(),
            next_after=events[-1].position if len(events) == limit else None,
        )

    list_route(
        "get_tokens",
        "/admin/tokens",
        "Every staff token, revoked ones too (never a secret: none is kept)",
        TokenOut,
        lambda: [_token(row) for row in list_tokens(projector)],
    )

    def issue(body: TokenCreateIn, by: str) -> IssuedTokenOut:
        issued = issue_token(
            store,
            projector,
            actor=body.actor,
            admin=body.admin,
            clearance=body.clearance,
            by=by,
            clock=clock,
        )
        return IssuedTokenOut(**_token(issued.row).model_dump(), token=issued.token)

    create_route(
        "post_token",
        "/admin/tokens",
        "Issue a staff token; its secret is in this answer and nowhere else",
        TokenCreateIn,
        IssuedTokenOut,
        issue,
    )

    end_route(
        "post_token_revoke",
        "/admin/tokens/{token_id}/revoke",
        "Revoke a staff token for good, effective from the next request",
        RevokedOut,
        lambda token_id, reason: RevokeStaffToken(token_id=check_token_id(token_id), reason=reason),
        _revoked,
    )
    list_route(
        "get_feeds",
        "/admin/feeds",
        "Every feed, revoked ones too (never a token: none is kept)",
        FeedOut,
        lambda: [_feed(row) for row in list_feeds(projector)],
    )

    def create(body: FeedCreateIn, actor: str) -> CreatedFeedOut:
        created = create_feed(
            store,
            projector,
            name=body.name,
            audience=body.audience,
            lang=body.lang,
            actor=actor,
            clock=clock,
        )
        links = FeedLinksOut(**feed_links(base_url, created.token).as_dict())
        return CreatedFeedOut(**_feed(created.feed).model_dump(), token=created.token, links=links)

    create_route(
        "post_feed",
        "/admin/feeds",
        "Create a feed for an audience; its token and links are in this answer only",
        FeedCreateIn,
        CreatedFeedOut,
        create,
    )

    end_route(
        "post_feed_revoke",
        "/admin/feeds/{feed_id}/revoke",
        "Revoke a feed for good: its URL and page answer 410 Gone from now on",
        RevokedOut,
        lambda feed_id, reason: RevokeFeed(feed_id=feed_id, reason=reason),
        _revoked,
    )

    @router.get(
        "/admin/staff",
        response_model=list[SubscriptionOut],
        summary="Staff reminder subscriptions (active ones, or all with include_inactive)",
        responses=error_responses(401, 403, 422),
    )
    def get_staff(
        _: Admin, include_inactive: Annotated[bool, Query()] = False
    ) -> list[SubscriptionOut]:
        rows = list_subscriptions(projector, include_inactive=include_inactive)
        return [SubscriptionOut.model_validate(row) for row in rows]

    @router.put(
        "/admin/staff/{staff_id}",
        response_model=SubscriptionOut,
        summary="Subscribe a staff member to reminders, or change their subscription",
        responses=error_responses(401, 403, 413, 422, 503),
    )
    def put_staff(
        principal: Admin,
        staff_id: Annotated[str, Path(max_length=64)],
        body: Annotated[SubscriptionIn, Body()],
    ) -> SubscriptionOut:
        fields = body.model_dump(exclude={"channels"})
        command = SubscribeStaff(staff_id=staff_id, channels=frozenset(body.channels), **fields)
        row = subscribe(store, projector, command, actor=principal.actor, clock=clock)
        return SubscriptionOut.model_validate(row)

    end_route(
        "post_unsubscribe",
        "/admin/staff/{staff_id}/unsubscribe",
        "Stop reminders to a staff member (their history stays)",
        UnsubscribedOut,
        lambda staff_id, reason: UnsubscribeStaff(staff_id=staff_id, reason=reason),
        lambda staff_id, changed: UnsubscribedOut(staff_id=staff_id, unsubscribed=changed),
    )
    return router


def _event(event: StoredEvent) -> LogEventOut:
    return from_fields(
        LogEventOut,
        event,
        event_id=str(event.event_id),
        correlation_id=None if event.correlation_id is None else str(event.correlation_id),
        causation_id=None if event.causation_id is None else str(event.causation_id),
    )


def _revoked(item_id: str, changed: bool) -> RevokedOut:
    return RevokedOut(id=item_id, revoked=changed)


def _token(row: StaffTokenRow) -> TokenOut:
    return from_fields(TokenOut, row, clearance=row.clearance_of.value)


def _feed(row: FeedRow) -> FeedOut:
    return from_fields(FeedOut, row, audience=row.audience.value)
