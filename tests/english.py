"""Find English catalogue words left in a Korean or Chinese rendering.

A Korean or Chinese reader must never meet an English word that is not a name: every word the
service writes comes from the catalogue, so any English msgid (or a piece of one between its
placeholders) found in a ko or zh rendering is a word that was not translated or not taken from
the catalogue. Matching is case-sensitive and by whole words, outside URLs and identifiers
(`sisterhood-anniversary`); pieces shorter than three letters ("to", "at") are left out, as
they also occur inside names and addresses.
"""

from __future__ import annotations

import re
from functools import cache

from calendar_service.words import english_msgids

_PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]")
_LETTERS = re.compile(r"[A-Za-z]{3,}")
_URL = re.compile(r"(?:https?|webcal|mailto):[^\s<>\"']+")


@cache
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    found: dict[str, re.Pattern[str]] = {}
    for msgid in english_msgids():
        for piece in _PLACEHOLDER.split(msgid):
            piece = piece.strip(" .,:;()[]·–-—\n")
            if piece and _LETTERS.search(piece) and piece not in found:
                found[piece] = re.compile(rf"(?<![\w/.-]){re.escape(piece)}(?![\w/-])")
    return tuple(found.items())


def english_words(text: str, *, names: tuple[str, ...] = ()) -> list[str]:
    """The catalogue's English words and phrases found in `text`, after removing `names`
    (names of people, places, products that a reader meets in every language)."""
    text = " ".join(_URL.sub(" ", text).split())
    for name in sorted(set(names), key=len, reverse=True):  # a name inside a longer text last
        text = text.replace(" ".join(name.split()), " ")
    return sorted(piece for piece, pattern in _patterns() if pattern.search(text))
