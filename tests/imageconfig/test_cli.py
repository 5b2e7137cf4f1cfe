"""The commands that take a kickstart take an image configuration: validate, plan, install --dry-run."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "kickstarts" / "imageconfig" / "bios-minimal.json"
SECRET = "change-me-on-first-login"


def azl(*args):
    return subprocess.run([sys.executable, "-m", "installer", *args], capture_output=True, text=True,
                          cwd=ROOT, check=False, timeout=300)


def lab_machine(tmp_path):
    profile = json.loads((ROOT / "tests" / "profiles" / "bios-2sata.json").read_text())
    profile["disks"][0].update(serial="LAB-0001", by_path="/dev/disk/by-path/pci-0000:00:1f.2-ata-1")
    path = tmp_path / "lab.json"
    path.write_text(json.dumps(profile))
    return path, profile["disks"][0]["name"]


def test_validate_and_plan_take_a_configuration(tmp_path):
    machine, disk = lab_machine(tmp_path)
    out = azl("validate", str(SAMPLE), "--machine", str(machine))
    assert out.returncode == 0, out.stdout + out.stderr
    out = azl("plan", str(SAMPLE), "--machine", str(machine), "--json")
    assert out.returncode == 0, out.stderr
    plan = json.loads(out.stdout)
    assert plan["system"]["hostname"] == "lab-bios" and SECRET not in out.stdout
    assert any(disk in str(a) for a in plan["storage_preview"]["actions"])
    other = tmp_path / "other.json"
    other.write_text((ROOT / "tests" / "profiles" / "bios-2sata.json").read_text())
    out = azl("validate", str(SAMPLE), "--machine", str(other))
    assert out.returncode == 1
    assert f"{SAMPLE}:41:13: ignoredisk --only-use: serial=LAB-0001;path=" in out.stdout and "fits no disk" in out.stdout


def test_a_dry_run_install_from_a_configuration_keeps_its_password_secret(tmp_path):
    machine, _disk = lab_machine(tmp_path)
    events = tmp_path / "events.jsonl"
    logs = tmp_path / "logs"
    out = azl("install", "--kickstart", str(SAMPLE), "--dry-run", "--machine", str(machine), "--log-dir", str(logs),
              "--json-events", str(events))
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "Dry run finished" in out.stdout + out.stderr
    texts = [out.stdout, out.stderr, events.read_text()] + [p.read_text() for p in logs.rglob("*") if p.is_file()]
    assert len(texts) > 3 and not [t for t in texts if SECRET in t]
