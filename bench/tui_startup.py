"""Startup of the TUI: process start to the first interactive screen (target <= 0.4 s).

Runs the real `python -m installer tui --dry-run --machine PROFILE` in a pseudo-terminal
(80x24, TERM=linux). The app writes a timestamp once the hub has been painted
(AZL_TUI_READY_FILE) and exits; we report the median of several runs, and check that
blivet, pykickstart and dnf were not imported before the first paint.
"""

from __future__ import annotations

import fcntl
import os
import pty
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROFILE = ROOT / "tests" / "profiles" / "vm-virtio-usb-live.json"
TARGET = 0.4
RUNS = int(os.environ.get("BENCH_RUNS", "7"))


def one_run() -> tuple[float, list[str]]:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    with tempfile.TemporaryDirectory() as tmp:
        ready = Path(tmp) / "ready"
        env = dict(os.environ, TERM="linux", AZL_TUI_READY_FILE=str(ready), AZL_INSTALL_LOG_DIR=tmp,
                   AZL_TUI_REPORT_MODULES=str(Path(tmp) / "modules"))
        env.pop("COLUMNS", None)
        env.pop("LINES", None)
        started = time.time()
        proc = subprocess.Popen([sys.executable, "-m", "installer", "tui", "--dry-run", "--machine", str(PROFILE)],
                                cwd=ROOT, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
        os.close(slave)
        deadline = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                os.read(master, 65536)  # keep the terminal drained
            except OSError:
                break
        proc.wait(timeout=10)
        os.close(master)
        if not ready.exists():
            raise SystemExit(f"the TUI never reported its first paint (exit {proc.returncode})")
        modules = (Path(tmp) / "modules").read_text().split() if (Path(tmp) / "modules").exists() else []
        return float(ready.read_text()) - started, modules


def baseline(code: str) -> float:
    """Median wall time of `python -c CODE`: how busy the machine is right now."""
    runs = []
    for _ in range(5):
        t0 = time.time()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
        runs.append(time.time() - t0)
    return statistics.median(runs)


def main() -> int:
    bare = baseline("pass")
    textual_import = baseline("import textual.app")
    times = []
    heavy: set[str] = set()
    for _ in range(RUNS):
        seconds, modules = one_run()
        times.append(seconds)
        heavy |= {m for m in modules if m.split(".")[0] in ("blivet", "pykickstart", "dnf", "gi")}
    median = statistics.median(times)
    print(f"tui startup (process start -> hub painted, 80x24 TERM=linux, {RUNS} runs): "
          f"median {median:.3f} s, min {min(times):.3f} s, max {max(times):.3f} s; target {TARGET:.1f} s "
          f"(ratio {median / TARGET:.2f})")
    print("heavy modules loaded before the first paint: " + (", ".join(sorted(heavy)) or "none"))
    print(f"baselines now: bare interpreter {bare:.3f} s, `import textual.app` {textual_import:.3f} s "
          f"(startup is {median / max(textual_import, 1e-3):.1f}x importing Textual; load average "
          f"{os.getloadavg()[0]:.1f})")
    return 0 if median <= TARGET and not heavy else 1


if __name__ == "__main__":
    sys.exit(main())
