"""Log format: UTC timestamps and the request id on every line; text for a
terminal, or one JSON object per line for a log collector (`LOG_FORMAT=json`)."""

import json
import logging
import time
from contextvars import ContextVar
from typing import Literal

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

LogFormat = Literal["text", "json"]


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One object per line: time, level, logger, request id and message; the
    access line's fields (`extra={"http": {...}}`) instead of its message,
    which holds the raw path: the route template says what was asked without
    the ids and names a path may carry."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S")
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
        }
        http = getattr(record, "http", None)
        if isinstance(http, dict):
            entry["message"] = f"{http['method']} {http['route']} {http['status']}"
            entry.update(http)
        else:
            entry["message"] = record.getMessage()
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str, log_format: LogFormat) -> None:
    # The format names no thread or process: spare every record (one access
    # line per request) looking them up, as the logging HOWTO's "Optimization"
    # section advises.
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    formatter: logging.Formatter
    if log_format == "json":
        formatter = JsonFormatter()
    else:
        formatter = logging.Formatter(
            "%(asctime)s.%(msecs)03dZ %(levelname)s [%(request_id)s] %(name)s: %(message)s",
            datefmt="%Y-%m-%dT%H:%M:%S",
        )
    # Log times in UTC whatever the server's zone, so lines from several hosts sort.
    formatter.converter = time.gmtime
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger("app")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
