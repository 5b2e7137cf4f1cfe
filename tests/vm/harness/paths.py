import os
from pathlib import Path

VM_DIR = Path(__file__).resolve().parent.parent
REPO = VM_DIR.parent.parent
BUILD = Path(os.environ.get("AZL_VM_BUILD", REPO / "build"))
# The source tree the guests mount as /run/azl/src: the working tree, or a frozen copy of it
# while the tree is being edited.
GUEST_SRC = Path(os.environ.get("AZL_VM_SRC", REPO))
GUEST_FILES = VM_DIR / "guest"
SCRIPTS = VM_DIR / "scripts"
SCENARIOS = VM_DIR / "scenarios"
MIRROR = os.environ.get("AZL_DEBIAN_MIRROR", "")
SUITE = "bookworm"


def debian_mirror() -> str:
    """The mirror the host's apt uses, so builds need nothing but that."""
    if MIRROR:
        return MIRROR
    src = Path("/etc/apt/sources.list.d")
    candidates = sorted(src.glob("*.sources")) + sorted(src.glob("*.list")) + [Path("/etc/apt/sources.list")]
    for f in candidates:
        if not f.exists():
            continue
        for line in f.read_text().splitlines():
            line = line.strip()
            if line.startswith("URIs:") and "security" not in line:
                uri = line.split()[1]
                if "debian" in uri:
                    return uri
            if line.startswith("deb ") and "/debian" in line and "security" not in line:
                return line.split()[1] if not line.split()[1].startswith("[") else line.split()[2]
    return "http://deb.debian.org/debian"
