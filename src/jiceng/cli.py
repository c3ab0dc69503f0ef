"""The `jiceng` command: manage.py with a few friendlier verbs.

jiceng serve [--port 8000] [--workers 2]   serve with gunicorn (static files by whitenoise)
jiceng live [--port 8001]                  serve the live-message WebSockets (/ws/) with daphne
jiceng demo                                migrate, load the demo county if empty, serve
jiceng worker [celery worker options]      run background tasks (needs JICENG_CELERY_BROKER_URL)
jiceng beat [celery beat options]          send the periodic tasks (deadline checks every 5 minutes)
jiceng iot [--client-id ID]                subscribe to device messages over MQTT (JICENG_MQTT_URL)
jiceng migrate | createadmin NAME | audit verify | any manage.py command

Background work: with JICENG_CELERY_BROKER_URL unset (embedded mode) tasks run in the process that
starts them and `jiceng beat` runs the periodic ones itself, so `serve` + `beat` is a whole platform.
In production set JICENG_CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/0) and run `jiceng worker`
(as many as needed; JICENG_WORKER_CONCURRENCY processes each, default 2) and exactly one `jiceng beat`.
Options after the verb go to celery and override the defaults (e.g. `jiceng worker -l debug -c 4`).

Live messages: in production (JICENG_CHANNELS_REDIS_URL, or a redis:// broker) run `jiceng live` beside
`jiceng serve` and send /ws/ to it from the reverse proxy (or set JICENG_LIVE_URL=ws://host:8001). In
embedded mode (no broker, no Redis) `jiceng serve` runs one daphne process serving pages and sockets
alike, since the in-process channel layer reaches only its own process.
"""

from __future__ import annotations

import os
import subprocess
import sys

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", "8000"


def serve_address() -> tuple[str, str]:
    """Where `jiceng serve` binds unless told otherwise: JICENG_HOST and JICENG_PORT."""
    return os.environ.get("JICENG_HOST") or DEFAULT_HOST, os.environ.get("JICENG_PORT") or DEFAULT_PORT


def browser_url(host: str, port: str) -> str:
    """The address a browser on this machine opens for a server bound to host:port (a wildcard bind is
    reached on the loopback address)."""
    host = host.strip("[]")
    if host in ("", "0.0.0.0"):  # noqa: S104 - reading a bind address, not binding
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:  # IPv6
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _django(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["jiceng", *argv])


def serve(argv: list[str]) -> None:
    import argparse

    host, port = serve_address()
    parser = argparse.ArgumentParser(prog="jiceng serve")
    parser.add_argument("--host", default=host)
    parser.add_argument("--port", default=port)
    parser.add_argument("--workers", default=os.environ.get("JICENG_WORKERS", "2"))
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")
    if _live_in_process():
        print(
            "jiceng serve: embedded mode: one ASGI process (daphne) serves pages and live messages.",
            file=sys.stderr,
        )
        _daphne("jiceng.asgi:application", args.host, args.port)
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    os.execv(  # noqa: S606 - replaces this process with gunicorn, no shell involved
        gunicorn,
        [
            gunicorn,
            "jiceng.wsgi:application",
            "--bind",
            f"{args.host}:{args.port}",
            "--workers",
            str(args.workers),
            "--access-logfile",
            "-" if os.environ.get("JICENG_ACCESS_LOG") else "/dev/null",
            "--timeout",
            "60",
        ],
    )


def _live_in_process() -> bool:
    """Embedded mode for live messages: no Redis channel layer and no broker (see settings.py)."""
    from django.conf import settings

    return not settings.CHANNELS_REDIS_URL and _embedded()


def _daphne(app: str, host: str, port: str) -> None:
    from django.conf import settings

    daphne = os.path.join(os.path.dirname(sys.executable), "daphne")
    access_log = "-" if os.environ.get("JICENG_ACCESS_LOG") else "/dev/null"
    options = ["--bind", host, "--port", str(port), "--access-log", access_log]
    if settings.TRUST_PROXY_HEADERS:
        options.append("--proxy-headers")
    os.execv(daphne, [daphne, *options, app])  # noqa: S606 - replaces this process, no shell


