"""Structured logs: one JSON object a line, and one line per HTTP request."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="")
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

logger = logging.getLogger("meter_service.request")

# Paths that carry a secret (the SMS provider's webhook): what follows is never written out,
# whichever logger names the path (this one, django.request's 4xx/5xx, an exception's text).
SECRET_PATH = re.compile(r"(/sms/inbound/)[^/\s\"'?#]+")


def mask_secret_paths(text: str) -> str:
    """Return text with the secret of every secret-bearing path replaced by ***."""
    return SECRET_PATH.sub(r"\1***", text)


class JsonFormatter(logging.Formatter):
    """Format a record as JSON with its extra fields and the current request id."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return mask_secret_paths(json.dumps(entry, ensure_ascii=False, default=str))


class RequestLogMiddleware:
    """Tag each request with an id (X-Request-ID) and log method, path, status and duration."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            user = getattr(request, "user", None)
            logger.info(
                "request",
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "user_id": user.pk if user is not None and user.is_authenticated else None,
                },
            )
            response["X-Request-ID"] = request_id
            return response
        finally:
            request_id_var.reset(token)
