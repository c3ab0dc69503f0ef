"""Validators and maskers for Chinese identifiers: resident ID numbers, unified social credit codes, phones.

Every ``parse_*`` function normalizes its input and returns the canonical form, or raises
:class:`InvalidValue` with a stable English ``code`` and a Chinese ``message`` for the user.
Every ``is_valid_*`` function is the boolean twin and never raises.
Every ``mask*`` function never raises and never returns the full value.

Input tolerance: surrounding whitespace is ignored everywhere, and full-width ASCII characters
(``１２３``, ``Ｘ``, ``－``, ``（）``, as typed with Chinese input methods) are treated as their ASCII
equivalents. Only ASCII digits count as digits (``str.isdigit`` accepts ``²`` and ``٣``; we do not).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from operator import mul
from typing import Final, Literal
from zoneinfo import ZoneInfo

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

__all__ = [
    "CREDIT_CODE_ALPHABET",
    "IdNumber",
    "InvalidValue",
    "is_valid_credit_code",
    "is_valid_id_number",
    "is_valid_landline",
    "is_valid_mobile",
    "is_valid_phone",
    "make_credit_code",
    "make_id_number",
    "mask",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "parse_credit_code",
    "parse_id_number",
    "parse_landline",
    "parse_mobile",
    "parse_phone",
]

_SHANGHAI: Final = ZoneInfo("Asia/Shanghai")


class InvalidValue(ValueError):
    """A value failed validation.

    ``code`` is stable English snake_case for programs (API clients, tests);
    ``message`` is for people, in the active language (Simplified Chinese by default).
    """

    code: str
    message: str

    def __init__(self, code: str, message: str | Promise) -> None:
        message = str(message)
        super().__init__(message)
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"InvalidValue(code={self.code!r}, message={self.message!r})"


# --------------------------------------------------------------------------- input normalization

# Full-width forms U+FF01..U+FF5E map onto ASCII U+0021..U+007E; U+3000 is the ideographic space.
_FULLWIDTH_TO_ASCII: Final = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def _clean(value: object) -> str | None:
    """Full-width to ASCII, strip surrounding whitespace. None if the value is not a string."""
    if not isinstance(value, str):
        return None
    return value.translate(_FULLWIDTH_TO_ASCII).strip()


def _is_ascii_digits(value: str) -> bool:
    return value.isascii() and value.isdigit()


# --------------------------------------------------------------------------- GB 11643 resident ID number

ID_NUMBER_CODE: Final = "invalid_id_number"

_ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS: Final = "10X98765432"
_ID_DIGIT_OFFSET: Final = ord("0") * sum(_ID_WEIGHTS)  # the weighted sum of the characters' codes, less this
_ID_MIN_BIRTH_YEAR: Final = 1900

MSG_ID_EMPTY = _("Please enter the ID number.")
MSG_ID_LENGTH = _("An ID number has 18 characters (or 15 for old numbers).")
MSG_ID_CHARS = _("An ID number has only digits; the last of 18 may be X.")
MSG_ID_BIRTH_DATE = _("The birth date in the ID number is invalid.")
MSG_ID_BIRTH_FUTURE = _("The birth date in the ID number is after today.")
MSG_ID_BIRTH_TOO_EARLY = _("The birth date in the ID number is before 1900.")
MSG_ID_CHECK = _("The check character of the ID number is wrong.")


@dataclass(frozen=True, slots=True)
class IdNumber:
    """A parsed resident ID number. ``number`` is always the 18-character form with an uppercase X."""

    number: str
    region_code: str
    birth_date: date
    sex: Literal["M", "F"]

    def age_on(self, day: date) -> int:
        """Age in whole years on ``day`` (someone born on 29 February turns a year older on 1 March)."""
        had_birthday = (day.month, day.day) >= (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - (0 if had_birthday else 1)

    def __str__(self) -> str:
        return self.number


def _id_check_char(first17: str) -> str:
    if len(first17) == 17 and first17.isascii() and first17.isdigit():  # the usual case, 4× faster
        total = sum(map(mul, first17.encode(), _ID_WEIGHTS)) - _ID_DIGIT_OFFSET
    else:
        total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def _today_shanghai() -> date:
    return datetime.now(_SHANGHAI).date()


def _id_birth_date(yyyymmdd: str, today: date) -> date:
    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        raise InvalidValue(ID_NUMBER_CODE, MSG_ID_BIRTH_DATE) from None
    if born.year < _ID_MIN_BIRTH_YEAR:
        raise InvalidValue(ID_NUMBER_CODE, MSG_ID_BIRTH_TOO_EARLY)
    if born > today:
        raise InvalidValue(ID_NUMBER_CODE, MSG_ID_BIRTH_FUTURE)
    return born


def parse_id_number(value: str, *, today: date | None = None) -> IdNumber:
    """Parse a GB 11643 citizen identity number.

    Accepts the 18-character form (last character a digit or X, either case) and the old 15-digit form
    (6 region + YYMMDD born in the 1900s + 3 sequence), which is upgraded to 18 characters by inserting
    "19" and appending the computed check character. ``today`` (default: today in Asia/Shanghai) bounds
    the birth date from above; birth dates before 1900 are rejected too.
    """
    cleaned = _clean(value)
    if not cleaned:
        raise InvalidValue(ID_NUMBER_CODE, MSG_ID_EMPTY)
    number = cleaned.upper()
    if len(number) not in (15, 18):
        raise InvalidValue(ID_NUMBER_CODE, MSG_ID_LENGTH)
    today = today or _today_shanghai()

    if len(number) == 15:
        if not _is_ascii_digits(number):
            raise InvalidValue(ID_NUMBER_CODE, MSG_ID_CHARS)
        born = _id_birth_date("19" + number[6:12], today)
        first17 = number[:6] + "19" + number[6:]
        number = first17 + _id_check_char(first17)
    else:
        first17, check = number[:17], number[17]
        if not _is_ascii_digits(first17) or not (_is_ascii_digits(check) or check == "X"):
            raise InvalidValue(ID_NUMBER_CODE, MSG_ID_CHARS)
        born = _id_birth_date(number[6:14], today)
        if _id_check_char(first17) != check:
            raise InvalidValue(ID_NUMBER_CODE, MSG_ID_CHECK)

    return IdNumber(
        number=number,
        region_code=number[:6],
        birth_date=born,
        sex="M" if int(number[16]) % 2 == 1 else "F",
    )


def is_valid_id_number(value: object, *, today: date | None = None) -> bool:
    """True if ``value`` is a valid 18-character or old 15-digit resident ID number."""
    if not isinstance(value, str):
        return False
    try:
        parse_id_number(value, today=today)
    except InvalidValue:
        return False
    return True


def make_id_number(region6: str, birth_date: date, seq3: str | int) -> str:
    """Build an 18-character ID number with the correct check character (demo data and tests).

    ``seq3`` is the 3-digit sequence; its last digit gives the sex (odd = male).
    """
    seq = f"{seq3:03d}" if isinstance(seq3, int) else seq3
    if len(region6) != 6 or not _is_ascii_digits(region6):
        raise ValueError(f"region6 must be 6 ASCII digits, got {region6!r}")
    if len(seq) != 3 or not _is_ascii_digits(seq):
        raise ValueError(f"seq3 must be 3 ASCII digits or an int in 0..999, got {seq3!r}")
    if not 1000 <= birth_date.year <= 9999:
        raise ValueError(f"birth_date year must have 4 digits, got {birth_date!r}")
    first17 = f"{region6}{birth_date:%Y%m%d}{seq}"
    return first17 + _id_check_char(first17)


# ----------------------------------------------------------------------- GB 32100 unified social credit code

CREDIT_CODE_CODE: Final = "invalid_credit_code"
CREDIT_CODE_ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, Z, S, V
_CREDIT_VALUES: Final = {c: i for i, c in enumerate(CREDIT_CODE_ALPHABET)}
_CREDIT_WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

MSG_CREDIT_EMPTY = _("Please enter the unified social credit code.")
MSG_CREDIT_LENGTH = _("A unified social credit code has 18 characters.")
MSG_CREDIT_CHARS = _("A unified social credit code has only digits and capital letters (not I, O, Z, S, V).")
MSG_CREDIT_REGION = _(
    "Characters 3 to 8 of a unified social credit code (the registration region) must be digits."
)
MSG_CREDIT_CHECK = _("The check character of the unified social credit code is wrong.")


def _credit_check_char(first17: str) -> str:
    total = sum(_CREDIT_VALUES[c] * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def parse_credit_code(value: str) -> str:
    """Parse a GB 32100 unified social credit code (统一社会信用代码); return it in uppercase.

    Layout: 1 registration authority, 2 organization category, 3-8 region code (digits),
    9-17 organization code (GB 11714), 18 check character. Only the outer check character (position 18)
    is verified. The organization code's own check character (position 17) is deliberately not verified:
    the outer check already covers it, and this validator does not second-guess the registries.
    Positions 1-2 are not checked against the list of authority/category codes either, since that list
    grows by amendment; they only have to be characters of the code alphabet.
    """
    cleaned = _clean(value)
    if not cleaned:
        raise InvalidValue(CREDIT_CODE_CODE, MSG_CREDIT_EMPTY)
    code = cleaned.upper()
    if len(code) != 18:
        raise InvalidValue(CREDIT_CODE_CODE, MSG_CREDIT_LENGTH)
    if any(c not in _CREDIT_VALUES for c in code):
        raise InvalidValue(CREDIT_CODE_CODE, MSG_CREDIT_CHARS)
    if not _is_ascii_digits(code[2:8]):
        raise InvalidValue(CREDIT_CODE_CODE, MSG_CREDIT_REGION)
    if _credit_check_char(code[:17]) != code[17]:
        raise InvalidValue(CREDIT_CODE_CODE, MSG_CREDIT_CHECK)
    return code


def is_valid_credit_code(value: object) -> bool:
    """True if ``value`` is a valid unified social credit code."""
    return _is_valid(parse_credit_code, value)


def make_credit_code(first17: str) -> str:
    """Append the GB 32100 check character to 17 characters (demo data and tests)."""
    body = first17.upper()
    if len(body) != 17 or any(c not in _CREDIT_VALUES for c in body):
        raise ValueError(f"first17 must be 17 characters from {CREDIT_CODE_ALPHABET!r}, got {first17!r}")
    if not _is_ascii_digits(body[2:8]):
        raise ValueError(f"positions 3-8 (region code) must be digits, got {first17!r}")
    return body + _credit_check_char(body)


# --------------------------------------------------------------------------- phones

PHONE_CODE: Final = "invalid_phone"

MSG_PHONE_EMPTY = _("Please enter a phone number.")
MSG_MOBILE = _("A mobile number has 11 digits beginning with 13 to 19.")
MSG_LANDLINE = _("A landline is written area code-number, e.g. 0571-87654321 or 010-12345678-123.")
MSG_LANDLINE_AREA = _("A landline needs an area code beginning with 0, e.g. 0571-87654321.")
MSG_PHONE = _("Invalid phone number: enter an 11-digit mobile number or a landline with an area code.")

_MOBILE_RE: Final = re.compile(r"1[3-9][0-9]{9}")
_COUNTRY_PREFIX_RE: Final = re.compile(r"(?:\+|00)\s*86[\s\-]*")
_EXTENSION_SPLIT_RE: Final = re.compile(r"\s*(?:转|ext\.?|x|#)\s*", re.IGNORECASE)
_LANDLINE_MAIN_RE: Final = re.compile(r"[0-9\s\-()]+")
_DIGIT_GROUPS_RE: Final = re.compile(r"[0-9]+")
_EXTENSION_RE: Final = re.compile(r"[0-9]{1,6}")


def parse_mobile(value: str) -> str:
    """Parse a mainland China mobile number; return its 11 digits.

    Accepts a +86 / 0086 / 86 country prefix and spaces or dashes anywhere ("+86 138-1234-1234").
    """
    cleaned = _clean(value)
    if not cleaned:
        raise InvalidValue(PHONE_CODE, MSG_PHONE_EMPTY)
    digits = re.sub(r"[\s\-]", "", cleaned)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if not (digits.isascii() and _MOBILE_RE.fullmatch(digits)):
        raise InvalidValue(PHONE_CODE, MSG_MOBILE)
    return digits


def _area_code_length(digits: str) -> int:
    """Length of the area code (with trunk 0) at the start of ``digits``: 010 and 02X have 3, others 4."""
    return 3 if digits[1:2] in ("1", "2") else 4


def parse_landline(value: str) -> str:
    """Parse a fixed-line number with area code; return "0571-87654321" or "010-12345678-123".

    The area code is 0 plus 2 digits for 010 and 02X, else 0 plus 3 digits (China's numbering plan), so
    "057187654321" without a separator is understood too. The local number has 7 or 8 digits and does not
    start with 0. An extension of up to 6 digits may follow after "-", "转", "ext", "x" or "#".
    Also accepted: "(0571)87654321", spaces, and "+86 571 87654321".
    """
    cleaned = _clean(value)
    if not cleaned:
        raise InvalidValue(PHONE_CODE, MSG_PHONE_EMPTY)

    parts = _EXTENSION_SPLIT_RE.split(cleaned)
    if len(parts) > 2:
        raise InvalidValue(PHONE_CODE, MSG_LANDLINE)
    main = parts[0]
    extension = parts[1] if len(parts) == 2 else None
    if extension is not None and not _EXTENSION_RE.fullmatch(extension):
        raise InvalidValue(PHONE_CODE, MSG_LANDLINE)

    international = _COUNTRY_PREFIX_RE.match(main)
    if international:
        main = main[international.end() :].lstrip("(")
        if not main.startswith("0"):
            main = "0" + main
    if not _LANDLINE_MAIN_RE.fullmatch(main):
        raise InvalidValue(PHONE_CODE, MSG_LANDLINE)
    groups = _DIGIT_GROUPS_RE.findall(main)
    if not groups or not groups[0].startswith("0"):
        raise InvalidValue(PHONE_CODE, MSG_LANDLINE_AREA)

    area_len = _area_code_length(groups[0])
    area, first_rest = groups[0][:area_len], groups[0][area_len:]
    if len(area) != area_len:
        raise InvalidValue(PHONE_CODE, MSG_LANDLINE_AREA)
    rest = ([first_rest] if first_rest else []) + groups[1:]
    if extension is None and len(rest) >= 2 and len("".join(rest)) > 8:
        extension = rest.pop()
        if not _EXTENSION_RE.fullmatch(extension):
            raise InvalidValue(PHONE_CODE, MSG_LANDLINE)
    local = "".join(rest)
    if not 7 <= len(local) <= 8 or local[0] == "0":
        raise InvalidValue(PHONE_CODE, MSG_LANDLINE)
    return f"{area}-{local}" + (f"-{extension}" if extension else "")


def parse_phone(value: str) -> str:
    """Parse a mobile number (returns 11 digits) or a landline (returns "0571-87654321[-ext]")."""
    cleaned = _clean(value)
    if not cleaned:
        raise InvalidValue(PHONE_CODE, MSG_PHONE_EMPTY)
    try:
        return parse_mobile(cleaned)
    except InvalidValue:
        pass
    try:
        return parse_landline(cleaned)
    except InvalidValue:
        raise InvalidValue(PHONE_CODE, MSG_PHONE) from None


def _is_valid(parser: Callable[[str], object], value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parser(value)
    except InvalidValue:
        return False
    return True


def is_valid_mobile(value: object) -> bool:
    return _is_valid(parse_mobile, value)


def is_valid_landline(value: object) -> bool:
    return _is_valid(parse_landline, value)


def is_valid_phone(value: object) -> bool:
    return _is_valid(parse_phone, value)


# --------------------------------------------------------------------------- masking

MASK_CHAR: Final = "*"


def mask(value: str | None, keep_start: int, keep_end: int, char: str = MASK_CHAR) -> str:
    """Replace the middle of ``value`` with ``char``, keeping ``keep_start`` and ``keep_end`` characters.

    The result has the same length as the input. If the input is not longer than
    ``keep_start + keep_end``, fewer characters are kept so that at least half of them (and at least one)
    are hidden: the full value is never returned. Never raises; None and "" give "".
    """
    if not value or not isinstance(value, str):
        return ""
    n = len(value)
    start, end = max(0, keep_start), max(0, keep_end)
    if n <= start + end:
        budget = n // 2
        start = min(start, budget)
        end = min(end, budget - start)
    return value[:start] + char * (n - start - end) + value[n - end :]


def mask_id_number(value: str | None) -> str:
    """Mask an ID number: "330102199001011234" -> "330102********1234".

    Old 15-digit numbers keep 6 + 3 characters, hiding the whole birth date.

    Other lengths keep at most a third at the start (up to 6) and a quarter at the end (up to 4),
    so never more than 10 characters are visible.
    """
    cleaned = _clean(value)
    if not cleaned:
        return ""
    cleaned = cleaned.upper()
    n = len(cleaned)
    if n == 18:
        return mask(cleaned, 6, 4)
    if n == 15:
        return mask(cleaned, 6, 3)
    return mask(cleaned, min(6, n // 3), min(4, n // 4))


def mask_phone(value: str | None) -> str:
    """Mask a phone number: "13812341234" -> "138****1234", "0571-87654321" -> "0571-****4321".

    Extensions of landlines are kept.

    Recognizable numbers are normalized first; anything else is masked generically (3 + 4 kept).
    """
    cleaned = _clean(value)
    if not cleaned:
        return ""
    try:
        return mask(parse_mobile(cleaned), 3, 4)
    except InvalidValue:
        pass
    try:
        area, local, *extension = parse_landline(cleaned).split("-")
    except InvalidValue:
        return mask(cleaned, 3, 4)
    return "-".join([area, mask(local, 0, 4), *extension])


def mask_name(value: str | None) -> str:
    """Mask a personal name: "张三丰" -> "张*丰", "张三" -> "张*", "欧阳娜娜" -> "欧**娜", "张" -> "*"."""
    cleaned = _clean(value)
    if not cleaned:
        return ""
    n = len(cleaned)
    if n == 1:
        return MASK_CHAR
    if n == 2:
        return cleaned[0] + MASK_CHAR
    return mask(cleaned, 1, 1)
