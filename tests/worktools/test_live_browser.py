"""In Chromium, against `jiceng serve` in embedded mode (one daphne process for pages and sockets): two
staff exchange messages and each sees the other's at once, delivered through the socket — while it is
open the page's timed polls pause for 30 s, longer than any wait here."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection

from jiceng.accounts.models import User
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
        try:
            server.wait(1)
        except subprocess.TimeoutExpired:  # daphne would wait for the pages' open sockets
            server.kill()
            server.wait(5)


@pytest.fixture
def conversation(org: Org, settings: Any) -> tuple[User, User, str]:
    """A dispatcher and a grid worker who can log in to the server, and the page of their conversation."""
    dispatcher, worker = org.user("a", "dispatcher"), org.user("a", "grid_worker")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]  # the server's
    for user in (dispatcher, worker):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    found = message_actions.open_direct(dispatcher, worker.username)
    return dispatcher, worker, f"/worktools/messages/{found.pk}/"


def wait_until(page: Any, check: Callable[[], Any], seconds: float = 10) -> bool:
    """Let the page's events run until ``check()`` holds (or the time is up); whether it holds."""
    for _ in range(int(seconds * 20)):
        if check():
            return True
        page.wait_for_timeout(50)
    return bool(check())


def test_two_staff_exchange_messages_through_the_socket(
    open_page: Any, embedded_server: str, conversation: tuple[User, User, str]
) -> None:
    from playwright.sync_api import expect

    base = embedded_server
    dispatcher, worker, url = conversation
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


def test_a_push_during_a_fetch_is_not_lost(
    open_page: Any, embedded_server: str, conversation: tuple[User, User, str]
) -> None:
    """The socket says "new message" while the page's previous fetch (which read the database before the
    message was saved) is still on its way: htmx would drop a second request on the same poller, so the
    page must fetch again once the first is done. The phone's fetches are held here until the message
    has been sent and pushed; timed polls are paused while the socket is open, so only that second
    fetch can bring the message within the wait."""
    from playwright.sync_api import expect

    base = embedded_server
    dispatcher, worker, url = conversation
    desk, desk_watch = open_page("desktop")
    log_in(desk, base, dispatcher.username, url)
    phone, phone_watch = open_page("phone", service_workers="block")  # else it fetches past page.route
    polls = {"open": 0, "done": 0}

    def count(key: str) -> Any:
        return lambda request: "/poll/" in request.url and polls.update({key: polls[key] + 1})

    phone.on("request", count("open"))
    phone.on("requestfinished", count("done"))
    pushed: list[str] = []
    phone.on("websocket", lambda ws: ws.on("framereceived", lambda frame: pushed.append(str(frame))))
    log_in(phone, base, worker.username, url)
    expect(phone.locator("#chat")).to_have_attribute("data-live", "on")
    # The socket's opening fetch is done (timed polls pause while it is open): nothing is in flight.
    wait_until(phone, lambda: polls["done"] and polls["done"] == polls["open"])

    held: list[Any] = []
    holding = [True]
    phone.route(re.compile(r"/poll/"), lambda route: held.append(route) if holding[0] else route.continue_())
    for _ in range(50):  # a trigger landing while htmx swaps in the new poller does nothing: again
        phone.evaluate("htmx.trigger(document.querySelector('#chat .poll'), 'poll-now')")
        phone.wait_for_timeout(200)
        if held:
            break
    assert held, "the phone's fetch was not seen"
    response = held[0].fetch()  # read before the message exists

    desk.get_by_placeholder(zh("Message")).fill("请到解放路查看积水")
    with desk.expect_response(lambda r: r.request.method == "POST"):
        desk.get_by_role("button", name=zh("Send")).click()
    # The push arrives while the fetch is held.
    assert wait_until(phone, lambda: any('"message"' in frame for frame in pushed)), pushed
    assert len(held) == 1, "the phone fetched again while its fetch was held"
    holding[0] = False
    held[0].fulfill(response=response)
    expect(phone.locator("#chat")).to_contain_text("请到解放路查看积水", timeout=10_000)
    expect(phone.locator("#chat .msg")).to_have_count(1)
    phone_watch.assert_clean()
    desk_watch.assert_clean()
