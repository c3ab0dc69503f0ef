"""Merge translated entries from a partial .po file into the Simplified Chinese catalog and compile it.

    flock /tmp/jiceng-po.lock .venv/bin/python scripts/po_merge.py part.po [part2.po …]

For work on several modules at once: each keeps its new strings in its own part file, and this merges
them (new msgids added, existing ones updated) without running makemessages over everybody's work.
`make messages` remains the way to re-sync the catalog with the code.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polib

CATALOG = Path(__file__).resolve().parent.parent / "src/jiceng/locale/zh_Hans/LC_MESSAGES/django.po"


def merge(parts: list[str]) -> int:
    po = polib.pofile(str(CATALOG), wrapwidth=79)
    known = {(e.msgctxt, e.msgid): e for e in po}
    changed = 0
    for part in parts:
        for entry in polib.pofile(part):
            if not entry.msgid:
                continue
            current = known.get((entry.msgctxt, entry.msgid))
            if current is None:
                entry.occurrences = []
                po.append(entry)
                known[(entry.msgctxt, entry.msgid)] = entry
                changed += 1
            elif (current.msgstr, current.msgstr_plural) != (entry.msgstr, entry.msgstr_plural):
                current.msgstr = entry.msgstr
                current.msgstr_plural = entry.msgstr_plural
                current.msgid_plural = entry.msgid_plural
                current.flags = [f for f in current.flags if f != "fuzzy"]
                changed += 1
    po.save(str(CATALOG))
    mo = str(CATALOG.with_suffix(".mo"))
    subprocess.run(["msgfmt", "--check", "-o", mo, str(CATALOG)], check=True)  # noqa: S603, S607
    return changed


if __name__ == "__main__":
    print(f"po_merge: {merge(sys.argv[1:])} entries added or changed")
