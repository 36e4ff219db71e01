"""`instant_key` writes exactly what strftime wrote, faster."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from calendar_service.projections._folding import instant_key

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


@pytest.mark.slow  # an equivalence test over 12,000 instants
def test_instant_keys_are_the_strftime_text_of_the_utc_instant() -> None:
    rng = random.Random(7)
    zones = [UTC, ZoneInfo("Asia/Seoul"), ZoneInfo("America/New_York"), ZoneInfo("Europe/Zurich")]
    years = [2, 999, 1000, 1900, 2024, 2199, 9998, *(rng.randint(2, 9998) for _ in range(3000))]
    for year in years:
        for microsecond in (0, 1, 999_999, rng.randint(0, 999_999)):
            zone = rng.choice([*zones, timezone(timedelta(minutes=rng.randint(-900, 900)))])
            moment = datetime(
                year,
                rng.randint(1, 12),
                rng.randint(1, 28),
                rng.randint(0, 23),
                rng.randint(0, 59),
                rng.randint(0, 59),
                microsecond,
                tzinfo=zone,
                fold=rng.randint(0, 1),
            )
            assert instant_key(moment) == moment.astimezone(UTC).strftime(_FORMAT), moment
