"""What only the benchmark's servers serve: the trivial page the result pages are compared with (no database, no
template, the same number of bytes), and the count of SQL statements the server has sent, for the entry scenarios'
query budget."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse

_statements = 0
_lock = threading.Lock()


def sized(request: HttpRequest, size: int) -> HttpResponse:
    return HttpResponse(b"x" * size, content_type="text/html; charset=utf-8")


def _count_statement(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
    global _statements
    with _lock:
        # ``executemany`` (the audit log's pipelined appends) sends one statement per set of parameters.
        _statements += len(params) if many else 1
    return execute(sql, params, many, context)


class CountStatements:
    """Count every SQL statement the requests of this process send (Django's ``execute_wrapper``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with connections["default"].execute_wrapper(_count_statement):
            return self.get_response(request)


def statements_sent(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"statements": _statements})
