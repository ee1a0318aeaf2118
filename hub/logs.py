"""Logging set-up, with a filter that masks personal data in every record; text or JSON lines, each with the
request id (and, when tracing is on, the trace and span ids) of the request it was written for."""

from __future__ import annotations

import logging
import re
from typing import Any, Literal

from opentelemetry import trace
from pythonjsonlogger.json import JsonFormatter

from hub import request_id

CONTEXT_FIELDS = ("request_id", "trace_id", "span_id")  # the request's, added by RequestContext
ACCESS_FIELDS = ("method", "path", "status", "duration_ms")  # hub.access's own lines (hub.request_id)
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
        path = getattr(record, "path", None)
        if isinstance(path, str):  # the access log's: whatever a caller put in the address
            record.path = redact(path)
        return True


class RequestContext(logging.Filter):
    """Adds `request_id` (hub.request_id) and, inside a recorded span, `trace_id` and `span_id` to each record
    written for a request; records written outside one get none of them."""

    def filter(self, record: logging.LogRecord) -> bool:
        rid = request_id.current()
        if rid is not None:
            record.request_id = rid
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            record.trace_id = format(span.trace_id, "032x")
            record.span_id = format(span.span_id, "016x")
        return True



class TextLines(logging.Formatter):
    """`time LEVEL logger: message`, then `request_id=… trace_id=…` when the record has them."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = " ".join(f"{k}={getattr(record, k)}" for k in CONTEXT_FIELDS if hasattr(record, k))
        return f"{line} {context}" if context else line


class JsonLines(JsonFormatter):
    """One JSON object a line: time (ISO 8601, UTC), level, logger, message, the request's ids and, on the access
    log's lines, method, path, status and duration_ms. Only these keys: a record's other attributes (`extra=`)
    are not masked by RedactingFilter, so they are not written."""

    FIELDS = ("time", "level", "logger", "message", *CONTEXT_FIELDS, *ACCESS_FIELDS)

    def __init__(self) -> None:
        super().__init__(["levelname", "name", "message"], rename_fields={"levelname": "level", "name": "logger"},
                         timestamp="time")

    def add_fields(self, log_record: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
        super().add_fields(log_record, record, message_dict)
        kept = {k: log_record[k] for k in self.FIELDS if k in log_record}
        log_record.clear()
        log_record.update(kept)


LogFormat = Literal["json", "text"]


def configure_logging(level: int = logging.INFO, *, format: LogFormat = "text") -> None:  # noqa: A002
    """One-line logs on stderr, text or JSON (HUB_LOG_FORMAT), personal data masked, each with its request id."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines() if format == "json" else TextLines())
    handler.addFilter(RedactingFilter())
    handler.addFilter(RequestContext())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
