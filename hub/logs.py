"""Logging set-up, with a filter that masks personal data in every record."""

from __future__ import annotations

import logging
import re

# 18-character resident IDs / credit codes, and mainland mobile numbers.
_ID_LIKE = re.compile(r"(?<![0-9A-Za-z])([0-9A-Z]{3})[0-9A-Z]{11}([0-9A-Z]{3}[0-9A-Z])(?![0-9A-Za-z])")
_PHONE_LIKE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def redact(text: str) -> str:
    """Mask anything shaped like an ID number, credit code or mobile phone."""
    text = _ID_LIKE.sub(lambda m: f"{m.group(1)}***********{m.group(2)}", text)
    return _PHONE_LIKE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message so personal data never reaches a handler in clear."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info:
            # Tracebacks can quote input values: fold them into the message and mask them too.
            message = f"{message}\n{logging.Formatter().formatException(record.exc_info)}"
            record.exc_info = None
            record.exc_text = None
        record.msg = redact(message)
        record.args = None
        return True


def configure_logging(level: int = logging.INFO) -> None:
    """Plain one-line logs on stderr, personal data masked."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
