#!/usr/bin/env python3
"""Fill untranslated Dutch entries of the apps' .po files from a Python dict file, then compile.

Usage: .venv/bin/python scripts/po_fill.py translations.py   (the file defines T = {msgid: msgstr})
Developer tool; the product ships the compiled .mo files.
"""

import runpy
import sys
from pathlib import Path

import polib

table = runpy.run_path(sys.argv[1])["T"] if len(sys.argv) > 1 else {}
for po_path in sorted(Path("src/burgernet").glob("*/locale/nl/LC_MESSAGES/django.po")):
    po = polib.pofile(str(po_path))
    for entry in po:
        if entry.msgid in table and (not entry.msgstr or "fuzzy" in entry.flags):
            entry.msgstr = table[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
    po.save()
    po.save_as_mofile(str(po_path.with_suffix(".mo")))
    missing = [e.msgid for e in po.untranslated_entries()]
    if missing:
        sys.stdout.write(f"{po_path}: {len(missing)} untranslated: {missing[:5]}\n")
