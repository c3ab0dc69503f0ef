"""County → hub message throughput (DESIGN.md bar: at least 500 messages/s).

A hub node runs as its own process (``federation_node``: threaded WSGI server and its outbox worker, SQLite
under a temporary directory). This process plays county 330101: it queues N event.escalate messages in its
outbox (one event each, so every message is routed at the hub: a RoutedEvent, its hops and an outbox row
back to the county) and N data.sync records, then times ``deliver_due`` until all are acknowledged.
Next to it, the same server's trivial endpoint (GET /healthz) over the same HTTP client, one request at a
time, as the baseline.

    .venv/bin/python bench/federation_bench.py [--messages 2000] [--records 2000] [--batch 200]
    .venv/bin/python bench/federation_bench.py --quick      # 500 escalations, 2,000 records: ~30 s

The machine's 1-minute load average before each phase is printed and kept in the JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return int(port)


def main() -> int:
    from bench.common import Figure, write_scenario

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--records", type=int, default=2000, help="data.sync records (100 per message)")
    parser.add_argument("--batch", type=int, default=200, help="messages per HTTP POST")
    parser.add_argument("--baseline", type=int, default=1000, help="GET /healthz requests")
    parser.add_argument("--quick", action="store_true", help="500 escalations, 200 baseline requests")
    args = parser.parse_args()
    if args.quick:
        args.messages, args.baseline = 500, 200

    from jiceng.federation.cluster import Cluster, Node

    base = Path(tempfile.mkdtemp(prefix="jiceng-fedbench-"))
    hub = Node("HUB", "协同平台", "hub", free_port())
    county = Node("330101", "上城县", "county", free_port())
    cluster = Cluster(base, [hub, county], workers=2)
    print(f"preparing {base} …", flush=True)
    cluster.prepare()
    cluster.start(hub)
    try:
        os.environ.update(cluster.env(county))
        import django

        django.setup()
        import requests
        from django.utils import timezone

        from jiceng.federation import delivery, messaging
        from jiceng.federation.models import MessageType, OutboxMessage, OutboxState, System

        session = requests.Session()
        started = time.perf_counter()
        for _ in range(args.baseline):
            session.get(f"{hub.url}/healthz", timeout=10).raise_for_status()
        baseline = args.baseline / (time.perf_counter() - started)

        target = System.objects.get(code="HUB")
        delivery.BATCH = args.batch
        results = {}
        loads = {"baseline": os.getloadavg()[0]}
        for label, count, build in (
            (
                "event.escalate",
                args.messages,
                lambda n: (
                    MessageType.ESCALATE,
                    {
                        "ref": f"SJ20261126{n:07d}",
                        "title": f"违法建设线索 {n}",
                        "category": "0501",
                        "category_name": "违法建设",
                        "region": "330101",
                        "region_name": "上城县",
                    },
                    f"330101/{n}",
                ),
            ),
            (
                "data.sync (100 records)",
                max(args.records // 100, 1),
                lambda n: (
                    MessageType.SYNC,
                    {
                        "kind": "person",
                        "records": [
                            {
                                "id": n * 100 + i,
                                "version": 1,
                                "deleted": False,
                                "name": "张三",
                                "key": "",
                                "region": "330101001001",
                                "updated_at": timezone.now().isoformat(),
                            }
                            for i in range(100)
                        ],
                    },
                    "",
                ),
            ),
        ):
            from django.db import transaction

            with transaction.atomic():
                for n in range(count):
                    type_, payload, correlation = build(n)
                    messaging.enqueue(target, type_, payload, correlation=correlation)
            loads[label] = os.getloadavg()[0]
            started = time.perf_counter()
            while OutboxMessage.objects.filter(state=OutboxState.PENDING).exists():
                delivery.deliver_due()
            elapsed = time.perf_counter() - started
            results[label] = count / elapsed
            print(
                f"{label:<26} {count:>6} messages in {elapsed:6.2f} s: {count / elapsed:8.0f} messages/s"
                f"  (load {loads[label]:.2f})"
            )
        name = "baseline GET /healthz"
        print(
            f"{name:<26} {args.baseline:>6} requests, one connection: {baseline:8.0f} req/s"
            f"  (load {loads['baseline']:.2f})"
        )
        escalations = results["event.escalate"]
        verdict = "meets" if escalations >= 500 else "misses"
        print(f"\ncounty → hub: {escalations:.0f} event messages/s, batch {args.batch} ({verdict} 500/s)")
        out = Path(__file__).resolve().parent / "results"
        out.mkdir(exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        write_scenario(
            "federation",
            [
                Figure("hub GET /healthz, one connection (baseline)", round(baseline, 1), "req/s"),
                Figure(
                    f"county → hub event.escalate, {args.batch} a POST", round(escalations, 1), "messages/s",
                    "hub /healthz", round(baseline, 1), "≥ 500 messages/s", escalations >= 500,
                ),
                Figure(
                    "county → hub data.sync of 100 records", round(results["data.sync (100 records)"], 1),
                    "messages/s", "hub /healthz", round(baseline, 1),
                ),
            ],
            {"run": f"{stamp}-federation.json"},
        )  # fmt: skip
        (out / f"{stamp}-federation.json").write_text(
            json.dumps(
                {
                    "batch": args.batch,
                    "messages_per_s": results,
                    "baseline_req_per_s": baseline,
                    "load_average_1m": loads,
                },
                indent=1,
            )
        )
        return 0
    finally:
        cluster.stop_all()


if __name__ == "__main__":
    sys.exit(main())
