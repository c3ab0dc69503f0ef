"""`make federation-demo`: a collaboration hub, two county platforms and three department systems on one
machine (ports 8101–8106, SQLite databases under var/federation/), registered with each other, with demo
data: events escalated from 上城县 go to 省住建厅 (which returns them) and on to 省自然资源厅 (which resolves
them); an environment case waits at 省生态环境厅 for a handler to answer on its task page.

    .venv/bin/python scripts/federation_demo.py [--port 8101] [--no-wait]

Ctrl-C stops every node. Logins: password Demo#Fed2026 — hub_operator (hub), center_330101 / admin_330101
(counties), handler_dept-sthj (department systems).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from jiceng.federation.cluster import Cluster, demo_nodes


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=8101, help="first port (six consecutive ports)")
    parser.add_argument("--base", default="var/federation", help="where the node databases go")
    parser.add_argument("--no-wait", action="store_true", help="stop after loading the demo data")
    args = parser.parse_args()
    cluster = Cluster(Path(args.base).resolve(), demo_nodes(args.port))
    print("preparing databases …", flush=True)
    cluster.prepare()
    try:
        cluster.start_all()
        for county, events, people in (("330101", 3, 30), ("330102", 1, 20)):
            node = cluster.node(county)
            cluster.manage(node, "federation_load", "--events", str(events), "--people", str(people))
        cluster.manage(
            cluster.node("330101"),
            "federation_load",
            "--events",
            "1",
            "--category",
            "D0201",
            "--start",
            "100",
        )
        print()
        for node in cluster.nodes:
            print(f"  {node.name:<16} {node.role:<10} {node.url}/federation/   (database {cluster.db(node)})")
        print(f"\n  password for every demo account: {cluster.password}")
        print(
            "  hub: hub_operator · counties: center_330101, admin_330101, center_330102 · "
            "department: handler_dept-sthj\n"
        )
        if args.no_wait:
            time.sleep(5)
            return 0
        print("Ctrl-C stops every node.")
        while all(n.process is not None and n.process.poll() is None for n in cluster.nodes):
            time.sleep(1)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        cluster.stop_all()


if __name__ == "__main__":
    sys.exit(main())
