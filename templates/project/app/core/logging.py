"""Log format: UTC timestamps and the request id on every line."""

import logging
import time
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


def configure_logging(level: str) -> None:
    # The format names no thread or process: spare every record (one access
    # line per request) looking them up, as the logging HOWTO's "Optimization"
    # section advises.
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
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
