"""Jiceng (基层): an open platform for grassroots governance."""

from jiceng.celery import app as celery_app

__version__ = "0.1.0"
__all__ = ["__version__", "celery_app"]
