"""The seed's own texts, which a rendering quotes in the language they were written in.

Sources are quoted as published ("He also officially invited Governor Kim ..."), and notes,
claims and the basis of a hand-set deadline are what an officer wrote: data, not the service's
words. A scan for English catalogue words leaves them out (`english.english_words(names=...)`);
a lowercase single word (a status, a kind) is never left out, so a status left untranslated is
still found.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

import yaml

from calendar_service.words import english_msgids


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


@cache
def seed_texts() -> tuple[str, ...]:
    """Every text of the packaged seed that a rendering may quote as written, longest first."""
    text = resources.files("calendar_service.seed").joinpath("engagements.yaml").read_text("utf-8")
    msgids = english_msgids()
    found: set[str] = set()
    for s in _strings(yaml.safe_load(text)):
        s = " ".join(s.split())
        if (" " in s or s[:1].isupper()) and s not in msgids:
            found.add(s)
            # A page may shorten a long note: each of its sentences is data on its own too.
            found.update(part for part in re.split(r"(?<=[.;:])\s+", s) if part.count(" ") >= 2)
    return tuple(sorted(found, key=len, reverse=True))
