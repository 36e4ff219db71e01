"""Realistic event payloads: EngagementRescheduled-like facts with Korean text, 300-600 bytes.

Every contender in a benchmark gets the same payloads (same dicts, or the same JSON for peers
that take bytes), so differences come from the stores, not from the data.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

EVENT_TYPE = "EngagementRescheduled"
ACTOR = "kim.minji@mofa.example"

_TITLES = (
    "한-불 외교장관 회담 사전 협의",
    "주한 독일대사 예방",
    "한-아세안 고위관리회의 준비 회의",
    "유엔 안보리 결의 이행 관련 관계부처 협의",
    "재외국민 보호 대책 점검 회의",
)
_PLACES = (
    ("외교부 청사 17층 소회의실", "서울특별시 종로구 사직로8길 60"),
    ("주한 프랑스대사관 접견실", "서울특별시 서대문구 서소문로 43-12"),
    ("정부서울청사 별관 3층 회의실", "서울특별시 종로구 세종대로 209"),
)
_REASONS = (
    "상대국 대표단 항공편 지연으로 일정 조정 요청",
    "장관 일정 변경에 따른 순연",
    "회의 자료 보완을 위해 하루 연기",
)
_START = datetime(2025, 6, 24, 10, 0, tzinfo=UTC)


def engagement_rescheduled(n: int) -> dict[str, Any]:
    """The data of the n-th reschedule: deterministic, varied, 300-600 bytes of UTF-8 JSON."""
    start = _START + timedelta(days=n % 90, minutes=30 * (n % 7))
    place, address = _PLACES[n % len(_PLACES)]
    return {
        "engagement_id": f"eng-{n // 10:07d}",
        "title": _TITLES[n % len(_TITLES)],
        "when": {
            "start": start.isoformat(),
            "end": (start + timedelta(hours=1, minutes=30)).isoformat(),
            "zone": "Asia/Seoul",
        },
        "previous_start": (start - timedelta(days=1)).isoformat(),
        "place": {"name": place, "address": address},
        "reason": _REASONS[n % len(_REASONS)],
        "parties": [
            {"name": "김민지 서기관", "role": "담당관"},
            {"name": "Claire Dubois", "role": "counterpart"},
        ],
        "sequence": n,
    }


def encoded(data: Mapping[str, Any]) -> str:
    """The JSON our store writes for `data` (compact, UTF-8 text kept as is)."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def payload_bytes(count: int = 200) -> tuple[int, int]:
    """Smallest and largest UTF-8 JSON size over the first `count` payloads."""
    sizes = [len(encoded(engagement_rescheduled(n)).encode()) for n in range(count)]
    return min(sizes), max(sizes)


def stream_id(n: int) -> str:
    return f"engagement-{n:07d}"
