"""Run several federation nodes on one machine: a hub, county platforms and department systems, each its
own process, port and SQLite database, registered with each other. Used by ``make federation-demo``
(scripts/federation_demo.py) and the multi-process tests.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"


@dataclass
class Node:
    code: str
    name: str
    role: str  # hub | county | department
    port: int
    categories: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    priority: int = 100
    auto_answer: str = ""
    process: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def kind(self) -> str:
        return self.role


@dataclass
class Cluster:
    base: Path
    nodes: list[Node]
    password: str = "Demo#Fed2026"  # noqa: S105 - demo accounts on 127.0.0.1 only
    max_backoff: float = 600
    max_attempts: int = 15
    workers: int = 1
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    keys: dict[str, str] = field(default_factory=dict)

    def node(self, code: str) -> Node:
        return next(n for n in self.nodes if n.code == code)

    def dir(self, node: Node) -> Path:
        return self.base / node.code

    def db(self, node: Node) -> Path:
        return self.dir(node) / "jiceng.sqlite3"

    def env(self, node: Node) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("JICENG_", "DJANGO_", "PYTEST")) or k == "JICENG_HOME"
        }
        env.update(
            DJANGO_SETTINGS_MODULE="jiceng.settings",
            JICENG_VAR_DIR=str(self.dir(node)),
            JICENG_PLATFORM_ROLE=node.role,
            JICENG_PLATFORM_CODE=node.code,
            JICENG_PLATFORM_NAME=node.name,
            JICENG_FEDERATION_AUTO_ANSWER=node.auto_answer,
            JICENG_SECRET_KEY=f"{self.secret}-{node.code}",
            JICENG_DATA_KEY=f"{self.secret}-data-{node.code}",
            JICENG_LOG_LEVEL="WARNING",
            # gunicorn (WSGI) keeps each thread's SQLite connection between requests.
            JICENG_DB_CONN_MAX_AGE="60",
        )
        return env

    def manage(self, node: Node, *args: str) -> str:
        result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "jiceng.manage", *args],
            env=self.env(node),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode:
            raise RuntimeError(f"{node.code}: {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def tokens(self, node: Node) -> dict[str, str]:
        return dict(json.loads((self.dir(node) / "tokens.json").read_text()))

    def _peers(self, node: Node) -> list[dict[str, Any]]:
        hub = next(n for n in self.nodes if n.role == "hub")

        def entry(peer: Node) -> dict[str, Any]:
            pair = tuple(sorted((node.code, peer.code)))
            key = self.keys.setdefault("|".join(pair), secrets.token_urlsafe(32))
            return {
                "code": peer.code,
                "name": peer.name,
                "kind": peer.kind,
                "inbox_url": f"{peer.url}/federation/inbox",
                "data_url": f"{peer.url}/federation/data",
                "key": key,
                "categories": peer.categories,
                "regions": peer.regions,
                "priority": peer.priority,
            }

        if node.role == "hub":
            return [entry(p) for p in self.nodes if p is not node]
        return [entry(hub)]

    def prepare(self, template_db: Path | None = None) -> None:
        """Fresh databases (migrated once and copied, or copied from ``template_db``, an empty migrated
        SQLite database), seed data, and every node registered with its peers."""
        if self.base.exists():
            shutil.rmtree(self.base)
        template = self.base / "_template"
        template.mkdir(parents=True)
        if template_db is None:
            env = {**self.env(self.nodes[0]), "JICENG_VAR_DIR": str(template)}
            subprocess.run([sys.executable, "-m", "jiceng.manage", "migrate", "-v0"], env=env, check=True)
        else:
            source, target = sqlite3.connect(template_db), sqlite3.connect(template / "jiceng.sqlite3")
            source.backup(target)
            source.close()
            target.close()
        for node in self.nodes:
            self.dir(node).mkdir(parents=True, exist_ok=True)
            shutil.copy(template / "jiceng.sqlite3", self.db(node))
        procs = []
        for node in self.nodes:
            args = [
                "federation_seed",
                "--name",
                node.name,
                "--password",
                self.password,
                "--tokens",
                str(self.dir(node) / "tokens.json"),
                "--peers",
                json.dumps(self._peers(node), ensure_ascii=False),
            ]
            procs.append(
                subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                    [sys.executable, "-m", "jiceng.manage", *args],
                    env=self.env(node),
                    stdout=subprocess.DEVNULL,
                )
            )
        if any(p.wait() for p in procs):
            raise RuntimeError("seeding a node failed")

    def launch(self, node: Node) -> None:
        """Two processes per node: gunicorn serving HTTP, and the outbox worker."""
        log = (self.dir(node) / "node.log").open("ab")
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        bind = f"{HOST}:{node.port}"
        node.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                gunicorn,
                "jiceng.wsgi:application",
                "-b",
                bind,
                "-w",
                str(self.workers),
                "-k",
                "gthread",
                "--threads",
                "4",
                "--graceful-timeout",
                "2",
                "--log-level",
                "warning",
            ],
            env=self.env(node),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        node.worker = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable,
                "-m",
                "jiceng.manage",
                "federation_node",
                "--max-backoff",
                str(self.max_backoff),
                "--max-attempts",
                str(self.max_attempts),
            ],
            env=self.env(node),
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, node: Node, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{node.url}/healthz", timeout=1):  # noqa: S310 - http on localhost
                    return
            except OSError:
                if node.process is None or node.process.poll() is not None:
                    raise RuntimeError(f"{node.code} exited; see {self.dir(node) / 'node.log'}") from None
                time.sleep(0.1)
        raise RuntimeError(f"{node.code} did not start")

    def start(self, node: Node) -> None:
        self.launch(node)
        self.wait_ready(node)

    def start_all(self) -> None:
        """Every node up, or none: one that does not answer in time stops them all (left running, they
        would hold the ports against the next start, with nothing left to stop them)."""
        for node in self.nodes:
            self.launch(node)
        try:
            for node in self.nodes:
                self.wait_ready(node)
        except BaseException:
            self.stop_all()
            raise

    def stop(self, node: Node) -> None:
        for process in (node.process, node.worker):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in (node.process, node.worker):
            if process is not None:
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        node.process = node.worker = None

    def stop_all(self) -> None:
        for node in self.nodes:
            self.stop(node)


def demo_nodes(first_port: int = 8101) -> list[Node]:
    """The demo federation: a hub, two counties, two department systems (A returns, B resolves)."""
    return [
        Node("HUB", "省基层治理协同平台", "hub", first_port),
        Node("330101", "上城县", "county", first_port + 1),
        Node("330102", "下城县", "county", first_port + 2),
        Node(
            "DEPT-ZJ",
            "省住建厅执法系统",
            "department",
            first_port + 3,
            categories=["05"],
            priority=10,
            auto_answer="return",
        ),
        Node(
            "DEPT-ZRZY",
            "省自然资源厅执法系统",
            "department",
            first_port + 4,
            categories=["05"],
            priority=20,
            auto_answer="resolve",
        ),
        Node("DEPT-STHJ", "省生态环境厅系统", "department", first_port + 5, categories=["D02"], priority=10),
    ]
