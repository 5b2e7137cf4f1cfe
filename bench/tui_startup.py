"""Startup of the TUI: process start to the first interactive screen (target <= 0.4 s).

Runs the real `python -m installer tui --dry-run --machine PROFILE` in a pseudo-terminal
(80x24, TERM=linux). The app writes a timestamp once the hub has been painted
(AZL_TUI_READY_FILE) and exits. The baseline is the floor any Textual program pays on
this machine right now: a bare Textual app that paints one Static, started the same way
and timed the same way. Runs alternate between the two so that load from the QEMU
guests sharing the machine weighs on both alike; we report medians and their ratio,
and check that no heavy module (blivet, pykickstart, dnf, pyudev) was imported before
the first paint.
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
RUNS = int(os.environ.get("BENCH_RUNS", "9"))
HEAVY = ("blivet", "pykickstart", "dnf", "libdnf", "rpm", "gi", "pyudev")

TUI = [sys.executable, "-m", "installer", "tui", "--dry-run", "--machine", str(PROFILE)]

BARE_APP = """
import os, sys, time
from pathlib import Path
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static("Installation summary")

    def on_mount(self):
        self.call_after_refresh(self.painted)

    def painted(self):
        stamp = time.time()
        Path(os.environ["AZL_TUI_REPORT_MODULES"]).write_text("\\n".join(sorted(sys.modules)))
        Path(os.environ["AZL_TUI_READY_FILE"]).write_text(f"{stamp:.6f} {time.process_time():.6f}")
        self.exit()

Bare().run()
"""
BARE = [sys.executable, "-c", BARE_APP]


def one_run(argv: list[str]) -> tuple[float, float, list[str]]:
    """Seconds from spawning argv in an 80x24 pty to its first paint, the CPU seconds the process
    had used by then (less sensitive to the guests' load), and the modules it had loaded."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    with tempfile.TemporaryDirectory() as tmp:
        ready = Path(tmp) / "ready"
        modules_file = Path(tmp) / "modules"
        env = dict(os.environ, TERM="linux", AZL_TUI_READY_FILE=str(ready), AZL_INSTALL_LOG_DIR=tmp,
                   AZL_TUI_REPORT_MODULES=str(modules_file))
        env.pop("COLUMNS", None)
        env.pop("LINES", None)
        started = time.time()
        proc = subprocess.Popen(argv, cwd=ROOT, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
        os.close(slave)
        deadline = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                os.read(master, 65536)  # keep the terminal drained
            except OSError:
                break
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        os.close(master)
        if not ready.exists():
            raise SystemExit(f"{argv[1:3]} never reported its first paint (exit {proc.returncode})")
        modules = modules_file.read_text().split() if modules_file.exists() else []
        stamp, cpu = (float(v) for v in ready.read_text().split())
        return stamp - started, cpu, modules


def main() -> int:
    tui_times: list[float] = []
    bare_times: list[float] = []
    tui_cpu: list[float] = []
    bare_cpu: list[float] = []
    heavy: set[str] = set()
    for _ in range(RUNS):
        seconds, cpu, _modules = one_run(BARE)
        bare_times.append(seconds)
        bare_cpu.append(cpu)
        seconds, cpu, modules = one_run(TUI)
        tui_times.append(seconds)
        tui_cpu.append(cpu)
        heavy |= {m for m in modules if m.split(".")[0] in HEAVY}
    tui, bare = statistics.median(tui_times), statistics.median(bare_times)
    cpu_tui, cpu_bare = statistics.median(tui_cpu), statistics.median(bare_cpu)
    met = tui <= TARGET
    print(f"tui startup (process start -> hub painted, 80x24 TERM=linux, median of {RUNS}): {tui:.3f} s "
          f"(min {min(tui_times):.3f}, max {max(tui_times):.3f})")
    print(f"baseline (bare Textual app painting one Static, same pty, runs interleaved): {bare:.3f} s "
          f"(min {min(bare_times):.3f}, max {max(bare_times):.3f})")
    print(f"ratio tui/baseline: {tui / bare:.2f} (mins {min(tui_times) / min(bare_times):.2f}); "
          f"installer's own share {1000 * (tui - bare):.0f} ms; load average {os.getloadavg()[0]:.1f}")
    print(f"CPU time to first paint (medians): tui {cpu_tui:.3f} s, baseline {cpu_bare:.3f} s, "
          f"ratio {cpu_tui / cpu_bare:.2f}")
    print(f"target {TARGET:.1f} s (wall, median): {'met' if met else 'NOT met'} ({tui / TARGET:.2f} of the budget; "
          f"the CPU time alone is {cpu_tui / TARGET:.2f} of it)")
    print("heavy modules loaded before the first paint: " + (", ".join(sorted(heavy)) or "none"))
    return 0 if met and not heavy else 1


if __name__ == "__main__":
    sys.exit(main())