def live(argv: list[str]) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="jiceng live")
    parser.add_argument("--host", default=os.environ.get("JICENG_LIVE_HOST", "127.0.0.1"))
    parser.add_argument("--port", default=os.environ.get("JICENG_LIVE_PORT", "8001"))
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")
    from django.conf import settings

    if not settings.CHANNELS_REDIS_URL:
        print(
            "jiceng live: no Redis channel layer (set JICENG_CHANNELS_REDIS_URL, e.g.\n"
            "redis://127.0.0.1:6379/1, for this process and the web processes alike). In embedded mode\n"
            "`jiceng serve` serves live messages itself; otherwise the pages poll.",
            file=sys.stderr,
        )
        sys.exit(2)
    _daphne("jiceng.asgi:live_application", args.host, args.port)


def _celery(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")
    celery = os.path.join(os.path.dirname(sys.executable), "celery")
    os.execv(celery, [celery, "-A", "jiceng", *argv])  # noqa: S606 - replaces this process, no shell


def _embedded() -> bool:
    from jiceng.celery_settings import TASKS_EMBEDDED

    return TASKS_EMBEDDED


def worker(argv: list[str]) -> None:
    if _embedded():
        print(
            "jiceng worker: JICENG_CELERY_BROKER_URL is not set. In embedded mode tasks run in the process\n"
            "that starts them and `jiceng beat` runs the periodic ones; set the broker URL (e.g.\n"
            "redis://127.0.0.1:6379/0) for the web processes, workers and beat alike to use workers.",
            file=sys.stderr,
        )
        sys.exit(2)
    concurrency = os.environ.get("JICENG_WORKER_CONCURRENCY", "2")
    log_level = os.environ.get("JICENG_LOG_LEVEL", "INFO")
    # Mingle and gossip only add broker chatter here: no remote control or worker-to-worker state is used.
    _celery(
        [
            "worker",
            "--loglevel",
            log_level,
            "--concurrency",
            concurrency,
            "--without-mingle",
            "--without-gossip",
            *argv,
        ]
    )


def beat(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")
    from django.conf import settings

    schedule = os.path.join(settings.VAR_DIR, "celerybeat-schedule")
    if _embedded():
        print(
            "jiceng beat: embedded mode (no JICENG_CELERY_BROKER_URL): periodic tasks run in this process.",
            file=sys.stderr,
        )
    _celery(["beat", "--loglevel", os.environ.get("JICENG_LOG_LEVEL", "INFO"), "--schedule", schedule, *argv])


def iot(argv: list[str]) -> None:
    """The MQTT subscriber: device telemetry and alarms into the platform (runs until stopped)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")
    import django

    django.setup()
    from jiceng.iot.mqtt import main as subscribe

    subscribe(argv)


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM when the server process (its parent) ends, however it ends."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _start_embedded_beat() -> None:
    """Demo: run the periodic tasks (deadline warnings) beside the server, logging to var/beat.log.
    It ends with the server."""
    if not _embedded():
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")
    from django.conf import settings

    log = open(os.path.join(settings.VAR_DIR, "beat.log"), "ab")  # noqa: SIM115 - handed to the child
    jiceng = os.path.join(os.path.dirname(sys.executable), "jiceng")
    subprocess.Popen([jiceng, "beat"], stdout=log, stderr=log, preexec_fn=_die_with_parent)  # noqa: S603


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__)
        return
    command, rest = argv[0], argv[1:]
    if command == "serve":
        serve(rest)
    elif command == "worker":
        worker(rest)
    elif command == "live":
        live(rest)
    elif command == "beat":
        beat(rest)
    elif command == "iot":
        iot(rest)
    elif command == "demo":
        os.environ.setdefault("JICENG_DEMO", "1")
        _django(["migrate", "--no-input", "-v", "0"])
        _django(["demo", *rest])
        _start_embedded_beat()
        serve([])
    else:
        _django(argv)


if __name__ == "__main__":
    main()
