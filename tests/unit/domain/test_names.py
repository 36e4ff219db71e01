"""The directory resolves names and aliases in en/ko/zh, and refuses ambiguous ones."""

from __future__ import annotations

import pytest

from calendar_service.domain import (
    AliasCollision,
    Directory,
    EntryKind,
    InvalidValue,
    LocalizedText,
    NamedEntry,
)

HAO_PENG = NamedEntry(
    id="hao-peng",
    kind=EntryKind.PERSON,
    name=LocalizedText(en="Hao Peng", ko="하오펑", zh="郝鹏"),
    aliases=("Hao Feng", "郝鵬"),
    position=LocalizedText(en="Party Secretary of Liaoning Province", ko="랴오닝성 당서기"),
)
KIM = NamedEntry(
    id="kim-dong-yeon",
    kind=EntryKind.PERSON,
    name=LocalizedText(en="Kim Dong-yeon", ko="김동연", zh="金东兖"),
    aliases=("Dong Yeon Kim", "Kim Dongyeon"),
)
DALIAN = NamedEntry(
    id="dalian",
    kind=EntryKind.PLACE,
    name=LocalizedText(en="Dalian", ko="다롄", zh="大连"),
    tz="Asia/Shanghai",
)
DIRECTORY = Directory([HAO_PENG, KIM, DALIAN])


@pytest.mark.parametrize(
    "name", ["Hao Feng", "hao feng", "HAO-FENG", " Hao  Peng ", "郝鹏", "하오펑"]
)
def test_the_articles_hao_feng_resolves_to_hao_peng(name: str) -> None:
    assert DIRECTORY.resolve(name) == HAO_PENG


def test_names_resolve_in_every_language_and_unknown_names_do_not() -> None:
    assert DIRECTORY.resolve("dong yeon kim") == KIM
    assert DIRECTORY.resolve("金东兖") == KIM
    assert DIRECTORY.resolve("大连") == DALIAN
    assert DIRECTORY.resolve("Li Lecheng") is None
    assert DIRECTORY.get("hao-peng") == HAO_PENG
    assert "dalian" in DIRECTORY
    assert len(DIRECTORY) == 3


def test_an_alias_that_is_another_persons_canonical_name_is_refused() -> None:
    impostor = NamedEntry(
        id="hao-feng-journalist",
        kind=EntryKind.PERSON,
        name=LocalizedText(en="Feng Hao"),
        aliases=("Hao Peng",),
    )
    with pytest.raises(AliasCollision) as error:
        DIRECTORY.with_entry(impostor)
    assert str(error.value) == (
        "alias 'Hao Peng' of 'hao-feng-journalist' is already a name or alias of 'hao-peng': "
        "a name may point to one entry only"
    )
    assert (error.value.entry, error.value.other) == ("hao-feng-journalist", "hao-peng")


def test_a_canonical_name_that_is_another_entrys_alias_is_refused() -> None:
    other = NamedEntry(id="someone-else", kind=EntryKind.PERSON, name=LocalizedText(en="hao feng"))
    with pytest.raises(AliasCollision, match=r"name.en 'hao feng' of 'someone-else'.*'hao-peng'"):
        DIRECTORY.with_entry(other)


def test_two_entries_with_one_id_are_refused_and_the_original_is_unchanged() -> None:
    with pytest.raises(InvalidValue, match=r"entry.id 'dalian'"):
        DIRECTORY.with_entry(DALIAN)
    assert len(DIRECTORY) == 3


def test_an_entry_may_repeat_its_own_name_as_an_alias() -> None:
    seoul = NamedEntry(
        id="seoul", kind=EntryKind.PLACE, name=LocalizedText(en="Seoul"), aliases=("SEOUL",)
    )
    assert Directory([seoul]).resolve("seoul") == seoul
