"""Request id propagation for logs."""

from __future__ import annotations

import logging
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class RequestContext:
    __slots__ = ("ip", "request_id", "user_agent")

    def __init__(self, ip: str = "", user_agent: str = "", request_id: str = ""):
        self.ip = ip
        self.user_agent = user_agent
        self.request_id = request_id


request_context_var: ContextVar[RequestContext] = ContextVar("request_context", default=RequestContext())  # noqa: B039
