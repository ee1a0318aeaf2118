"""Validation, masking and keyed hashing of personal identifiers (hub.people.identity)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.people.identity import (
    CREDIT_CODE_ALPHABET,
    RESIDENT_ID_CHECK_CHARS,
    IdentityError,
    credit_code_check_char,
    keyed_hash,
    mask_address,
    mask_phone,
    mask_resident_id,
    normalise_identifier,
    resident_id_check_char,
    validate_credit_code,
    validate_phone,
    validate_resident_id,
)

# 510199 is a fictitious district code under Chengdu (5101xx); nobody real has these numbers.
ID_FIRST17 = "51019919850312123"
VALID_ID = ID_FIRST17 + resident_id_check_char(ID_FIRST17)
CREDIT_FIRST17 = "91510199MA6CXK4B7"
VALID_CREDIT_CODE = CREDIT_FIRST17 + credit_code_check_char(CREDIT_FIRST17)
KEY = b"test-key-not-a-secret"


def other_check_char(value: str, alphabet: str) -> str:
    """Any check character from the alphabet other than the one the value ends with."""
    return next(char for char in alphabet if char != value[-1])


def to_full_width(value: str) -> str:
    """The full-width (U+FF01..U+FF5E) form of an ASCII string, as typed by a Chinese IME."""
    return "".join(chr(ord(char) + 0xFEE0) for char in value)


# --- normalise_identifier -------------------------------------------------------------------


def test_normalise_folds_full_width_removes_all_whitespace_and_upper_cases() -> None:
    # given an identifier typed with full-width characters, an ideographic space and a tab
    raw = " ５１０１\u3000９９ x\t"
    # when it is normalised
    result = normalise_identifier(raw)
    # then it is half-width, without any whitespace, upper-case
    assert result == "510199X"


def test_normalise_keeps_hyphens() -> None:
    assert normalise_identifier("ab-cd") == "AB-CD"


# --- resident ID ----------------------------------------------------------------------------


def test_check_char_of_a_known_example() -> None:
    # given the textbook example from GB 11643-1999's own worked example
    # then the check char matches the standard's result
    assert resident_id_check_char("11010519491231002") == "X"


def test_valid_resident_id_is_accepted_and_returned_unchanged() -> None:
    assert validate_resident_id(VALID_ID) == VALID_ID


def test_full_width_resident_id_is_normalised_to_half_width() -> None:
    # given the valid ID typed entirely in full-width digits
    full_width = to_full_width(VALID_ID)
    assert full_width.startswith("５１０１９９")
    # when validated
    # then the half-width ID comes back
    assert validate_resident_id(full_width) == VALID_ID


def test_lower_case_x_is_accepted_and_returned_upper_case() -> None:
    # given an ID whose check char is X, typed with a lower-case x
    candidates = (f"51019919900101{n:03d}" for n in range(1000))
    with_x = next(c + "X" for c in candidates if resident_id_check_char(c) == "X")
    # when validated with a lower-case x
    # then it is accepted and returned with an upper-case X
    assert validate_resident_id(with_x.lower()) == with_x


def test_whitespace_around_and_inside_is_removed() -> None:
    spaced = f"  {VALID_ID[:6]} {VALID_ID[6:14]}\u3000{VALID_ID[14:]}\n"
    assert validate_resident_id(spaced) == VALID_ID


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        (VALID_ID[:-1], "INVALID_ID_NUMBER_LENGTH"),
        (VALID_ID + "1", "INVALID_ID_NUMBER_LENGTH"),
        ("", "INVALID_ID_NUMBER_LENGTH"),
        ("5101991985031212X3", "INVALID_ID_NUMBER_FORMAT"),
        ("51019919850312123A", "INVALID_ID_NUMBER_FORMAT"),
        ("510199-9850312-123", "INVALID_ID_NUMBER_FORMAT"),
        ("51019919850230123" + "1", "INVALID_ID_NUMBER_BIRTH_DATE"),  # 30 February
        ("51019918991231123" + "1", "INVALID_ID_NUMBER_BIRTH_DATE"),  # before 1900
        ("51019920991231123" + "1", "INVALID_ID_NUMBER_BIRTH_DATE"),  # in the future
        (VALID_ID[:-1] + other_check_char(VALID_ID, RESIDENT_ID_CHECK_CHARS),
         "INVALID_ID_NUMBER_CHECK_DIGIT"),
    ],
)
def test_bad_resident_id_is_rejected_with_its_code_and_without_echoing_it(
    bad: str, code: str
) -> None:
    # when a bad ID is validated
    with pytest.raises(IdentityError) as caught:
        validate_resident_id(bad)
    # then the stable code says why, and the message never repeats the number
    assert caught.value.code == code
    assert caught.value.message == str(caught.value)
    assert isinstance(caught.value, ValueError)
    if bad:
        assert bad not in str(caught.value)
        assert normalise_identifier(bad) not in str(caught.value)


def test_birth_date_today_is_accepted_but_tomorrow_is_not() -> None:
    # given a fixed "today" so the test does not depend on the calendar
    today = date(2024, 5, 1)
    born_today = "51019920240501001"
    born_tomorrow = "51019920240502001"
    # then a baby born today is valid and one born tomorrow is not
    assert validate_resident_id(born_today + resident_id_check_char(born_today), today=today)
    with pytest.raises(IdentityError) as caught:
        validate_resident_id(born_tomorrow + resident_id_check_char(born_tomorrow), today=today)
    assert caught.value.code == "INVALID_ID_NUMBER_BIRTH_DATE"


def test_error_message_does_not_contain_the_birth_date() -> None:
    with pytest.raises(IdentityError) as caught:
        validate_resident_id(VALID_ID[:-1] + other_check_char(VALID_ID, RESIDENT_ID_CHECK_CHARS))
    assert "19850312" not in str(caught.value)


def test_check_char_helpers_refuse_malformed_input() -> None:
    with pytest.raises(IdentityError) as caught:
        resident_id_check_char("5101991985031212")
    assert caught.value.code == "INVALID_ID_NUMBER_FORMAT"
    with pytest.raises(IdentityError) as caught:
        credit_code_check_char("91510199MAICXK4B7")
    assert caught.value.code == "INVALID_CREDIT_CODE_FORMAT"


# --- unified social credit code -------------------------------------------------------------


def test_valid_credit_code_is_accepted() -> None:
    assert validate_credit_code(VALID_CREDIT_CODE) == VALID_CREDIT_CODE


def test_credit_code_is_normalised_from_full_width_lower_case_and_spaced() -> None:
    typed = " " + to_full_width(VALID_CREDIT_CODE.lower()[:9]) + " " + VALID_CREDIT_CODE[9:]
    assert validate_credit_code(typed) == VALID_CREDIT_CODE


def test_credit_code_check_char_of_a_published_code() -> None:
    # given a commonly quoted valid example code, then the computed check char matches it
    assert credit_code_check_char("91350100M000100Y4") == "3"


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        (VALID_CREDIT_CODE[:-1], "INVALID_CREDIT_CODE_LENGTH"),
        (VALID_CREDIT_CODE + "0", "INVALID_CREDIT_CODE_LENGTH"),
        ("91510199MAIC" + VALID_CREDIT_CODE[12:], "INVALID_CREDIT_CODE_FORMAT"),  # I forbidden
        ("91510199MAOC" + VALID_CREDIT_CODE[12:], "INVALID_CREDIT_CODE_FORMAT"),  # O forbidden
        ("9151A199" + VALID_CREDIT_CODE[8:], "INVALID_CREDIT_CODE_FORMAT"),  # division not digits
        ("91510199MA-CXK4B7" + VALID_CREDIT_CODE[17], "INVALID_CREDIT_CODE_FORMAT"),
        (VALID_CREDIT_CODE[:-1] + other_check_char(VALID_CREDIT_CODE, CREDIT_CODE_ALPHABET),
         "INVALID_CREDIT_CODE_CHECK_CHAR"),
    ],
)
def test_bad_credit_code_is_rejected_with_its_code_and_without_echoing_it(
    bad: str, code: str
) -> None:
    with pytest.raises(IdentityError) as caught:
        validate_credit_code(bad)
    assert caught.value.code == code
    assert bad not in str(caught.value)


# --- phones ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "digits"),
    [
        ("13800138000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("0086-138-0013-8000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),
        ("028-85551234", "02885551234"),
        ("(028) 8555 1234", "02885551234"),
        ("010-1234567", "0101234567"),
        ("0755 12345678", "075512345678"),
    ],
)
def test_valid_phone_returns_its_digits(typed: str, digits: str) -> None:
    assert validate_phone(typed) == digits


@pytest.mark.parametrize(
    "bad",
    ["12345", "2381234567890", "", "1280013800", "128001380001", "+86 028 85551234",
     "138001380001", "13800l38000"],
)
def test_bad_phone_is_rejected_without_echoing_it(bad: str) -> None:
    with pytest.raises(IdentityError) as caught:
        validate_phone(bad)
    assert caught.value.code == "INVALID_PHONE"
    if bad:
        assert bad not in str(caught.value)


# --- masks ----------------------------------------------------------------------------------


def test_mask_resident_id_keeps_first_three_and_last_four() -> None:
    assert mask_resident_id("51019919850312123X") == "510***********123X"
    assert len(mask_resident_id(VALID_ID)) == 18


def test_mask_resident_id_works_for_credit_codes() -> None:
    assert mask_resident_id(VALID_CREDIT_CODE) == "915***********" + VALID_CREDIT_CODE[-4:]


@pytest.mark.parametrize(
    ("value", "masked"),
    [("510199850312123", "5*************3"), ("AB1", "A*1"), ("AB", "**"), ("", "")],
)
def test_mask_of_other_lengths_keeps_first_and_last(value: str, masked: str) -> None:
    assert mask_resident_id(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+86 138 1234 5678", "138****5678"),
        ("028-85551234", "028******34"),
        ("0101234567", "010*****67"),
        ("12345", "*****"),
    ],
)
def test_mask_phone(value: str, masked: str) -> None:
    assert mask_phone(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("四川省成都市武侯区人民南路四段1号", "四川省成都市****"),
        ("成都市武侯区", "成都****"),
        ("北京", "北京****"),
        ("   ", ""),
    ],
)
def test_mask_address(value: str, masked: str) -> None:
    assert mask_address(value) == masked


# --- keyed hash -----------------------------------------------------------------------------


def test_keyed_hash_is_stable_and_32_hex_chars() -> None:
    first = keyed_hash(key=KEY, purpose="id", value=VALID_ID)
    assert first == keyed_hash(key=KEY, purpose="id", value=VALID_ID)
    assert len(first) == 32
    assert int(first, 16) >= 0
    assert VALID_ID not in first


def test_keyed_hash_differs_by_purpose_key_and_value() -> None:
    base = keyed_hash(key=KEY, purpose="id", value="13800138000")
    assert base != keyed_hash(key=KEY, purpose="phone", value="13800138000")
    assert base != keyed_hash(key=b"another-key", purpose="id", value="13800138000")
    assert base != keyed_hash(key=KEY, purpose="id", value="13800138001")


def test_keyed_hash_purpose_and_value_cannot_be_shifted_into_each_other() -> None:
    assert keyed_hash(key=KEY, purpose="name", value="-phone:1") != keyed_hash(
        key=KEY, purpose="name-phone", value=":1"
    )
    with pytest.raises(ValueError):
        keyed_hash(key=KEY, purpose="a\x00b", value="c")
    with pytest.raises(ValueError):
        keyed_hash(key=b"", purpose="id", value="c")


def test_keyed_hash_arguments_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        keyed_hash(KEY, "id", "x")  # type: ignore[misc]


# --- properties -----------------------------------------------------------------------------

birth_dates = st.dates(min_value=date(1920, 1, 1), max_value=date(2010, 12, 31))
credit_chars = st.sampled_from(CREDIT_CODE_ALPHABET)


@given(
    region=st.text(alphabet="0123456789", min_size=6, max_size=6),
    born=birth_dates,
    sequence=st.text(alphabet="0123456789", min_size=3, max_size=3),
    data=st.data(),
)
def test_any_resident_id_with_its_check_char_is_valid_and_any_other_is_not(
    region: str, born: date, sequence: str, data: st.DataObject
) -> None:
    # given 17 digits with a real birth date
    first17 = f"{region}{born:%Y%m%d}{sequence}"
    # when the computed check char is appended, then the ID validates
    number = first17 + resident_id_check_char(first17)
    assert validate_resident_id(number) == number
    # when any other check char is appended, then it fails on the check digit
    wrong = data.draw(st.sampled_from([c for c in RESIDENT_ID_CHECK_CHARS if c != number[-1]]))
    with pytest.raises(IdentityError) as caught:
        validate_resident_id(first17 + wrong)
    assert caught.value.code == "INVALID_ID_NUMBER_CHECK_DIGIT"
    assert first17 + wrong not in str(caught.value)


@given(
    head=st.lists(credit_chars, min_size=2, max_size=2),
    division=st.text(alphabet="0123456789", min_size=6, max_size=6),
    tail=st.lists(credit_chars, min_size=9, max_size=9),
    data=st.data(),
)
def test_any_credit_code_with_its_check_char_is_valid_and_any_other_is_not(
    head: list[str], division: str, tail: list[str], data: st.DataObject
) -> None:
    first17 = "".join(head) + division + "".join(tail)
    code = first17 + credit_code_check_char(first17)
    assert validate_credit_code(code) == code
    wrong = data.draw(st.sampled_from([c for c in CREDIT_CODE_ALPHABET if c != code[-1]]))
    with pytest.raises(IdentityError) as caught:
        validate_credit_code(first17 + wrong)
    assert caught.value.code == "INVALID_CREDIT_CODE_CHECK_CHAR"
    assert first17 + wrong not in str(caught.value)
