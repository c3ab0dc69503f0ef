"""The multi-process cluster of `make federation-demo`: a start that fails leaves nothing running."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from jiceng.federation.cluster import Cluster, Node


def test_a_node_that_does_not_start_stops_the_others(tmp_path: Path, monkeypatch: Any) -> None:
    nodes = [Node("HUB", "协同平台", "hub", 1), Node("330101", "上城县", "county", 2)]
    cluster = Cluster(tmp_path, nodes)

    def launch(node: Node) -> None:  # stand-ins for gunicorn and the worker
        node.process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        node.worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])

    def wait_ready(node: Node, timeout: float = 60) -> None:
        if node.code == "330101":
            raise RuntimeError("330101 did not start")

    started: list[Any] = []

    def recording(node: Node) -> None:
        launch(node)
        started.extend([node.process, node.worker])

    monkeypatch.setattr(cluster, "launch", recording)
    monkeypatch.setattr(cluster, "wait_ready", wait_ready)
    with pytest.raises(RuntimeError, match="did not start"):
        cluster.start_all()
    assert len(started) == 4 and all(p.poll() is not None for p in started), "processes left running"
