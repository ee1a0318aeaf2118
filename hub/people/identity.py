"""Pure checks, masks and keyed hashes for personal identifiers (resident IDs, credit codes, phones).

Nothing here does I/O. Error messages describe what is wrong without ever repeating the value
they were given: identifiers are personal data and must not leak into logs or API responses.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from datetime import date

__all__ = [
    "IdentityError",
    "credit_code_check_char",
    "keyed_hash",
    "mask_address",
    "mask_phone",
    "mask_resident_id",
    "normalise_identifier",
    "resident_id_check_char",
    "validate_credit_code",
    "validate_phone",
    "validate_resident_id",
]

RESIDENT_ID_LENGTH = 18
RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RESIDENT_ID_CHECK_CHARS = "10X98765432"
EARLIEST_BIRTH_YEAR = 1900

CREDIT_CODE_LENGTH = 18
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

_WHITESPACE = re.compile(r"\s+")  # str patterns are Unicode-aware: covers U+3000 too
_PHONE_NOISE = re.compile(r"[\s\-()]+")
_RESIDENT_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_CREDIT_CHAR = f"[{CREDIT_CODE_ALPHABET}]"
_CREDIT_CODE_SHAPE = re.compile(f"{_CREDIT_CHAR}{{2}}[0-9]{{6}}{_CREDIT_CHAR}{{10}}")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_LANDLINE = re.compile(r"0[0-9]{2,3}[0-9]{7,8}")
_COUNTRY_PREFIXES = ("+86", "0086", "86")


class IdentityError(ValueError):
    """A personal identifier failed validation; .code is a stable machine code."""

    def __init__(self, code: str, message: str) -> None:
        """Keep the machine code and the (value-free) human message."""
        super().__init__(message)
        self.code = code
        self.message = message


def normalise_identifier(value: str) -> str:
    """NFKC-fold (full-width to half-width), drop every whitespace character, upper-case."""
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", value)).upper()


def resident_id_check_char(first17: str) -> str:
    """GB 11643-1999 check character ('0'-'9' or 'X') for the first 17 digits of a resident ID."""
    if len(first17) != RESIDENT_ID_LENGTH - 1 or not first17.isascii() or not first17.isdigit():
        raise IdentityError("INVALID_ID_NUMBER_FORMAT", "the first 17 characters must be digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, RESIDENT_ID_WEIGHTS))
    return RESIDENT_ID_CHECK_CHARS[total % 11]


def _birth_date_is_plausible(segment: str, today: date) -> bool:
    """True when YYYYMMDD is a real calendar date from 1900 up to today."""
    try:
        born = date(int(segment[:4]), int(segment[4:6]), int(segment[6:8]))
    except ValueError:
        return False
    return EARLIEST_BIRTH_YEAR <= born.year and born <= today


def validate_resident_id(value: str, *, today: date | None = None) -> str:
    """Normalise and validate an 18-character resident ID; return it with an upper-case X."""
    number = normalise_identifier(value)
    if len(number) != RESIDENT_ID_LENGTH:
        raise IdentityError(
            "INVALID_ID_NUMBER_LENGTH",
            f"a resident ID number has {RESIDENT_ID_LENGTH} characters, this one has {len(number)}",
        )
    if not _RESIDENT_ID_SHAPE.fullmatch(number):
        raise IdentityError(
            "INVALID_ID_NUMBER_FORMAT",
            "a resident ID number is 17 digits followed by a digit or X",
        )
    if not _birth_date_is_plausible(number[6:14], today or date.today()):
        raise IdentityError(
            "INVALID_ID_NUMBER_BIRTH_DATE",
            "characters 7-14 of the resident ID number are not a real birth date "
            f"between {EARLIEST_BIRTH_YEAR} and today",
        )
    if resident_id_check_char(number[:17]) != number[17]:
        raise IdentityError(
            "INVALID_ID_NUMBER_CHECK_DIGIT",
            "the last character of the resident ID number does not match its check digit; "
            "check for a mistyped digit",
        )
    return number


def credit_code_check_char(first17: str) -> str:
    """GB 32100-2015 check character for the first 17 characters of a unified social credit code."""
    if len(first17) != CREDIT_CODE_LENGTH - 1 or any(c not in CREDIT_CODE_ALPHABET for c in first17):
        raise IdentityError(
            "INVALID_CREDIT_CODE_FORMAT",
            "the first 17 characters must come from the credit code alphabet",
        )
    total = sum(
        CREDIT_CODE_ALPHABET.index(char) * weight
        for char, weight in zip(first17, CREDIT_CODE_WEIGHTS)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> str:
    """Normalise and validate an 18-character unified social credit code; return it."""
    code = normalise_identifier(value)
    if len(code) != CREDIT_CODE_LENGTH:
        raise IdentityError(
            "INVALID_CREDIT_CODE_LENGTH",
            f"a unified social credit code has {CREDIT_CODE_LENGTH} characters, "
            f"this one has {len(code)}",
        )
    if not _CREDIT_CODE_SHAPE.fullmatch(code):
        raise IdentityError(
            "INVALID_CREDIT_CODE_FORMAT",
            "a unified social credit code uses digits and capital letters except I, O, Z, S, V, "
            "and characters 3-8 (the administrative division code) must be digits",
        )
    if credit_code_check_char(code[:17]) != code[17]:
        raise IdentityError(
            "INVALID_CREDIT_CODE_CHECK_CHAR",
            "the last character of the unified social credit code does not match its check "
            "character; check for a mistyped character",
        )
    return code


def _phone_digits(value: str) -> str:
    """NFKC-fold, drop whitespace, hyphens and parentheses, and a country prefix before a mobile."""
    text = _PHONE_NOISE.sub("", unicodedata.normalize("NFKC", value))
    for prefix in _COUNTRY_PREFIXES:
        rest = text[len(prefix) :]
        if text.startswith(prefix) and _MOBILE.fullmatch(rest):
            return rest
    return text


def validate_phone(value: str) -> str:
    """Validate a mainland mobile or landline (with area code) number; return its digits."""
    digits = _phone_digits(value)
    if _MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits):
        return digits
    raise IdentityError(
        "INVALID_PHONE",
        "a phone number must be an 11-digit mainland mobile (optionally +86) "
        "or a landline with its area code, e.g. 028-85551234",
    )


def mask_resident_id(value: str) -> str:
    """Mask an ID or credit code: 18 chars keep first 3 and last 4; others keep first and last."""
    text = normalise_identifier(value)
    if len(text) == RESIDENT_ID_LENGTH:
        return text[:3] + "*" * 11 + text[-4:]
    if len(text) <= 2:
        return "*" * len(text)  # keeping first and last would reveal everything
    return text[0] + "*" * (len(text) - 2) + text[-1]


def mask_phone(value: str) -> str:
    """Mask a phone: mobiles keep first 3 and last 4, anything else keeps first 3 and last 2."""
    digits = _phone_digits(value)
    if _MOBILE.fullmatch(digits):
        return digits[:3] + "****" + digits[-4:]
    if len(digits) <= 5:
        return "*" * len(digits)  # too short to show anything safely
    return digits[:3] + "*" * (len(digits) - 5) + digits[-2:]


def mask_address(value: str) -> str:
    """Keep the first 6 characters (province/city/district) and replace the rest with '****'."""
    text = value.strip()
    if not text:
        return ""
    if len(text) <= 6:
        return text[:2] + "****"
    return text[:6] + "****"


def keyed_hash(*, key: bytes, purpose: str, value: str) -> str:
    """HMAC-SHA256 of purpose NUL value under key, as 32 hex characters (for lookup and dedup)."""
    if not key:
        raise ValueError("keyed_hash needs a non-empty key")
    if "\x00" in purpose:
        raise ValueError("a keyed_hash purpose must not contain NUL")
    message = f"{purpose}\x00{value}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]
