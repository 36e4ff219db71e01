"""Keep the catalogue in step with the code: `python scripts/words.py update`.

- `update`: extract every marked word from the package and the templates into
  `calendar_service/words/locale/messages.pot`, then merge it into the ko and zh `.po` files
  (new entries empty, vanished ones dropped, no fuzzy guessing: an untranslated entry fails
  `tests/unit/test_words.py` until a translator fills it).
- `check`: exit 1 if the `.pot` file is not what `update` would write (the test runs this).
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "calendar_service" / "words" / "locale"
POT = LOCALE / "messages.pot"
LANGS = ("ko", "zh")
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "N_": None,
    "NP_": ((1, "c"), 2),
}
METHODS = [
    ("calendar_service/**.py", "python"),
    ("calendar_service/api/templates/**.html", "jinja2"),
]


def extract() -> Catalog:
    catalog = Catalog(project="calendar-service", charset="utf-8", fuzzy=False)
    found = extract_from_dir(
        str(ROOT),
        METHODS,
        keywords=KEYWORDS,
        comment_tags=("Translators:",),
        strip_comment_tags=True,
    )
    for filename, lineno, message, comments, context in found:
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def _po_bytes(catalog: Catalog, **options: bool) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, omit_header=True, sort_output=True, width=100, **options)
    return out.getvalue()


def update() -> None:
    template = extract()
    POT.write_bytes(_po_bytes(template, no_location=True))
    for lang in LANGS:
        path = LOCALE / lang / "LC_MESSAGES" / "messages.po"
        if path.exists():
            with path.open("rb") as po:
                catalog = read_po(po, locale=lang)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=lang)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        path.write_bytes(_po_bytes(catalog, no_location=True, ignore_obsolete=True))
        print(f"{path.relative_to(ROOT)}: {len(catalog)} entries")


def check() -> int:
    expected = _po_bytes(extract(), no_location=True)
    if not POT.exists() or POT.read_bytes() != expected:
        print("messages.pot is stale: run `python scripts/words.py update`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "update"
    if command == "update":
        update()
    elif command == "check":
        sys.exit(check())
    else:
        sys.exit(f"unknown command {command!r}: update or check")
