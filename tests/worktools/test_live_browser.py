"""In Chromium, against `jiceng serve` in embedded mode (one daphne process for pages and sockets): two
staff exchange messages and each sees the other's at once, delivered through the socket — while it is
open the page's timed polls pause for 30 s, longer than any wait here."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection

from jiceng.worktools import message_actions
from tests.browser.test_event_flow import log_in, zh
from tests.conftest import PASSWORD, Org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def database_url() -> str:
    """The test database, for the server process."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def embedded_server(org: Org) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("JICENG_CELERY_BROKER_URL", "JICENG_CHANNELS_REDIS_URL", "JICENG_LIVE_URL")
    }
    env["JICENG_DATABASE_URL"] = database_url()
    server = subprocess.Popen(  # noqa: S603 - our own command line
        [sys.executable, "-m", "jiceng.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1) as answer:  # noqa: S310
                    if answer.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(server.stderr.read().decode() if server.stderr else "") from None
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(10)


def test_two_staff_exchange_messages_through_the_socket(
    open_page: Any, embedded_server: str, org: Org, settings: Any
) -> None:
    from playwright.sync_api import expect

    base = embedded_server
    dispatcher, worker = org.user("a", "dispatcher"), org.user("a", "grid_worker")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]  # the server's
    for user in (dispatcher, worker):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    conversation = message_actions.open_direct(dispatcher, worker.username)
    url = f"/worktools/messages/{conversation.pk}/"
    desk, desk_watch = open_page("desktop")
    log_in(desk, base, dispatcher.username, url)
    phone, phone_watch = open_page("phone")
    log_in(phone, base, worker.username, url)
    for page in (desk, phone):
        expect(page.locator("#chat")).to_have_attribute("data-live", "on")

    desk.get_by_placeholder(zh("Message")).fill("请到解放路查看积水")
    desk.get_by_role("button", name=zh("Send")).click()
    # Generous: with both CI passes side by side the two cores are saturated; the socket still has to
    # deliver (a live page does not poll).
    expect(phone.locator("#chat")).to_contain_text("请到解放路查看积水", timeout=15_000)
    phone.get_by_placeholder(zh("Message")).fill("收到，马上过去")
    phone.get_by_role("button", name=zh("Send")).click()
    expect(desk.locator("#chat")).to_contain_text("收到，马上过去", timeout=15_000)
    for page in (desk, phone):
        expect(page.locator("#chat .msg")).to_have_count(2)
    desk_watch.assert_clean()
    phone_watch.assert_clean()
