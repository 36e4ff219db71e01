"""The feed's words in English, Korean and Chinese, each table defined once.

Gathered here, apart from the code that puts them together (`feed.describe`), so that a later
issue can move them into the gettext catalogue (STYLE rule 16) without touching the renderer:

- `WORDS[lang][key]`: labels, statuses, kinds, audiences and the phrases of a summary or a
  description; a key is a plain name or an enum value (`EventStatus`, `EngagementKind`, ...).
- `month_name`, `country_name`, `zone_city`: what a feed calls a month, a country and the
  clock of a zone.
- `CALENDAR_NAMES`, `AUDIENCE_NAMES`: what a feed calls itself ("외교 일정 (직원)").

Reminder messages (`reminders/notify/message.py`) take their zone cities and audience names
from here, and say where their words still differ.
"""

from __future__ import annotations

from collections.abc import Mapping

from calendar_service.domain import LANGUAGES, Audience

CALENDAR_NAMES = {"en": "Diplomatic calendar", "ko": "외교 일정", "zh": "外事日程"}
AUDIENCE_NAMES = {
    Audience.PUBLIC: {"en": "public", "ko": "공개", "zh": "公开"},
    Audience.STAFF: {"en": "staff", "ko": "직원", "zh": "内部"},
    Audience.RESTRICTED: {"en": "restricted", "ko": "제한", "zh": "限制"},
}
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
"""English month names; Korean and Chinese write the number and WORDS' `month_suffix`."""
ZONE_CITIES = {
    "Asia/Seoul": {"en": "Seoul", "ko": "서울", "zh": "首尔"},
    "Asia/Shanghai": {"en": "Beijing time", "ko": "베이징 시간", "zh": "北京时间"},
    "Asia/Tokyo": {"en": "Tokyo", "ko": "도쿄", "zh": "东京"},
}
"""What a zone's clock is called after a time ("09:00 Seoul"); China's clock by its name."""
COUNTRIES = {
    "KR": {"en": "South Korea", "ko": "대한민국", "zh": "韩国"},
    "CN": {"en": "China", "ko": "중국", "zh": "中国"},
    "JP": {"en": "Japan", "ko": "일본", "zh": "日本"},
    "US": {"en": "United States", "ko": "미국", "zh": "美国"},
    "VN": {"en": "Vietnam", "ko": "베트남", "zh": "越南"},
    "MN": {"en": "Mongolia", "ko": "몽골", "zh": "蒙古"},
}

# One row a key, its words in the order of LANGUAGES (en, ko, zh).
# fmt: off
_ROWS: dict[str, tuple[str, ...]] = {
    "tbc": ("to be confirmed", "미정", "待定"),
    "cancelled_prefix": ("CANCELLED: ", "[취소] ", "[已取消] "),
    "month_day_unknown": ("{month}; day unknown", "{month}, 날짜 미상", "{month}，日期不详"),
    "morning": ("morning", "오전", "上午"),
    "afternoon": ("afternoon", "오후", "下午"),
    "evening": ("evening", "저녁", "晚上"),
    "probable": ("probable", "추정", "推定"),
    "when": ("When", "일시", "时间"),
    "status": ("Status", "상태", "状态"),
    "participation": ("Our participation", "우리 측 참석", "我方出席"),
    "inviter": ("Invited by", "초청", "邀请方"),
    "participants": ("Participants", "참석자", "参加者"),
    "place": ("Place", "장소", "地点"),
    "aliases": ("Also known as", "다른 이름", "别名"),
    "notes": ("Notes", "메모", "备注"),
    "sources": ("Sources", "출처", "来源"),
    "link": ("Details", "자세히", "详情"),
    "moved_from": (
        "Moved back from {day}, not a working day", "{day}이 휴일이어서 앞당김",
        "{day}非工作日，已提前",
    ),
    "rule": ("Rule", "규칙", "规则"),
    "deadline": ("Deadline", "마감", "截止日期"),
    "all_day": ("all day", "종일", "全天"),
    "dates_tbc": ("dates to be confirmed", "날짜 미정", "日期待定"),
    "day_unknown": ("day unknown", "날짜 미상", "日期不详"),
    "yearly": ("every year, {on}, since {year}", "{year}년부터 매년 {on}", "自{year}年起每年{on}"),
    "month_day": ("{month} {day}", "{month} {day}일", "{month}{day}日"),
    "month_year": ("{month} {year}", "{year}년 {month}", "{year}年{month}"),
    "month_suffix": ("", "월", "月"),
    "tentative": ("tentative", "잠정", "暂定"),
    "confirmed": ("confirmed", "확정", "已确认"),
    "held": ("held", "개최됨", "已举行"),
    "cancelled": ("cancelled", "취소", "已取消"),
    "invited": ("invited", "초청받음", "受邀"),
    "decision_pending": ("decision pending", "검토 중", "待决定"),
    "attending": ("attending", "참석", "出席"),
    "declined": ("declined", "불참", "谢绝"),
    "delegated": ("delegated", "대리 참석", "委派他人"),
    "meeting": ("Meeting", "회의", "会议"),
    "visit": ("Visit", "방문", "访问"),
    "forum": ("Forum", "포럼", "论坛"),
    "expo": ("Expo", "박람회", "博览会"),
    "signing": ("Signing", "서명", "签约"),
    "anniversary": ("Anniversary", "기념일", "纪念日"),
    "public": ("Public", "공개", "公开"),
    "staff": ("Staff", "직원", "内部"),
    "restricted": ("Restricted", "제한", "限制"),
    "article": ("Article", "기사", "报道"),
    "external": ("External", "외부 자료", "外部资料"),
    "assumed": ("Assumed", "가정", "假设"),
}
# fmt: on


def _by_language(rows: Mapping[str, tuple[str, ...]]) -> dict[str, dict[str, str]]:
    """One table per language from rows of words in LANGUAGES order; ValueError if a row has
    a word too many or too few."""
    columns = zip(*rows.values(), strict=True)
    return {
        lang: dict(zip(rows, words, strict=True))
        for lang, words in zip(LANGUAGES, columns, strict=True)
    }


WORDS = _by_language(_ROWS)


def month_name(month: int, lang: str) -> str:
    """'October', '10월', '10月'."""
    return MONTHS[month - 1] if lang == "en" else f"{month}{WORDS[lang]['month_suffix']}"


def country_name(code: str, lang: str) -> str:
    """The country's name, or its ISO code when the table does not know it."""
    return COUNTRIES.get(code, {}).get(lang, code)


def zone_city(tz: str, lang: str, cities: Mapping[str, Mapping[str, str]] = ZONE_CITIES) -> str:
    """What `cities` calls the zone's clock in `lang` (in English if it lacks `lang`), else the
    zone's last part: 'America/New_York' is 'New York'."""
    known = cities.get(tz)
    return known.get(lang, known["en"]) if known else tz.rsplit("/", 1)[-1].replace("_", " ")


__all__ = [
    "AUDIENCE_NAMES",
    "CALENDAR_NAMES",
    "COUNTRIES",
    "MONTHS",
    "WORDS",
    "ZONE_CITIES",
    "country_name",
    "month_name",
    "zone_city",
]
