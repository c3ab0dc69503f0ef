"""Tests for jiceng.core.validators: GB 11643 ID numbers, GB 32100 credit codes, phones, masking."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from jiceng.core.validators import (
    CREDIT_CODE_ALPHABET,
    MSG_CREDIT_CHARS,
    MSG_CREDIT_CHECK,
    MSG_CREDIT_LENGTH,
    MSG_CREDIT_REGION,
    MSG_ID_BIRTH_DATE,
    MSG_ID_BIRTH_FUTURE,
    MSG_ID_BIRTH_TOO_EARLY,
    MSG_ID_CHARS,
    MSG_ID_CHECK,
    MSG_ID_EMPTY,
    MSG_ID_LENGTH,
    IdNumber,
    InvalidValue,
    is_valid_credit_code,
    is_valid_id_number,
    is_valid_landline,
    is_valid_mobile,
    is_valid_phone,
    make_credit_code,
    make_id_number,
    mask,
    mask_id_number,
    mask_name,
    mask_phone,
    parse_credit_code,
    parse_id_number,
    parse_landline,
    parse_mobile,
    parse_phone,
)

# An independent oracle for the GB 11643 check character, written out from the standard's table
# rather than imported, so that a wrong weight in the implementation cannot hide behind itself.
GB11643_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
GB11643_CHECK = {0: "1", 1: "0", 2: "X", 3: "9", 4: "8", 5: "7", 6: "6", 7: "5", 8: "4", 9: "3", 10: "2"}


def oracle_id_check(first17: str) -> str:
    return GB11643_CHECK[sum(int(c) * w for c, w in zip(first17, GB11643_WEIGHTS, strict=True)) % 11]


TODAY = date(2025, 6, 1)

digits = st.sampled_from("0123456789")
regions = st.text(digits, min_size=6, max_size=6)
birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
sequences = st.integers(min_value=0, max_value=999)


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    return make_id_number(draw(regions), draw(birth_dates), draw(sequences))


# ============================================================================ ID numbers: known facts


def test_standard_example_is_valid() -> None:
    parsed = parse_id_number("11010519491231002X", today=TODAY)
    assert parsed == IdNumber(
        number="11010519491231002X", region_code="110105", birth_date=date(1949, 12, 31), sex="F"
    )
    assert str(parsed) == "11010519491231002X"
    assert is_valid_id_number("11010519491231002X")


@pytest.mark.parametrize(
    "raw",
    [
        " 11010519491231002x ",
        "\t11010519491231002X\n",
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width, as typed with a Chinese input method
        "\u300011010519491231002x\u3000",  # ideographic spaces
    ],
)
def test_id_number_is_normalized(raw: str) -> None:
    assert parse_id_number(raw).number == "11010519491231002X"


def test_old_15_digit_example_upgrades_to_the_18_digit_example() -> None:
    parsed = parse_id_number("110105491231002")
    assert parsed.number == "11010519491231002X"
    assert parsed.birth_date == date(1949, 12, 31)
    assert parsed.sex == "F"


def test_sex_comes_from_the_17th_digit() -> None:
    assert parse_id_number(make_id_number("330102", date(1990, 1, 1), 123)).sex == "M"
    assert parse_id_number(make_id_number("330102", date(1990, 1, 1), "124")).sex == "F"


def test_make_id_number_matches_the_oracle() -> None:
    number = make_id_number("330102", date(1990, 1, 1), 7)
    assert number[:17] == "33010219900101007"
    assert number[17] == oracle_id_check("33010219900101007")


def test_pre_1900_birth_date_is_rejected_even_with_a_correct_check_char() -> None:
    # 440524188001010014 is the example in GB 11643 itself; its check character is right (4),
    # but this platform does not accept people born before 1900.
    assert oracle_id_check("44052418800101001") == "4"
    with pytest.raises(InvalidValue) as err:
        parse_id_number("440524188001010014")
    assert err.value.code == "invalid_id_number"
    assert err.value.message == MSG_ID_BIRTH_TOO_EARLY


def _with_check(first17: str) -> str:
    return first17 + oracle_id_check(first17)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", MSG_ID_EMPTY),
        ("   ", MSG_ID_EMPTY),
        ("1101051949123100", MSG_ID_LENGTH),
        ("11010519491231002X1", MSG_ID_LENGTH),
        ("1101051949123100X2", MSG_ID_CHARS),  # X only allowed last
        ("11010519491231002A", MSG_ID_CHARS),
        ("١١٠١٠٥١٩٤٩١٢٣١٠٠٢X", MSG_ID_CHARS),  # Arabic-Indic digits are digits to str.isdigit()
        ("11010549123100X", MSG_ID_CHARS),  # 15-digit numbers have no check character
        (_with_check("11010519490230002"), MSG_ID_BIRTH_DATE),  # 30 February
        (_with_check("11010519491301002"), MSG_ID_BIRTH_DATE),  # month 13
        (_with_check("11010518991231002"), MSG_ID_BIRTH_TOO_EARLY),
        (_with_check("11010520250602002"), MSG_ID_BIRTH_FUTURE),  # the day after TODAY
        ("110105491331002", MSG_ID_BIRTH_DATE),  # old format, month 13
        ("110105194912310021", MSG_ID_CHECK),
    ],
)
def test_id_number_errors_are_specific(raw: str, message: str) -> None:
    with pytest.raises(InvalidValue) as err:
        parse_id_number(raw, today=TODAY)
    assert err.value.code == "invalid_id_number"
    assert err.value.message == message
    assert str(err.value) == message
    assert not is_valid_id_number(raw, today=TODAY)


def test_the_error_messages_are_distinct() -> None:
    messages = [
        MSG_ID_EMPTY,
        MSG_ID_LENGTH,
        MSG_ID_CHARS,
        MSG_ID_BIRTH_DATE,
        MSG_ID_BIRTH_TOO_EARLY,
        MSG_ID_BIRTH_FUTURE,
        MSG_ID_CHECK,
    ]
    assert len(set(messages)) == len(messages)


def test_birth_today_is_accepted_birth_tomorrow_is_not() -> None:
    number = make_id_number("110105", date(2025, 6, 1), 1)
    assert parse_id_number(number, today=date(2025, 6, 1)).birth_date == date(2025, 6, 1)
    assert not is_valid_id_number(number, today=date(2025, 5, 31))


@pytest.mark.parametrize("value", [None, 11010519491231002, b"11010519491231002X", ["x"]])
def test_non_strings_are_invalid_not_crashes(value: object) -> None:
    assert not is_valid_id_number(value)
    assert not is_valid_credit_code(value)
    assert not is_valid_phone(value)
    with pytest.raises(InvalidValue):
        parse_id_number(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("region", "born", "seq"),
    [("11010", date(1990, 1, 1), 1), ("1101051", date(1990, 1, 1), 1), ("11010a", date(1990, 1, 1), 1)]
    + [("110105", date(1990, 1, 1), s) for s in (-1, 1000, "12", "1234", "12a")],
)
def test_make_id_number_rejects_bad_parts(region: str, born: date, seq: str | int) -> None:
    with pytest.raises(ValueError):
        make_id_number(region, born, seq)


def test_age_on() -> None:
    person = parse_id_number("11010519491231002X")
    assert person.age_on(date(1950, 12, 30)) == 0
    assert person.age_on(date(1950, 12, 31)) == 1
    assert person.age_on(date(2024, 10, 1)) == 74
    leapling = parse_id_number(make_id_number("110105", date(2000, 2, 29), 1))
    assert leapling.age_on(date(2001, 2, 28)) == 0
    assert leapling.age_on(date(2001, 3, 1)) == 1


# ============================================================================ ID numbers: properties


@given(regions, birth_dates, sequences)
def test_generated_ids_parse_and_round_trip(region: str, born: date, seq: int) -> None:
    number = make_id_number(region, born, seq)
    assert len(number) == 18
    assert number[17] == oracle_id_check(number[:17])
    parsed = parse_id_number(number, today=TODAY)
    assert parsed.number == number
    assert parsed.region_code == region
    assert parsed.birth_date == born
    assert parsed.sex == ("M" if seq % 2 else "F")
    assert parse_id_number(parsed.number.lower(), today=TODAY) == parsed


@given(id_numbers(), st.integers(min_value=0, max_value=17), st.sampled_from("0123456789X"))
def test_any_single_character_change_is_detected(number: str, position: int, replacement: str) -> None:
    assume(number[position] != replacement)
    changed = number[:position] + replacement + number[position + 1 :]
    with pytest.raises(InvalidValue) as err:
        parse_id_number(changed, today=TODAY)
    if replacement == "X" and position < 17:
        assert err.value.message == MSG_ID_CHARS
    elif not 6 <= position < 14:
        # outside the birth date only the check character can notice
        assert err.value.message == MSG_ID_CHECK


@given(id_numbers(), st.integers(min_value=0, max_value=15))
def test_adjacent_transpositions_are_detected(number: str, position: int) -> None:
    a, b = number[position], number[position + 1]
    assume(a != b)
    swapped = number[:position] + b + a + number[position + 2 :]
    assert not is_valid_id_number(swapped, today=TODAY)


@given(regions, st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)), sequences)
def test_15_digit_numbers_upgrade_to_valid_18_digit_numbers(region: str, born: date, seq: int) -> None:
    old = f"{region}{born:%y%m%d}{seq:03d}"
    parsed = parse_id_number(old)
    assert len(parsed.number) == 18
    assert parsed.number == make_id_number(region, born, seq)
    assert parsed.birth_date == born
    assert parsed.number[:6] + parsed.number[8:17] == old
    assert parse_id_number(parsed.number) == parsed  # the upgraded number is itself valid


# ============================================================================ credit codes

# The example code in GB 32100-2015 and two codes from public company registrations.
REAL_CREDIT_CODES = ["91350100M000100Y43", "91440300708461136T", "914403001922038216"]


@pytest.mark.parametrize("code", REAL_CREDIT_CODES)
def test_real_credit_codes_are_valid(code: str) -> None:
    assert parse_credit_code(code) == code
    assert parse_credit_code(f"  {code.lower()}\n") == code
    assert make_credit_code(code[:17]) == code


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("91350100M000100Y4", MSG_CREDIT_LENGTH),
        ("91350100M000100Y433", MSG_CREDIT_LENGTH),
        ("91350100M000100I43", MSG_CREDIT_CHARS),  # I is not in the alphabet
        ("91350100O000100Y43", MSG_CREDIT_CHARS),  # neither is O
        ("91350100M000100Y4-", MSG_CREDIT_CHARS),
        ("913501A0M000100Y43", MSG_CREDIT_REGION),
        ("91350100M000100Y44", MSG_CREDIT_CHECK),
        ("91350100M000100Y34", MSG_CREDIT_CHECK),
    ],
)
def test_credit_code_errors(raw: str, message: str) -> None:
    with pytest.raises(InvalidValue) as err:
        parse_credit_code(raw)
    assert err.value.code == "invalid_credit_code"
    assert err.value.message == message


def test_inner_organization_code_check_is_not_validated() -> None:
    # Position 17 is the GB 11714 check character of the organization code; we only verify position 18.
    body = "91350100M000100Y4"
    for inner in "0123456789X":
        assert is_valid_credit_code(make_credit_code(body[:16] + inner))


def test_check_value_31_maps_to_zero() -> None:
    # A body whose weighted sum is divisible by 31 gets check value 31, which the standard maps to "0".
    assert make_credit_code("00000000000000000") == "000000000000000000"


@st.composite
def credit_bodies(draw: st.DrawFn) -> str:
    alphabet = st.sampled_from(CREDIT_CODE_ALPHABET)
    head = draw(st.text(alphabet, min_size=2, max_size=2))
    region = draw(st.text(digits, min_size=6, max_size=6))
    org = draw(st.text(alphabet, min_size=9, max_size=9))
    return head + region + org


@given(credit_bodies())
def test_generated_credit_codes_validate(body: str) -> None:
    code = make_credit_code(body)
    assert code[:17] == body
    assert parse_credit_code(code) == code
    # exactly one of the 31 possible last characters is right
    assert [c for c in CREDIT_CODE_ALPHABET if is_valid_credit_code(body + c)] == [code[17]]


@given(credit_bodies(), st.integers(min_value=0, max_value=17), st.sampled_from(CREDIT_CODE_ALPHABET))
def test_single_character_substitutions_are_rejected(body: str, position: int, replacement: str) -> None:
    code = make_credit_code(body)
    assume(code[position] != replacement)
    changed = code[:position] + replacement + code[position + 1 :]
    assert not is_valid_credit_code(changed)


@pytest.mark.parametrize("bad", ["", "9135010M000100Y4", "91350100M000100I4", "91ABCDEFM000100Y4"])
def test_make_credit_code_rejects_bad_bodies(bad: str) -> None:
    with pytest.raises(ValueError):
        make_credit_code(bad)


# ============================================================================ phones


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812341234", "13812341234"),
        (" 138 1234 1234 ", "13812341234"),
        ("138-1234-1234", "13812341234"),
        ("+86 138 1234 1234", "13812341234"),
        ("+8613812341234", "13812341234"),
        ("8613812341234", "13812341234"),
        ("0086 13812341234", "13812341234"),
        ("１９９１２３４５６７８", "19912345678"),
    ],
)
def test_mobile_numbers(raw: str, expected: str) -> None:
    assert parse_mobile(raw) == expected
    assert parse_phone(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "1381234123", "138123412345", "12812341234", "23812341234", "+85213812341234", "1381234123a"]
)
def test_invalid_mobile_numbers(raw: str) -> None:
    with pytest.raises(InvalidValue) as err:
        parse_mobile(raw)
    assert err.value.code == "invalid_phone"
    assert not is_valid_mobile(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0571-87654321", "0571-87654321"),
        ("010-12345678-123", "010-12345678-123"),
        ("057187654321", "0571-87654321"),
        ("01012345678", "010-12345678"),
        ("021 6123 4567", "021-61234567"),
        ("(0571)87654321", "0571-87654321"),
        ("（0571）87654321", "0571-87654321"),
        ("0571-8765432", "0571-8765432"),
        ("0571-87654321转8001", "0571-87654321-8001"),
        ("0571-87654321 ext. 12", "0571-87654321-12"),
        ("+86 571 87654321", "0571-87654321"),
        ("+86-10-12345678", "010-12345678"),
    ],
)
def test_landlines(raw: str, expected: str) -> None:
    assert parse_landline(raw) == expected
    assert parse_phone(raw) == expected
    assert is_valid_landline(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "87654321",  # no area code
        "13812341234",  # a mobile number
        "0571-876543",  # local number too short
        "0571-876543210",  # too long and no extension separator
        "0571-07654321",  # local numbers do not start with 0
        "057-87654321",  # 057 is not an area code: only 010 and 02X have three digits
        "0571-87654321-1234567",  # extension too long
        "0571/87654321",
    ],
)
def test_invalid_landlines(raw: str) -> None:
    with pytest.raises(InvalidValue) as err:
        parse_landline(raw)
    assert err.value.code == "invalid_phone"


@pytest.mark.parametrize("raw", ["", "hello", "12345", "0571-876"])
def test_parse_phone_rejects_neither(raw: str) -> None:
    with pytest.raises(InvalidValue) as err:
        parse_phone(raw)
    assert err.value.code == "invalid_phone"


mobiles = st.builds(
    lambda second, rest: "1" + second + rest,
    st.sampled_from("3456789"),
    st.text(digits, min_size=9, max_size=9),
)


@given(mobiles, st.sampled_from(["", "+86", "+86 ", "86", "0086-"]), st.sampled_from(["", " ", "-"]))
def test_formatted_mobiles_parse_back(number: str, prefix: str, sep: str) -> None:
    formatted = prefix + number[:3] + sep + number[3:7] + sep + number[7:]
    assert parse_mobile(formatted) == number


# ============================================================================ masking


def test_documented_masks() -> None:
    assert mask_id_number("330102199001011234") == "330102********1234"
    assert mask_id_number(" 11010519491231002x ") == "110105********002X"
    assert mask_id_number("110105491231002") == "110105******002"
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("+86 138-1234-1234") == "138****1234"
    assert mask_phone("0571-87654321") == "0571-****4321"
    assert mask_phone("010-12345678-123") == "010-****5678-123"
    assert mask_phone("0571-8765432") == "0571-***5432"
    assert mask_name("张三丰") == "张*丰"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧**娜"
    assert mask_name("张") == "*"
    assert mask("abcdefgh", 2, 3) == "ab***fgh"
    assert mask("abcdefgh", 0, 0) == "********"
    assert mask("abcdefgh", 2, 3, char="#") == "ab###fgh"


@pytest.mark.parametrize("func", [mask_id_number, mask_phone, mask_name])
@pytest.mark.parametrize("value", [None, "", "   "])
def test_masks_of_nothing_are_empty(func: object, value: str | None) -> None:
    assert func(value) == ""  # type: ignore[operator]


def test_short_values_are_still_masked() -> None:
    assert mask("a", 3, 4) == "*"
    assert mask("ab", 1, 1) == "a*"
    assert mask("abcd", 3, 4) == "ab**"
    assert mask("abcd", -2, -5) == "****"
    assert mask_id_number("1234") == "1**4"
    assert mask_id_number("12") == "**"
    assert mask_phone("12345") == "12***"
    assert mask_phone("garbage-but-long") == "gar*********long"


texts = st.text(st.characters(blacklist_characters="*"), max_size=40)
keeps = st.integers(min_value=-2, max_value=12)


@given(texts, keeps, keeps)
def test_mask_properties(value: str, keep_start: int, keep_end: int) -> None:
    masked = mask(value, keep_start, keep_end)
    assert len(masked) == len(value)
    if not value:
        assert masked == ""
        return
    assert masked != value
    assert "*" in masked
    ks, ke = max(0, keep_start), max(0, keep_end)
    if len(value) > ks + ke:
        assert masked.startswith(value[:ks])
        assert masked.endswith(value[len(value) - ke :])
        assert masked.count("*") == len(value) - ks - ke
    else:
        assert masked.count("*") >= (len(value) + 1) // 2


@given(id_numbers())
def test_masked_ids_keep_region_and_last_four_only(number: str) -> None:
    masked = mask_id_number(number)
    assert masked == number[:6] + "********" + number[14:]
    assert number not in masked
    assert number[6:14] not in masked  # the birth date is hidden


@given(st.text(st.sampled_from("0123456789Xx"), min_size=1, max_size=30))
def test_masked_id_like_strings_never_reveal_more_than_ten(value: str) -> None:
    masked = mask_id_number(value)
    assert len(masked) == len(value)
    assert masked != value.upper()
    assert len(masked) - masked.count("*") <= 10


@given(mobiles)
def test_masked_mobiles(number: str) -> None:
    masked = mask_phone(number)
    assert masked == number[:3] + "****" + number[7:]
    assert number not in masked


@given(st.text(st.characters(categories=["Lo"]), min_size=2, max_size=8))
def test_masked_names(name: str) -> None:
    masked = mask_name(name)
    assert len(masked) == len(name)
    assert masked != name
    assert masked[0] == name[0]
    if len(name) >= 3:
        assert masked[-1] == name[-1]
        assert masked[1:-1] == "*" * (len(name) - 2)
