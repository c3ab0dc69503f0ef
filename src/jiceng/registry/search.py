"""Search that fits Chinese, fast on PostgreSQL and SQLite.

What a query looks like decides how it is matched:

- an ID number → the person's blind index (exact); a phone number → the phone blind indexes (exact);
- four digits (or three and X) → a person's 尾号, the last four of the ID number or phone, by a keyed hash of
  them among the words (``tail_token``), or the same four as a word of the address;
  a unified social credit code → the organization's code (exact);
- Latin letters → name pinyin or initials by prefix ("zhangsan", "zhang", "zs" find 张三), an indexed range;
- anything else → the exact name, or every word of the query (jieba) among the record's words:
  names, addresses and descriptions, through a full-text index (PostgreSQL ``tsvector``, stored, with a GIN
  index, SQLite FTS5);
- Chinese characters also → part of a name: each name adds its surname (复姓 included) and every pair of
  neighbouring characters to the words, so 曾 finds 曾浩豪, 欧阳 finds 欧阳娜娜, and 浩豪 or 林红 (of 林红强)
  find them by their pairs — jieba's cut of the query cannot hide it (a Han name of 2–4 characters is not
  cut at all: its pairs and surname are its words). Same index, same look-up.

Words are cut by jieba in Python (``registry.wordcut``: jieba's search cut, the same words, faster) and stored
space-separated in ``search_text``, so both databases index the same words with their plain whitespace
tokenizers.
"""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

from jiceng.core.crypto import blind_index, data_key
from jiceng.core.validators import InvalidValue, parse_id_number, parse_phone
from jiceng.registry import wordcut

# Surnames whose reading differs from the character's everyday one.
SURNAME_READINGS: dict[str, str] = {
    "曾": "zeng",
    "单": "shan",
    "解": "xie",
    "区": "ou",
    "查": "zha",
    "仇": "qiu",
    "朴": "piao",
    "覃": "qin",
    "乐": "yue",
    "盖": "ge",
    "缪": "miao",
    "翟": "zhai",
    "种": "chong",
    "召": "shao",
    "员": "yun",
    "秘": "bi",
    "尉": "yu",
    "繁": "po",
    "长": "chang",
    "重": "chong",
    "万俟": "moqi",
    "尉迟": "yuchi",
    "单于": "chanyu",
}
SURNAME_LENGTHS = sorted({len(s) for s in SURNAME_READINGS}, reverse=True)
# Two-character surnames (复姓) still in use: a name starting with one has it as its surname, not its first
# character (欧阳娜娜's surname is 欧阳, and 欧 alone should not find her).
_COMPOUND = (
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 端木 独孤 南宫 万俟 闻人 "
    "赫连 澹台 公冶 申屠 太史 单于 呼延 钟离 东郭 西门 司空 濮阳 淳于 百里 亓官 第五 拓跋 完颜 "
    "司寇 仲孙 公羊 谷梁 乐正 漆雕 壤驷 公良 梁丘 左丘 东门 南门 归海 羊舌 微生"
)
COMPOUND_SURNAMES = frozenset(_COMPOUND.split())
HAN = re.compile(r"[\u3400-\u9fff]+")
PERSON_NAME = re.compile(r"^[\u3400-\u9fff]{2,4}$")
# The longest query searched (the list page's box); a longer one finds nothing rather than everything.
MAX_QUERY = 60
# A query of Han characters up to this long is also matched as part of a name, by its character pairs.
NAME_PART_MAX = 20
ID_LIKE = re.compile(r"^\d{15}$|^\d{17}[\dXx]$")
CREDIT_LIKE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")
PHONE_LIKE = re.compile(r"^[\d\-\s+]{7,20}$")
LATIN = re.compile(r"^[a-z]+$")
TAIL_LIKE = re.compile(r"^\d{4}$|^\d{3}[Xx]$")
WORD_CHARS = re.compile(r"[\w\u3400-\u9fff]+")


