"""The Simplified Chinese catalog is complete, keeps every placeholder, and the committed .mo is current.

Update the catalog with `make messages`, translate the new entries in
src/jiceng/locale/zh_Hans/LC_MESSAGES/django.po, then compile (see src/jiceng/locale/README.md).
"""

from __future__ import annotations

import re
import tokenize
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.utils import translation

import jiceng

LC_MESSAGES = Path(jiceng.__file__).resolve().parent / "locale" / "zh_Hans" / "LC_MESSAGES"
PO_PATH = LC_MESSAGES / "django.po"
MO_PATH = LC_MESSAGES / "django.mo"

# %(name)s, %(n)d, %s, %.1f … (printf style, as Django and blocktranslate use); "%%" is a literal percent.
PRINTF = re.compile(r"%(?:\((?P<name>[^)]+)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")
# {name}, {0}, {} (python-brace-format); "{{" and "}}" are literal braces.
BRACE = re.compile(r"(?<!\{)\{(?P<name>[A-Za-z_][A-Za-z0-9_]*|\d*)(?:![rsa])?(?::[^{}]*)?\}(?!\})")

# Wordings that other tests, the manual and the users rely on.
REQUIRED = {
    "Log in": "登录",
    "Log out": "退出登录",
    "Wrong username or password.": "用户名或密码错误。",
    "Too many failed logins: the account is locked. Try again later.": (
        "登录失败次数过多，账号已被锁定，请稍后再试。"
    ),
    "Please log in first.": "请先登录。",
    "The record does not exist or is outside your jurisdiction.": "记录不存在或不在您的辖区内。",
    "You do not have permission to do this.": "您没有执行此操作的权限。",
    "Home": "首页",
    "Jiceng": "基层",
    "Grassroots governance platform": "基层治理平台",
}

UPDATE_HINT = "run `make messages`, translate, and compile (src/jiceng/locale/README.md)"


@pytest.fixture(scope="module")
def po() -> polib.POFile:
    assert PO_PATH.is_file(), f"{PO_PATH} is missing: {UPDATE_HINT}"
    return polib.pofile(str(PO_PATH))


def live_entries(po: polib.POFile) -> list[polib.POEntry]:
    return [e for e in po if not e.obsolete]


def placeholders(text: str, fmt: str) -> Counter[str]:
    if fmt == "python-brace-format":
        return Counter(m.group(0) for m in BRACE.finditer(text))
    return Counter(m.group(0) for m in PRINTF.finditer(text) if m.group(0) != "%%")


def translations(entry: polib.POEntry | polib.MOEntry) -> list[str]:
    if entry.msgid_plural:
        return [entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


def pairs(catalog: polib.POFile | polib.MOFile) -> set[tuple[str | None, str, str, tuple[str, ...]]]:
    """(context, msgid, msgid_plural, translations) of every translated message, the header left out."""
    return {
        (e.msgctxt, e.msgid, e.msgid_plural or "", tuple(translations(e)))
        for e in catalog
        if e.msgid and not e.obsolete and "fuzzy" not in e.flags
    }


def test_header(po: polib.POFile) -> None:
    assert po.metadata.get("Language") == "zh_Hans"
    assert "charset=UTF-8" in po.metadata.get("Content-Type", "")
    assert po.metadata.get("Plural-Forms", "").replace(" ", "") == "nplurals=1;plural=0;"
    assert not po.metadata_is_fuzzy, "the header is marked fuzzy"


def test_every_entry_is_translated(po: polib.POFile) -> None:
    assert live_entries(po), "the catalog is empty"
    untranslated = [e.msgid for e in live_entries(po) if not all(s.strip() for s in translations(e))]
    assert not untranslated, f"untranslated entries ({UPDATE_HINT}): {untranslated}"


def test_no_fuzzy_entries(po: polib.POFile) -> None:
    fuzzy = [e.msgid for e in live_entries(po) if "fuzzy" in e.flags]
    assert not fuzzy, f"fuzzy entries (check the translation, then drop the flag): {fuzzy}"


def test_plural_entries_have_one_form(po: polib.POFile) -> None:
    wrong = [e.msgid for e in live_entries(po) if e.msgid_plural and sorted(e.msgstr_plural) != [0]]
    assert not wrong, f"Chinese has one plural form (msgstr[0] only): {wrong}"


def test_placeholders_are_kept(po: polib.POFile) -> None:
    problems = []
    for entry in live_entries(po):
        formats = {f for f in entry.flags if f in ("python-format", "c-format", "python-brace-format")}
        if "%(" in entry.msgid + (entry.msgid_plural or ""):
            formats.add("python-format")
        for fmt in formats:
            # Chinese has one form, so it must work for the plural msgid (Django substitutes the count too).
            source = entry.msgid_plural or entry.msgid
            expected = set(placeholders(entry.msgid, fmt)) | set(placeholders(source, fmt))
            for text in translations(entry):
                found = set(placeholders(text, fmt))
                if found != expected:
                    problems.append(
                        f"{entry.msgid!r} -> {text!r}: expected {sorted(expected)}, got {sorted(found)}"
                    )
    assert not problems, "placeholders differ:\n" + "\n".join(problems)


def test_committed_mo_matches_po(po: polib.POFile) -> None:
    assert MO_PATH.is_file(), f"{MO_PATH} is missing: {UPDATE_HINT}"
    compiled = polib.mofile(po.to_binary())
    committed = polib.mofile(str(MO_PATH))
    expected, actual = pairs(compiled), pairs(committed)
    stale = sorted({e[1] for e in expected ^ actual})
    assert not stale, f"django.mo is out of date for {stale[:20]}: recompile ({UPDATE_HINT})"
    assert committed.metadata.get("Plural-Forms", "").replace(" ", "") == "nplurals=1;plural=0;"


@pytest.mark.parametrize(("msgid", "msgstr"), REQUIRED.items())
def test_required_wordings(po: polib.POFile, msgid: str, msgstr: str) -> None:
    entry = po.find(msgid)
    assert entry is not None, f"{msgid!r} is no longer in the catalog"
    assert entry.msgstr == msgstr
    with translation.override("zh-hans"):
        assert translation.gettext(msgid) == msgstr


def test_gettext_follows_the_active_language() -> None:
    with translation.override("zh-hans"):
        assert translation.gettext("Log in") == "登录"
        assert (
            translation.ngettext("%(counter)s record", "%(counter)s records", 3) % {"counter": 3}
            == "共3条记录"
        )
    with translation.override("en"):
        assert translation.gettext("Log in") == "Log in"
        assert translation.ngettext("%(counter)s record", "%(counter)s records", 3) == "%(counter)s records"


GETTEXT_CALL = re.compile(r"\b(?:_|gettext|gettext_lazy|pgettext|ngettext|gettext_noop)\(")


def test_no_translated_text_inside_f_strings() -> None:
    """xgettext does not look inside f-strings: a ``_("…")`` there never reaches the catalog and stays
    English in the Chinese UI. Translate outside and format with named placeholders."""
    source = Path(jiceng.__file__).resolve().parent
    found = []
    for path in sorted(source.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        with path.open("rb") as handle:
            for token in tokenize.tokenize(handle.readline):
                prefix = token.string[: token.string.find(token.string.lstrip("rRbBuUfF")[:1])]
                if (
                    token.type == tokenize.STRING
                    and "f" in prefix.lower()
                    and GETTEXT_CALL.search(token.string)
                ):
                    found.append(f"{path.relative_to(source)}:{token.start[0]}")
    assert not found, f"gettext calls inside f-strings (never extracted): {found}"
