#!/usr/bin/env python3
"""Copy the front-end files installed by npm into Django static files (no CDN).

    npm ci && python scripts/copy_assets.py

Each line of ASSETS is (npm package, file inside the package, target under static/vendor/).
Adding a package is one `npm install --save-exact NAME@VERSION` plus one line here. Each
package's licence file is copied beside its files. The target folder is git-ignored.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "src" / "jiceng" / "web" / "static" / "vendor"

ASSETS: list[tuple[str, str, str]] = [
    ("htmx.org", "dist/htmx.min.js", "htmx/htmx.min.js"),
    ("echarts", "dist/echarts.min.js", "echarts/echarts.min.js"),
    # The CSP build: its worker is a file of ours, not a blob (our CSP allows scripts from self only).
    ("maplibre-gl", "dist/maplibre-gl-csp.js", "maplibre-gl/maplibre-gl-csp.js"),
    ("maplibre-gl", "dist/maplibre-gl-csp-worker.js", "maplibre-gl/maplibre-gl-csp-worker.js"),
    ("maplibre-gl", "dist/maplibre-gl.css", "maplibre-gl/maplibre-gl.css"),
]

# Bootstrap Icons: only the icons the pages name in {% icon "…" %} (jiceng/web/templatetags/icons.py).
ICONS = [
    "bank",
    "book",
    "camera",
    "card-list",
    "chat-dots",
    "check2-circle",
    "check2-square",
    "clipboard-check",
    "folder2-open",
    "heart",
    "house",
    "house-door",
    "house-heart",
    "megaphone",
    "pencil-square",
    "person",
    "person-circle",
    "play-circle",
    "plus-circle",
    "record-circle",
    "telephone",
]
ASSETS += [("bootstrap-icons", f"icons/{name}.svg", f"bootstrap-icons/{name}.svg") for name in ICONS]

LICENCE_NAMES = ("LICENSE", "LICENSE.txt", "LICENSE.md", "LICENCE", "license")


def copy_all() -> list[Path]:
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    written: list[Path] = []
    missing: list[str] = []
    for package, source, target in ASSETS:
        src = NODE_MODULES / package / source
        if not src.is_file():
            missing.append(f"{package}/{source}")
            continue
        dst = VENDOR / target
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
        written.append(dst)
        for name in LICENCE_NAMES:
            licence = NODE_MODULES / package / name
            if licence.is_file():
                shutil.copy2(licence, dst.parent / f"LICENSE.{package}")
                break
    if missing:
        raise SystemExit("copy_assets: not in node_modules (run `npm ci` first): " + ", ".join(missing))
    return written


def main() -> None:
    written = copy_all()
    for path in written:
        print(f"copy_assets: {path.relative_to(ROOT)}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
