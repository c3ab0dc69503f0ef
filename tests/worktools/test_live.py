"""Live messages over WebSocket: the socket is the Django session's, only members of a conversation hear
of its messages (with their unread counts), on the in-process layer and on Redis; `jiceng serve` stays
WSGI unless in embedded mode, and `jiceng live` needs Redis."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connection
from django.test import Client

from jiceng import cli
from jiceng.asgi import websockets
from jiceng.worktools import message_actions
from jiceng.worktools.consumers import REFUSED
from tests.conftest import Org

pytestmark = pytest.mark.django_db(transaction=True)


def session_cookie(user: Any) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def socket(
    path: str, cookie: bytes | None = None, origin: bytes = b"http://testserver"
) -> WebsocketCommunicator:
    headers = [(b"origin", origin)]
    if cookie is not None:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(websockets, path, headers=headers)


def run(test: Callable[[], Awaitable[None]]) -> None:
    """Drive an async test from a sync one: database work runs on this thread, in the test's database."""
    async_to_sync(test)()


async def opened(communicator: WebsocketCommunicator) -> WebsocketCommunicator:
    connected, _ = await communicator.connect()
    assert connected
    hello = await communicator.receive_json_from()
    assert hello["type"] == "hello"
    return communicator


def test_members_hear_of_a_message_with_their_unread_counts(org: Org) -> None:
    dispatcher, worker = org.user("a", "dispatcher"), org.user("a", "grid_worker")
    conversation = message_actions.open_direct(dispatcher, worker.username)
    path = f"/ws/messages/{conversation.pk}/"
    dispatcher_cookie, worker_cookie = session_cookie(dispatcher), session_cookie(worker)

    async def test() -> None:
        mine = await opened(socket(path, dispatcher_cookie))
        theirs = await opened(socket(path, worker_cookie))
        everywhere = await opened(socket("/ws/messages/", worker_cookie))  # e.g. the conversation list
        message, _ = await database_sync_to_async(message_actions.send)(
            dispatcher, conversation.pk, "请到解放路"
        )
        expected = {"type": "message", "conversation": conversation.pk, "message": message.pk}
        got = await theirs.receive_json_from()
        assert got == {**expected, "sender": dispatcher.pk, "unread": 1, "unread_total": 1, "mine": False}
        assert await everywhere.receive_json_from() == got
        got = await mine.receive_json_from()
        assert got == {**expected, "sender": dispatcher.pk, "unread": 0, "unread_total": 0, "mine": True}
        # A resend with the same client id saves nothing and announces nothing.
        await database_sync_to_async(message_actions.send)(dispatcher, conversation.pk, "x", client_id="c1")
        for communicator in (mine, theirs, everywhere):
            assert (await communicator.receive_json_from())["unread"] in (0, 2)
        await database_sync_to_async(message_actions.send)(dispatcher, conversation.pk, "x", client_id="c1")
        assert await theirs.receive_nothing()
        # Reading on one page updates the counts on the others.
        await database_sync_to_async(message_actions.mark_read)(worker, conversation.pk)
        got = await everywhere.receive_json_from()
        assert got == {"type": "unread", "conversation": conversation.pk, "unread": 0, "unread_total": 0}
        assert await mine.receive_nothing()
        for communicator in (mine, theirs, everywhere):
            await communicator.disconnect()

    run(test)


def test_outsiders_are_refused_and_hear_nothing(org: Org) -> None:
    dispatcher, worker = org.user("a", "dispatcher"), org.user("a", "grid_worker")
    outsider = org.user("b", "dispatcher")
    conversation = message_actions.open_direct(dispatcher, worker.username)
    path = f"/ws/messages/{conversation.pk}/"
    outsider_cookie, worker_cookie = session_cookie(outsider), session_cookie(worker)

    async def test() -> None:
        for who in (outsider_cookie, None):  # another township's staff, and nobody logged in
            connected, code = await socket(path, who).connect()
            assert (connected, code) == (False, REFUSED)
        connected, _ = await socket("/ws/messages/", None).connect()
        assert not connected
        # A page of another site may not open the socket with the user's cookie.
        connected, _ = await socket(path, worker_cookie, origin=b"http://evil.example").connect()
        assert not connected
        # The outsider's own socket is open, yet the conversation's messages never reach it.
        listening = await opened(socket("/ws/messages/", outsider_cookie))
        await database_sync_to_async(message_actions.send)(dispatcher, conversation.pk, "内部消息")
        assert await listening.receive_nothing()
        await listening.disconnect()

    run(test)


