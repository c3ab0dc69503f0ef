"""``registry.wordcut`` cuts exactly as jieba does: stored search words and query words must not drift."""

from __future__ import annotations

import random

import jieba
import pytest

from jiceng.registry import search, wordcut
from tests.registry.people_csv import person_row

HAN = [chr(c) for c in range(0x4E00, 0x9FD6)]
ODD = list("0123456789abcXYZ+#&._%-_·㐀鿿ａ１ ")


def _texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    freq = wordcut._jieba().dt.FREQ
    known = [w for w in list(freq)[:200_000:7] if freq[w] and wordcut.HMM_HAN.fullmatch(w)]
    common = sorted(set("".join(known)))
    texts = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.4:  # names: common characters, 2 to 4 of them
            texts.append("".join(rng.choice(common) for _ in range(rng.randint(2, 4))))
        elif roll < 0.6:  # phrases: dictionary words run together, sometimes with digits or Latin
            parts = [
                rng.choice(known) if rng.random() < 0.85 else rng.choice(ODD)
                for _ in range(rng.randint(1, 6))
            ]
            texts.append("".join(parts))
        elif roll < 0.8:  # rare characters, any length
            texts.append("".join(rng.choice(HAN) for _ in range(rng.randint(1, 12))))
        else:  # anything: characters outside jieba's blocks go to jieba itself
            texts.append("".join(rng.choice(common + ODD) for _ in range(rng.randint(1, 16))))
    return texts


@pytest.mark.parametrize("seed", [1, 2])
def test_same_words_as_jieba_on_random_text(seed: int) -> None:
    for text in _texts(20_000, seed):
        assert wordcut.cut_for_search(text) == list(jieba.cut_for_search(text)), text


def test_same_words_as_jieba_on_register_names_and_addresses() -> None:
    rows = [person_row(i, "") for i in range(0, 400_000, 13)]
    texts = (
        {r["name"] for r in rows}
        | {r["address"] for r in rows}
        | {"欧阳娜娜", "司马相如", "张三丰", "阿卜杜拉"}
    )
    for text in sorted(texts):
        assert wordcut.cut_for_search(text) == list(jieba.cut_for_search(text)), text


def test_search_words_use_it() -> None:
    search.words.cache_clear()
    assert search.words("青溪县城关镇解放路12号") == tuple(
        dict.fromkeys(w for w in jieba.cut_for_search("青溪县城关镇解放路12号") if w.strip())
    )


def test_character_readings_as_pypinyin() -> None:
    from pypinyin import Style, lazy_pinyin

    table = search._readings()
    others = [*range(0x4E00, 0xA000, 7), *map(ord, "·〇ａé1a _-")]
    for code in [*table, *others]:
        char = chr(code)
        reading = lazy_pinyin(char, style=Style.NORMAL, errors="ignore")
        assert search._char_pinyin(char) == (reading[0].lower() if reading else ""), hex(code)
    assert search.name_keys("吕绿") == ("lvlv", "ll")
