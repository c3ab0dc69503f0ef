"""What every scenario reports: figures next to their same-run baseline and their bar, one file per scenario.

Each bench script ends with ``write_scenario(name, figures, details)``: ``bench/results/<name>.json`` holds
the latest run of that scenario (the scripts' timestamped files keep the history), and ``bench/run.py``
prints all of them as one table.
"""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    baseline: str = ""  # what the value is compared with, measured in the same run
    baseline_value: float | None = None
    bar: str = ""  # the DESIGN.md bar, in words
    met: bool | None = None  # None: not a bar, or not decidable at this scale

    @property
    def ratio(self) -> float | None:
        if not self.baseline_value:
            return None
        return self.value / self.baseline_value


def worker_rss_mb(master_pid: int) -> list[float]:
    """Resident memory of each child process (the server's workers) of ``master_pid``."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    pids = children.read_text().split() if children.exists() else []
    sizes = []
    for pid in pids:
        status = Path(f"/proc/{pid}/status")
        if status.exists():
            for line in status.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(round(int(line.split()[1]) / 1024, 1))
    return sizes


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load": os.getloadavg(),
    }


def write_scenario(scenario: str, figures: list[Figure], details: dict[str, Any] | None = None) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{scenario}.json"
    document = {
        "scenario": scenario,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "figures": [{**asdict(f), "ratio": f.ratio} for f in figures],
        "details": details or {},
    }
    out.write_text(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    return out


def _number(value: float | None) -> str:
    if value is None:
        return ""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:.0f}"


def table(documents: list[dict[str, Any]]) -> str:
    """One Markdown table of every figure of the given scenario documents."""
    lines = [
        "| scenario | figure | value | baseline (same run) | ratio | bar | verdict |",
        "|---|---|---:|---|---:|---|---|",
    ]
    for doc in documents:
        for f in doc["figures"]:
            baseline = f"{f['baseline']} {_number(f['baseline_value'])}".strip() if f["baseline"] else ""
            ratio = f"{f['ratio']:.2f}" if f.get("ratio") is not None else ""
            verdict = {True: "met", False: "**missed**", None: ""}[f["met"]]
            cells = [doc["scenario"], f["name"], f"{_number(f['value'])} {f['unit']}", baseline, ratio]
            lines.append("| " + " | ".join([*cells, f["bar"], verdict]) + " |")
    return "\n".join(lines)


def load(scenario: str) -> dict[str, Any] | None:
    path = RESULTS / f"{scenario}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def empty_broker(url: str) -> None:
    """Drop what an earlier run left queued in the broker's Redis database, so that this run's worker does
    not spend the measured seconds on another run's backlog."""
    if url.startswith("redis://"):
        import redis

        redis.Redis.from_url(url).flushdb()


def wait_for_batches(timeout: float = 120.0) -> tuple[int, float]:
    """Wait until the worker has folded every rollup change and delivered every pending notification;
    returns (rows still waiting when the load stopped, seconds the worker took to finish them)."""
    import time

    from jiceng.analytics.models import RollupChange
    from jiceng.notifications.models import PendingNotification

    def waiting() -> int:
        return RollupChange.objects.count() + PendingNotification.objects.count()

    start, backlog = time.monotonic(), waiting()
    left = backlog
    while left and time.monotonic() - start < timeout:
        time.sleep(0.2)
        left = waiting()
    return backlog, round(time.monotonic() - start, 1)


def table_health(limit: int = 6) -> list[dict[str, Any]]:
    """The tables with the most dead rows (updates and deletes not yet vacuumed), with their live rows,
    size and last autovacuum: where a long write load leaves work that slows it from run to run."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_live_tup, n_dead_tup, pg_total_relation_size(relid), last_autovacuum "
            "FROM pg_stat_user_tables ORDER BY n_dead_tup DESC LIMIT %s",
            [limit],
        )
        return [
            {
                "table": name,
                "live": live,
                "dead": dead,
                "mb": round(size / 2**20, 1),
                "autovacuumed": str(vacuumed)[11:19] if vacuumed else "",
            }
            for name, live, dead, size, vacuumed in cursor.fetchall()
        ]


def health_line(rows: list[dict[str, Any]]) -> str:
    return ", ".join(f"{r['table']} {r['dead']:,} dead/{r['live']:,} ({r['mb']} MB)" for r in rows)


def _proc_stat(pid: str) -> tuple[int, str, float] | None:
    """(parent pid, command, CPU seconds) of a process, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            text = stat.read()
    except OSError:
        return None
    head, rest = text.rsplit(")", 1)
    fields = rest.split()
    return (
        int(fields[1]),
        head.split("(", 1)[1],
        (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"),
    )


class CpuMeter:
    """CPU seconds spent during a stretch by groups of processes: the trees under given pids (the server's
    workers, a Celery worker), PostgreSQL (every ``postgres`` process) and this process's waited children
    (wrk). A process that ends inside the stretch is lost unless it is a waited child."""

    def __init__(self, trees: dict[str, int]) -> None:
        self.trees = trees
        self.start = self._snapshot()
        self.children = os.times().children_user + os.times().children_system

    def _snapshot(self) -> dict[int, tuple[str, float]]:
        procs = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit() and (stat := _proc_stat(entry)) is not None:
                procs[int(entry)] = stat
        groups: dict[int, tuple[str, float]] = {}
        for pid, (_ppid, command, cpu) in procs.items():
            group = "postgresql" if command == "postgres" else None
            ancestor = pid
            while group is None and ancestor in procs and ancestor > 1:
                group = next((name for name, root in self.trees.items() if root == ancestor), None)
                ancestor = procs[ancestor][0]
            if group is not None:
                groups[pid] = (group, cpu)
        return groups

    def stop(self) -> dict[str, float]:
        """CPU seconds of each group since the start, and ``children`` (waited children, e.g. wrk)."""
        spent: dict[str, float] = {}
        for pid, (group, cpu) in self._snapshot().items():
            # A process that ended during the stretch is lost; one that started counts from zero.
            spent[group] = spent.get(group, 0.0) + cpu - self.start.get(pid, (group, 0.0))[1]
        spent = {name: round(seconds, 2) for name, seconds in spent.items()}
        times = os.times()
        spent["children"] = round(times.children_user + times.children_system - self.children, 2)
        return spent