def test_a_missing_channel_layer_loses_no_message(org: Org, monkeypatch: Any) -> None:
    dispatcher, worker = org.user("a", "dispatcher"), org.user("a", "grid_worker")
    conversation = message_actions.open_direct(dispatcher, worker.username)

    def down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("redis down")

    monkeypatch.setattr("jiceng.worktools.live.async_to_sync", lambda f: down)
    message, created = message_actions.send(dispatcher, conversation.pk, "照样保存")
    assert created and message.pk
    assert conversation.messages.count() == 1


def redis_url() -> str:
    url = os.environ.get("JICENG_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {url}")
    return url


def test_delivery_through_redis_from_another_process(org: Org, settings: Any) -> None:
    """The web process (WSGI, its own event loop) publishes; the live process's socket hears it."""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_url()], "prefix": f"jiceng-test-{uuid.uuid4().hex[:8]}"},
        }
    }
    dispatcher, worker = org.user("a", "dispatcher"), org.user("a", "grid_worker")
    conversation = message_actions.open_direct(dispatcher, worker.username)
    worker_cookie = session_cookie(worker)

    def send_like_a_wsgi_worker() -> int:
        try:
            return message_actions.send(dispatcher, conversation.pk, "经由Redis")[0].pk
        finally:
            connection.close()

    async def test() -> None:
        theirs = await opened(socket(f"/ws/messages/{conversation.pk}/", worker_cookie))
        message_id = await asyncio.get_running_loop().run_in_executor(None, send_like_a_wsgi_worker)
        got = await theirs.receive_json_from(timeout=5)
        assert (got["type"], got["message"], got["unread"]) == ("message", message_id, 1)
        await theirs.disconnect()

    run(test)


def test_pages_say_where_the_socket_is(org: Org, client: Client, settings: Any) -> None:
    dispatcher, worker = org.user("a", "dispatcher"), org.user("a", "grid_worker")
    conversation = message_actions.open_direct(dispatcher, worker.username)
    client.force_login(worker)
    page = client.get(f"/worktools/messages/{conversation.pk}/").content.decode()
    assert f'data-live-url="/ws/messages/{conversation.pk}/"' in page
    assert 'hx-trigger="every 2s, poll-now"' in page  # the fallback
    assert 'data-live-url="/ws/messages/"' in client.get("/worktools/messages/").content.decode()
    settings.LIVE_URL = "wss://live.example.org"
    page = client.get(f"/worktools/messages/{conversation.pk}/").content.decode()
    assert f'data-live-url="wss://live.example.org/ws/messages/{conversation.pk}/"' in page
    settings.LIVE_ENABLED = False  # e.g. a RabbitMQ broker and no Redis: polling only
    assert 'data-live-url=""' in client.get(f"/worktools/messages/{conversation.pk}/").content.decode()


@pytest.mark.django_db(transaction=False)
def test_serve_stays_wsgi_outside_embedded_mode_and_live_needs_redis(settings: Any, monkeypatch: Any) -> None:
    def started(argv: list[str]) -> list[str]:
        """The command line the verb replaces this process with (None: it refused to start)."""
        seen: list[list[str]] = []

        def execv(path: str, args: list[str]) -> None:
            seen.append(args)
            raise SystemExit(0)

        monkeypatch.setattr(cli.os, "execv", execv)
        with pytest.raises(SystemExit):
            cli.main(argv)
        return seen[0] if seen else []

    monkeypatch.setattr(cli, "_embedded", lambda: True)
    settings.CHANNELS_REDIS_URL = ""
    command = started(["serve"])  # embedded: one ASGI process for pages and sockets
    assert command[0].endswith("daphne") and command[-1] == "jiceng.asgi:application"
    assert started(["live"]) == []  # no Redis: nothing for a live process to listen to
    settings.CHANNELS_REDIS_URL = "redis://127.0.0.1:6379/1"
    monkeypatch.setattr(cli, "_embedded", lambda: False)
    command = started(["serve"])
    assert command[0].endswith("gunicorn") and command[1] == "jiceng.wsgi:application"
    command = started(["live", "--port", "8101"])
    assert command[0].endswith("daphne") and command[-1] == "jiceng.asgi:live_application"
    assert command[command.index("--port") + 1] == "8101"
