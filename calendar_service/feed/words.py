"""The feed's words, as catalogue msgids: each table maps a domain value to the English words
marked for extraction (`N_`, `NP_`), and `feed.describe` translates them with `words_for(lang)`
where they are shown. No table here is keyed by a language: the translations are in
`calendar_service/words/locale`, months, countries and zone clocks come from CLDR
(`calendar_service.words`).

`audience_names()`, `zone_cities()` and `zone_city` keep the shapes reminder messages imported
before they took their words from the catalogue (`feed.AUDIENCE_NAMES`, `feed.ZONE_CITIES`);
they are thin views over the catalogue, to go once nothing imports them.
"""

from __future__ import annotations

from collections.abc import Mapping

from calendar_service.domain import (
    LANGUAGES,
    Audience,
    EngagementKind,
    EventStatus,
    Origin,
    Participation,
)
from calendar_service.words import N_, NP_, words_for
from calendar_service.words import zone_city as cldr_zone_city

CALENDAR_NAME = N_("Diplomatic calendar (%(audience)s)")
"""What a feed calls itself (NAME, X-WR-CALNAME)."""
AUDIENCES = {
    Audience.PUBLIC: NP_("audience", "public"),
    Audience.STAFF: NP_("audience", "staff"),
    Audience.RESTRICTED: NP_("audience", "restricted"),
}
"""Who may see an item (context "audience"; the same words as the reminder messages')."""
KINDS = {
    EngagementKind.MEETING: NP_("kind", "Meeting"),
    EngagementKind.VISIT: NP_("kind", "Visit"),
    EngagementKind.FORUM: NP_("kind", "Forum"),
    EngagementKind.EXPO: NP_("kind", "Expo"),
    EngagementKind.SIGNING: NP_("kind", "Signing"),
    EngagementKind.ANNIVERSARY: NP_("kind", "Anniversary"),
    EngagementKind.DEADLINE: NP_("kind", "Deadline"),
}
"""An item's kind (CATEGORIES)."""
STATUSES = {
    EventStatus.TENTATIVE: N_("tentative"),
    EventStatus.CONFIRMED: N_("confirmed"),
    EventStatus.HELD: N_("held"),
    EventStatus.CANCELLED: N_("cancelled"),
}
"""The engagement's own status."""
PARTICIPATION = {
    Participation.INVITED: N_("invited, participation undecided"),
    Participation.DECISION_PENDING: N_("invited, decision pending"),
    Participation.ATTENDING: N_("attending"),
    Participation.DECLINED: N_("declined"),
    Participation.DELEGATED: N_("delegated"),
}
"""The province's part (not_applicable says nothing)."""
PARTS_OF_DAY = {
    "morning": NP_("part of day", "morning"),
    "afternoon": NP_("part of day", "afternoon"),
    "evening": NP_("part of day", "evening"),
}
ORIGINS = {
    Origin.ARTICLE: NP_("source", "article"),
    Origin.EXTERNAL: NP_("source", "external"),
    Origin.ASSUMED: NP_("source", "assumed"),
}
"""Where a source's fact comes from."""
ROLES = {
    "host": NP_("role", "host"),
    "invitee": NP_("role", "invitee"),
    "inviter": NP_("role", "inviter"),
    "party": NP_("role", "party"),
    "head_of_delegation": NP_("role", "head of delegation"),
    "visiting_dignitary": NP_("role", "visiting dignitary"),
}
"""A participant's role; a role not listed is shown as written (underscores as spaces)."""


def audience_name(audience: Audience, lang: str) -> str:
    return words_for(lang).pgettext("audience", AUDIENCES[audience])


def calendar_name(audience: Audience, lang: str) -> str:
    """'Diplomatic calendar (staff)', '외교 일정 (직원)'."""
    return words_for(lang).gettext(CALENDAR_NAME, audience=audience_name(audience, lang))


def audience_names() -> dict[Audience, dict[str, str]]:
    """`AUDIENCE_NAMES[audience][lang]`, as reminder messages used it: from the catalogue."""
    return {a: {lang: audience_name(a, lang) for lang in LANGUAGES} for a in Audience}


_SHIMMED_ZONES = ("Asia/Seoul", "Asia/Shanghai", "Asia/Tokyo")


def zone_cities() -> dict[str, dict[str, str]]:
    """`ZONE_CITIES[tz][lang]`, as reminder messages used it: CLDR's exemplar cities."""
    return {tz: {lang: cldr_zone_city(tz, lang) for lang in LANGUAGES} for tz in _SHIMMED_ZONES}


def zone_city(tz: str, lang: str, cities: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """What `cities` calls the zone's clock in `lang`, else CLDR's exemplar city."""
    known = None if cities is None else cities.get(tz)
    if known is not None and lang in known:
        return known[lang]
    return cldr_zone_city(tz, lang)


__all__ = [
    "AUDIENCES",
    "CALENDAR_NAME",
    "KINDS",
    "ORIGINS",
    "PARTICIPATION",
    "PARTS_OF_DAY",
    "ROLES",
    "STATUSES",
    "audience_name",
    "audience_names",
    "calendar_name",
    "zone_cities",
    "zone_city",
]
