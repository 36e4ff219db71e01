"""The feed's words, as catalogue msgids: each table maps a domain value to the English words
marked for extraction (`N_`, `NP_`), and `feed.describe` translates them with `words_for(lang)`
where they are shown. No table here is keyed by a language: the translations are in
`calendar_service/words/locale`, months, countries and zone clocks come from CLDR
(`calendar_service.words`).
"""

from __future__ import annotations

from calendar_service.domain import (
    Audience,
    EngagementKind,
    EventStatus,
    Origin,
    Participation,
)
from calendar_service.words import N_, NP_, words_for

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
    "calendar_name",
]
