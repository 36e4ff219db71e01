"""`mask_url`: a URL as it may be printed (errors, check-config, logs), its password masked.

Every place that shows a store, broker or SMTP URL uses it, whatever the URL's scheme: one a
setting refuses (`ftp://user:secret@host`) is shown masked too.
"""

from __future__ import annotations

import re

_NETLOC_END = re.compile(r"[/?#]")


def mask_url(url: str) -> str:
    """`url` with the password of its user info replaced by `***` (`redis://:***@host:6379/0`);
    unchanged if it has none. Never raises, even for a URL no parser accepts."""
    scheme, separator, rest = url.partition("://")
    if not separator:  # "user:secret@host" without a scheme's slashes: mask after the last ':'
        userinfo, at, host = url.rpartition("@")
        if not at or ":" not in userinfo:
            return url
        return f"{userinfo.rpartition(':')[0]}:***@{host}"
    end = _NETLOC_END.search(rest)
    netloc, tail = (rest, "") if end is None else (rest[: end.start()], rest[end.start() :])
    userinfo, at, host = netloc.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    user = userinfo.partition(":")[0]
    return f"{scheme}://{user}:***@{host}{tail}"


__all__ = ["mask_url"]
