"""The gettext catalogue, loaded from the `.po` files and compiled in memory on first use.

Compiling at start (Babel's `read_po` then `write_mo`) means an install needs no build step and
a translator's edit to a `.po` file shows at the next start. Fuzzy entries are left out, so a
guessed translation never reaches a reader: the word stays English until someone confirms it,
and the catalogue test fails meanwhile.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from calendar_service.domain import LANGUAGES

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "messages"


def N_(message: str) -> str:
    """Mark a word for the catalogue where it is defined (a table); translate it where shown."""
    return message


def NP_(context: str, message: str) -> str:
    """`N_` with a context (`pgettext`'s first argument), for a word with two meanings."""
    return message


class Words:
    """The catalogue in one language. `%(name)s` placeholders are filled from keyword arguments
    after translation, so a translator may move them: `_("Due %(day)s", day=...)`."""

    def __init__(self, lang: str, translations: NullTranslations) -> None:
        self.lang = lang
        self._t = translations

    def gettext(self, message: str, **values: Any) -> str:
        text = self._t.gettext(message)
        return text % values if values else text

    _ = gettext

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        text = self._t.ngettext(singular, plural, n)
        return text % {"n": n, **values}

    def pgettext(self, context: str, message: str, **values: Any) -> str:
        text = str(self._t.pgettext(context, message))
        return text % values if values else text

    def __repr__(self) -> str:
        return f"Words({self.lang!r})"


@cache
def words_for(lang: str) -> Words:
    """The catalogue in `lang` (one of LANGUAGES); English, the msgids themselves, otherwise."""
    if lang not in LANGUAGES or lang == "en":
        return Words("en", NullTranslations())
    return Words(lang, _compiled(lang))


def _compiled(lang: str) -> Translations:
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=lang, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def english_msgids() -> frozenset[str]:
    """Every English word and phrase of the catalogue (msgids and plural msgids), for tests
    that look for English left in a Korean or Chinese rendering."""
    with (LOCALE_DIR / f"{DOMAIN}.pot").open("rb") as pot:
        catalog = read_po(pot)
    found: set[str] = set()
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        found.update(ids)
    return frozenset(found)


__all__ = ["DOMAIN", "LANGUAGES", "LOCALE_DIR", "NP_", "N_", "Words", "english_msgids", "words_for"]
