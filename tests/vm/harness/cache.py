"""Build steps cached by a hash of their inputs.

A step's output directory holds a stamp file with the input hash; a rerun
with the same inputs returns at once. Outputs are built in a temporary
directory and renamed into place, so an interrupted build leaves no stamp.
"""
import fcntl
import hashlib
import json
import shutil
from pathlib import Path
from typing import Callable, Iterable

from .paths import BUILD

STAMP = ".azl-inputs"


def input_hash(*parts, files: Iterable[Path] = ()) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(json.dumps(p, sort_keys=True, default=str).encode())
    for f in sorted(Path(x) for x in files):
        h.update(str(f.name).encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def cached(name: str, key: str, build: Callable[[Path], None]) -> Path:
    """Return BUILD/name, running build(tmpdir) first unless its stamp matches key."""
    out = BUILD / name
    stamp = out / STAMP
    if stamp.exists() and stamp.read_text().strip() == key:
        return out
    BUILD.mkdir(parents=True, exist_ok=True)
    with open(BUILD / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)   # a concurrent run of the same step waits, then reuses
        if stamp.exists() and stamp.read_text().strip() == key:
            return out
        tmp = BUILD / f".{name}.tmp"
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
        build(tmp)
        (tmp / STAMP).write_text(key + "\n")
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    return out


def is_fresh(name: str, key: str) -> bool:
    stamp = BUILD / name / STAMP
    return stamp.exists() and stamp.read_text().strip() == key
