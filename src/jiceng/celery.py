"""The Celery app: background work (deadline checks, notifications, …).

Configured from the Django settings whose names start with ``CELERY_`` (see ``jiceng.celery_settings``);
tasks are found in each installed app's ``tasks`` module. ``jiceng worker`` and ``jiceng beat`` run it.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery


def create_app(main: str = "jiceng", **options: Any) -> Celery:
    """A Celery app reading the Django settings; tests build a second one pointed at a real broker."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")
    celery_app = Celery(main, **options)
    celery_app.config_from_object("django.conf:settings", namespace="CELERY")
    celery_app.autodiscover_tasks()
    return celery_app


app = create_app()
