"""Settings of the benchmark server: the production settings, with the URLconf swapped for bench_urls.

Run with ``DJANGO_SETTINGS_MODULE=bench.bench_settings`` and the repository root on ``PYTHONPATH``; everything
else (database, keys, DEBUG off) comes from the same JICENG_* environment variables as production.
"""

from jiceng.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bench_urls"
