from __future__ import annotations

import json
import logging
from typing import Any
from unittest import mock

import pytest
from django.db import DatabaseError
from django.test import Client
from openapi_spec_validator import validate

from jiceng.core.logging import RequestIdFilter
from tests.conftest import Org


def test_healthz_checks_the_database(db: None) -> None:
    ok = Client().get("/healthz")
    assert ok.status_code == 200 and ok.json() == {"status": "ok", "database": "ok"}
    with mock.patch("jiceng.web.views.connection.cursor", side_effect=DatabaseError("down")):
        down = Client().get("/healthz")
    assert down.status_code == 503 and down.json()["database"] == "unreachable"


@pytest.mark.once  # the document does not depend on the database
def test_openapi_document_is_valid_and_describes_errors(db: None) -> None:
    doc = Client().get("/api/v1/openapi.json").json()
    validate(doc)
    assert doc["openapi"].startswith("3.")
    assert {"code", "message", "details"} <= set(doc["components"]["schemas"]["ErrorOut"]["properties"])
    create_unit = doc["paths"]["/api/v1/units"]["post"]["responses"]
    assert {"201", "401", "403", "404", "409", "422"} <= set(create_unit)
    assert Client().get("/api/v1/docs").status_code == 200


def test_request_id_is_echoed_or_made(db: None) -> None:
    given = Client().get("/healthz", headers={"X-Request-ID": "abc-123-def-456"})
    assert given["X-Request-ID"] == "abc-123-def-456"
    made = Client().get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert len(made["X-Request-ID"]) == 32 and made["X-Request-ID"] != "bad id with spaces"


def test_json_log_lines_carry_the_request_id() -> None:
    from pythonjsonlogger.json import JsonFormatter

    from jiceng.core.logging import request_id_var

    formatter = JsonFormatter(
        ["asctime", "levelname", "name", "message", "request_id"], json_ensure_ascii=False
    )
    record = logging.LogRecord("jiceng.access", logging.INFO, __file__, 1, "GET %s", ("/x",), None)
    record.status = 200
    token = request_id_var.set("req-42")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    line = json.loads(formatter.format(record))
    assert line["request_id"] == "req-42" and line["message"] == "GET /x" and line["status"] == 200


def test_security_headers_and_csp(org: Org, page_as) -> None:
    response = page_as(org.user("a", "dispatcher")).get("/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "csrftoken" in response.cookies or "csrfmiddlewaretoken" in response.content.decode()


def test_chinese_by_default_english_on_request(org: Org, page_as) -> None:
    client = page_as(org.user("a", "dispatcher"))
    assert "首页" in client.get("/", headers={"Accept-Language": "en-US"}).content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.get("/").content.decode()
    assert "Home" in english and 'lang="en"' in english


def test_navigation_depends_on_role(org: Org, page_as) -> None:
    dispatcher = page_as(org.user("a", "dispatcher")).get("/").content.decode()
    admin = page_as(org.user("a", "admin")).get("/").content.decode()
    assert "/audit/" not in dispatcher and "/audit/" in admin
    assert "/accounts/users/" in admin


def test_the_built_once_csp_header_is_django_csps_own() -> None:
    from csp.decorators import csp_update
    from csp.middleware import CSPMiddleware as LibraryCSPMiddleware
    from django.http import HttpResponse
    from django.test import RequestFactory, override_settings

    from jiceng.core.middleware import CSPMiddleware

    def answer(request: Any, view: Any = None) -> HttpResponse:
        return (view or (lambda r: HttpResponse("ok")))(request)

    def headers(middleware: type, view: Any = None, *, nonce: bool = False) -> dict[str, str]:
        request = RequestFactory().get("/events/")
        mw = middleware(lambda r: answer(r, view))
        mw.process_request(request)
        if nonce:
            str(request.csp_nonce)  # a page that put the nonce in a script tag
        response = mw.process_response(request, answer(request, view))
        return {k: v for k, v in response.items() if "Security-Policy" in k}

    mine = headers(CSPMiddleware)
    assert mine == headers(LibraryCSPMiddleware)
    assert "default-src 'self'" in mine["Content-Security-Policy"]
    # A changed setting is seen at once (the built header is forgotten).
    with override_settings(
        CONTENT_SECURITY_POLICY={"DIRECTIVES": {"default-src": ["'none'"]}},
        CONTENT_SECURITY_POLICY_REPORT_ONLY={"DIRECTIVES": {"img-src": ["'self'"]}},
    ):
        changed = headers(CSPMiddleware)
        assert changed == headers(LibraryCSPMiddleware)
        assert changed["Content-Security-Policy"] == "default-src 'none'"
        assert "img-src 'self'" in changed["Content-Security-Policy-Report-Only"]
    assert headers(CSPMiddleware) == mine
    # A view's own change and a nonce go through django-csp.
    widened = csp_update({"img-src": ["https://tiles.example.org"]})(lambda r: HttpResponse("ok"))
    assert "https://tiles.example.org" in headers(CSPMiddleware, widened)["Content-Security-Policy"]
    assert headers(CSPMiddleware, nonce=True) == headers(LibraryCSPMiddleware, nonce=True)
