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
)
from calendar_service.read.wording import ORIGIN_WORDS as ORIGINS
from calendar_service.read.wording import PART_OF_DAY_WORDS as PARTS_OF_DAY
from calendar_service.read.wording import PARTICIPATION_WORDS as PARTICIPATION
from calendar_service.read.wording import STATUS_WORDS as STATUSES
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
