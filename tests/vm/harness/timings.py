"""Per-phase timings, merged into build/vm-timings.json.

Phases: build, boot, storage, payload, config, bootloader, reboot, checks, install.
Each record is {"scenario", "phase", "seconds", "at"}; a rerun of a scenario
replaces that scenario's earlier records.
"""
import json
import time
from contextlib import contextmanager

from .paths import BUILD

TIMINGS = BUILD / "vm-timings.json"
PHASES = ("build", "boot", "storage", "payload", "config", "bootloader", "reboot", "checks",
          "install")   # install: a whole install from the ISO (no phase marks on its console)


class Timer:
    def __init__(self):
        self.records: list[dict] = []

    @contextmanager
    def phase(self, phase: str, scenario: str):
        start = time.monotonic()
        try:
            yield
        finally:
            self.add(phase, scenario, time.monotonic() - start)

    def add(self, phase: str, scenario: str, seconds: float):
        self.records.append({"scenario": scenario, "phase": phase, "seconds": round(seconds, 2),
                             "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})

    def summary(self) -> dict:
        out: dict = {}
        for r in self.records:
            k = f"{r['scenario']}/{r['phase']}"
            out[k] = out.get(k, 0.0) + r["seconds"]
        return out

    def save(self):
        save(self.records)
        self.records = []


def load() -> list[dict]:
    try:
        return json.loads(TIMINGS.read_text())["records"]
    except (FileNotFoundError, ValueError, KeyError):
        return []


def save(records: list[dict]) -> None:
    if not records:
        return
    replaced = {(r["scenario"], r["phase"]) for r in records}
    kept = [r for r in load() if (r["scenario"], r["phase"]) not in replaced]
    TIMINGS.parent.mkdir(parents=True, exist_ok=True)
    tmp = TIMINGS.with_suffix(".tmp")
    tmp.write_text(json.dumps({"phases": list(PHASES), "records": kept + records}, indent=1) + "\n")
    tmp.rename(TIMINGS)
