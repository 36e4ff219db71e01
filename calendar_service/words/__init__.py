"""Every word a person reads: the gettext catalogue (en, ko, zh) and the Babel formats (CLDR).
Page, messages, feed text, CLI output, deadline titles and statuses all take their words here.

- `words_for(lang)`: the catalogue in one language; `gettext`/`_`, `ngettext`, `pgettext`, each
  taking `%(name)s` placeholders as keyword arguments. `N_` and `NP_` mark words kept in tables
  (statuses, kinds) for extraction; translate them when shown with `gettext`/`pgettext`.
- `formats`: dates, ranges of days, months, clock times, durations, relative days, zone and
  country names, from CLDR through Babel, never from hand tables.

The catalogue is `locale/messages.pot` with `locale/{ko,zh}/LC_MESSAGES/messages.po`, compiled
in memory when first used. `python scripts/words.py update` re-extracts the msgids from the code
and the templates and merges them into both `.po` files; a translator then fills the new
entries. `tests/unit/test_words.py` fails on an untranslated, fuzzy or stale entry.
"""

from calendar_service.words.catalogue import (
    LANGUAGES,
    LOCALE_DIR,
    N_,
    NP_,
    Words,
    english_msgids,
    words_for,
)
from calendar_service.words.formats import (
    country_name,
    format_clock_span,
    format_day,
    format_days,
    format_duration,
    format_month,
    format_month_day,
    format_relative_days,
    format_time,
    format_weekday_day,
    format_year,
    language_name,
    month_name,
    zone_city,
    zone_name,
)

__all__ = [
    "LANGUAGES",
    "LOCALE_DIR",
    "NP_",
    "N_",
    "Words",
    "country_name",
    "english_msgids",
    "format_clock_span",
    "format_day",
    "format_days",
    "format_duration",
    "format_month",
    "format_month_day",
    "format_relative_days",
    "format_time",
    "format_weekday_day",
    "format_year",
    "language_name",
    "month_name",
    "words_for",
    "zone_city",
    "zone_name",
]
