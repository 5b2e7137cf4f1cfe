#!/usr/bin/env python3
"""Write docs/kickstart.md from installer/kickstart/compat.py (run after changing the table)."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from installer.kickstart.compat_doc import render

if __name__ == "__main__":
    (ROOT / "docs" / "kickstart.md").write_text(render())
    print("wrote docs/kickstart.md")