@lru_cache(maxsize=1)
def _readings() -> dict[int, str]:
    """pypinyin's table of each character's readings (``pypinyin/pinyin_dict.py``), loaded alone: importing
    pypinyin loads its phrase tables too (~50 MB), and names are read character by character."""
    package = importlib.util.find_spec("pypinyin")
    if package is None or not package.submodule_search_locations:
        raise ImportError("pypinyin")
    path = Path(package.submodule_search_locations[0]) / "pinyin_dict.py"
    spec = importlib.util.spec_from_file_location("jiceng_pinyin_dict", path)
    if spec is None or spec.loader is None:
        raise ImportError(str(path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.pinyin_dict)


@lru_cache(maxsize=20000)
def _char_pinyin(char: str) -> str:
    """The character's first reading without tones, as ``lazy_pinyin(char, style=Style.NORMAL)`` gives it
    (ü as v); "" for characters without one (tests/registry/test_wordcut.py compares all of them)."""
    readings = _readings().get(ord(char)) if len(char) == 1 else None
    if not readings:
        return ""
    first = unicodedata.normalize("NFD", readings.split(",")[0]).replace("u\u0308", "v")
    return "".join(c for c in first if not unicodedata.combining(c)).lower()


@lru_cache(maxsize=20000)  # a miss costs a few µs (the characters are cached); memory matters more
def name_keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of a Chinese name, e.g. 张三 → ("zhangsan", "zs"); Latin names pass through."""
    name = name.strip()
    syllables: list[str] = []
    rest = name
    for size in SURNAME_LENGTHS:  # the longest surname the name starts with
        surname = name[:size]
        if len(surname) == size and surname in SURNAME_READINGS:
            syllables.append(SURNAME_READINGS[surname])
            rest = name[len(surname) :]
            if len(surname) == 2:  # a two-character surname gives two initials
                syllables = {"moqi": ["mo", "qi"], "yuchi": ["yu", "chi"], "chanyu": ["chan", "yu"]}[
                    SURNAME_READINGS[surname]
                ]
            break
    for char in rest:
        if char.isascii():
            if char.isalnum():
                syllables.append(char.lower())
            continue
        reading = _char_pinyin(char)
        if reading:
            syllables.append(reading)
    full = "".join(syllables)
    initials = "".join(s[0] for s in syllables if s)
    return full[:120], initials[:30]


@lru_cache(maxsize=50000)
def words(text: str) -> tuple[str, ...]:
    """The words of ``text`` for indexing: jieba's search-engine cut (long words and their parts)."""
    text = text.strip().lower()
    if not text:
        return ()
    result: list[str] = []
    for chunk in WORD_CHARS.findall(text):
        if chunk.isascii():
            result.append(chunk)
        else:
            result.extend(w for w in wordcut.cut_for_search(chunk) if w.strip())
    return tuple(dict.fromkeys(result))


def surname(name: str) -> str:
    """The surname of a Chinese person's name of 2–4 Han characters (a compound one if it starts with one),
    else ""."""
    if not PERSON_NAME.match(name):
        return ""
    return name[:2] if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else name[0]


def pairs(text: str) -> list[str]:
    """Each two neighbouring Han characters of ``text`` (张三丰 → 张三, 三丰): any part of a name of two
    characters or more is found by all its pairs."""
    return [run[i : i + 2] for run in HAN.findall(text) for i in range(len(run) - 1)]


def tail(value: str) -> str:
    """The last four characters people call 尾号: of an ID number (its check character upper case), of a
    phone's number ("0571-87654321-12" → 4321: not of the extension); "" if there are not four."""
    if not value.isalnum():  # IDs and mobiles as stored are; a landline is not
        value = value.strip().upper()
        if value.count("-") == 2:  # with an extension
            value = value.rsplit("-", 1)[0]
        value = "".join(c for c in value if c.isdigit() or c == "X")
    return value[-4:].upper() if len(value) >= 4 else ""


def tail_token(last4: str) -> str:
    """The search token of a 尾号: a keyed hash (the blind-index key, its own domain), never the digits.

    The privacy trade-off, accepted because staff look people up by 尾号 daily: four digits have only 10,000
    values. Without the key (a database dump, a backup) the tokens show only which people share a 尾号 —
    about one in 10,000 pairs by chance — not the digits. With the key the digits are found by trying all
    10,000; but with the key the full ID number is found from its own blind index too (the birth date is
    stored in clear, leaving a few million area codes × sequence numbers to try), so the tokens add little.
    Searches stay scoped to the user's jurisdiction and lists stay masked; rotating the data key rehashes
    the tokens (``rotate_data_key`` rebuilds people's search words)."""
    return _tail_token(data_key(), last4.upper())


# At most 11,000 尾号 (10,000 of phones, and ID numbers' with X): an import hashes each once, not per row.
@lru_cache(maxsize=16384)
def _tail_token(key: str, last4: str) -> str:
    return "tail" + blind_index("tail:" + last4)[:16]


def search_text(*, names: Iterable[str] = (), texts: Iterable[str] = (), tails: Iterable[str] = ()) -> str:
    """The ``search_text`` column: each name whole, its pinyin, initials, surname and character pairs (and
    its words, unless it is a Han name of 2–4 characters, whose pairs hold every part of two characters or
    more); the 尾号 tokens of ``tails`` (ID numbers, phones: see ``tail_token``); then the words of texts."""
    out: list[str] = []
    for value in tails:
        last4 = tail(value) if value else ""
        if last4:
            out.append(tail_token(last4))
    for name in names:
        if not name:
            continue
        full, initials = name_keys(name)
        out.append(name.lower().replace(" ", ""))
        if not PERSON_NAME.match(name):  # a Han name's words are its pairs and surname, below
            out.extend(words(name))
        out.extend(x for x in (full, initials) if x)
        family = surname(name)
        if family:
            out.append(family)
        out.extend(pairs(name[:64]))
    for text in texts:
        if text:
            out.extend(words(text))
    return " ".join(dict.fromkeys(out))


def _prefix_range(field: str, prefix: str) -> Q:
    """``field`` starts with the lowercase-ASCII ``prefix``, as an index range that both databases use."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": upper})


def _fulltext(model: Any, *alternatives: tuple[str, ...]) -> Q:
    """Records whose ``search_text`` has every term of one of the alternatives, in one index look-up."""
    table = model._meta.db_table
    alternatives = tuple(dict.fromkeys(a for a in alternatives if a))
    if connection.vendor == "postgresql":
        query = " | ".join("(" + " & ".join(_pg_term(t) for t in terms) + ")" for terms in alternatives)
        sql = f"{table}.search_vector @@ to_tsquery('simple', %s)"
        return Q(RawSQL(sql, [query], output_field=_bool()))  # noqa: S611 (parameters bound)
    if connection.vendor == "sqlite":
        query = " OR ".join(
            "(" + " ".join('"' + t.replace('"', '""') + '"' for t in terms) + ")" for terms in alternatives
        )
        fts = f"{table}_fts"
        return Q(pk__in=RawSQL(f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s", [query]))  # noqa: S608,S611
    found = Q(pk__in=[])
    for terms in alternatives:
        condition = Q()
        for term in terms:
            condition &= Q(search_text__contains=term)
        found |= condition
    return found


def _pg_term(term: str) -> str:
    return "'" + term.replace("'", "''").replace("\\", "") + "'"


def _bool() -> Any:
    from django.db.models import BooleanField

    return BooleanField()


def condition(model: Any, query: str) -> Q | None:
    """The filter for ``query`` on a registry model, or None for an empty query."""
    q = query.strip()
    if not q:
        return None
    if len(q) > MAX_QUERY:
        return Q(pk__in=[])
    fields = {f.name for f in model._meta.get_fields()}
    compact = q.replace(" ", "").upper()
    if "id_number_index" in fields and ID_LIKE.match(compact):
        try:
            return Q(id_number_index=blind_index(parse_id_number(compact).number))
        except InvalidValue:
            return Q(pk__in=[])
    if "credit_code" in fields and CREDIT_LIKE.match(compact):
        return Q(credit_code=compact)
    phone_fields = [
        f for f in ("phone_index", "contact_phone_index", "responsible_phone_index") if f in fields
    ]
    if phone_fields and PHONE_LIKE.match(q) and sum(c.isdigit() for c in q) >= 7:
        try:
            key = blind_index(parse_phone(q))
        except InvalidValue:
            key = ""
        if key:
            found = Q()
            for f in phone_fields:
                found |= Q(**{f: key})
            return found
    lowered = q.lower().replace(" ", "")
    if "id_number_index" in fields and TAIL_LIKE.match(compact):  # 尾号, or a word of the address
        return _fulltext(model, (tail_token(compact),), words(q))
    if LATIN.match(lowered) and "name_pinyin" in fields:
        return _prefix_range("name_pinyin", lowered) | _prefix_range("name_initials", lowered)
    if "code" in fields and compact.isdigit() and len(compact) >= 6:
        return Q(code=compact) | Q(code__startswith=compact)
    terms = words(q)
    # A surname, a given name or any part of a name: jieba may cut the query otherwise than the name
    # (林红 → 林/红 while 林红强 is one word), so its character pairs are tried too; a lone character is a
    # surname (or a single-character word of an address or a text).
    part = lowered if HAN.fullmatch(lowered) and len(lowered) <= NAME_PART_MAX else ""
    name_terms = tuple(dict.fromkeys(pairs(part))) if len(part) > 1 else ()
    if not terms and not name_terms:
        return Q(pk__in=[])
    match = _fulltext(model, terms, name_terms)
    if "name" in fields:
        match |= Q(name=q)
    return match


def apply(qs: Any, query: str) -> Any:
    found = condition(qs.model, query)
    return qs if found is None else qs.filter(found)
