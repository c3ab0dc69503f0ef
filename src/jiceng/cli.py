"""The `jiceng` command: manage.py with a few friendlier verbs.

jiceng serve [--port 8000] [--workers 2]   serve with gunicorn (static files by whitenoise)
jiceng demo                                migrate, load the demo county if empty, serve
jiceng migrate | createadmin NAME | audit verify | any manage.py command
"""

from __future__ import annotations

import os
import sys


def _django(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["jiceng", *argv])


def serve(argv: list[str]) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="jiceng serve")
    parser.add_argument("--host", default=os.environ.get("JICENG_HOST", "127.0.0.1"))
    parser.add_argument("--port", default=os.environ.get("JICENG_PORT", "8000"))
    parser.add_argument("--workers", default=os.environ.get("JICENG_WORKERS", "2"))
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")
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


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__)
        return
    command, rest = argv[0], argv[1:]
    if command == "serve":
        serve(rest)
    elif command == "demo":
        os.environ.setdefault("JICENG_DEMO", "1")
        _django(["migrate", "--no-input", "-v", "0"])
        _django(["demo", *rest])
        serve([])
    else:
        _django(argv)


if __name__ == "__main__":
    main()
