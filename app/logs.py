"""Structured logs: one JSON object a line, each with the request id it belongs to."""

import logging
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from app.middleware import request_id


class _RequestId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def configure_logging(level: str = "INFO") -> None:
    """Send the application's and uvicorn's logs to stderr as JSON lines.

    What is logged is chosen where it is logged: method, path, status and timing of each
    request, never a header (an API key travels in one) nor a body."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            timestamp=False,
        )
    )
    handler.addFilter(_RequestId())
    for name in ("app", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False


def uvicorn_log_config() -> dict[str, Any]:
    """Leave uvicorn's loggers to ``configure_logging`` (its own config would replace them)."""
    return {"version": 1, "disable_existing_loggers": False}
