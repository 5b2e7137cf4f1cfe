"""Guest side of the storage VM scenarios: drive installer.storage on the guest's real disks.

Run inside the live test environment as `python3 driver.py cases.json results.json`. For each case:
probe the machine, load the kickstart, preview (what `azl-install plan` shows), apply with
progress events, write fstab/crypttab into the target, record lsblk/findmnt/blkid/cryptsetup
facts, tear down, and record what is left (mounts, device-mapper, md arrays). Optional extras per
case: a failure injected in the middle of apply (then a clean rerun), and a plain rerun.
"""

import json
import logging
import os
import subprocess
import sys
import time
import traceback

try:
    import pykickstart  # noqa: F401
except ImportError:  # a live environment built before pykickstart joined its wheels: use the shared tree's venv
    sys.path.append(f"/run/azl/src/.venv/lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages")

T0 = time.monotonic()
from installer.storage.apply import apply_storage, write_fstab
from installer.storage.preview import preview_storage
from installer.storage.teardown import teardown, unmount_all  # noqa: E402

IMPORT_SECONDS = time.monotonic() - T0

from installer.model.diagnostics import PlanError  # noqa: E402
from installer.model.events import Progress  # noqa: E402
from installer.kickstart.files import load_kickstart  # noqa: E402
from installer.probe.udev import probe_machine  # noqa: E402
from installer.model.product import load_product  # noqa: E402

TARGET = "/mnt/sysroot"


def sh(*argv: str) -> str:
    return subprocess.run(list(argv), capture_output=True, text=True).stdout


def _holders(name: str) -> list[str]:
    """Device-mapper and md devices stacked on a block device, recursively (from sysfs)."""
    found = []
    base = f"/sys/class/block/{name}"
    for entry in os.listdir(base):
        if entry.startswith(name) and os.path.isdir(os.path.join(base, entry, "holders")):
            found += _holders(entry)
    holders = os.path.join(base, "holders")
    for h in os.listdir(holders) if os.path.isdir(holders) else []:
        found += [h] + _holders(h)
    return found


def leftovers(disks: list[str]) -> dict:
    """What is still set up on the case's disks (mounts under the target, dm/md holders, swap)."""
    stacked = sorted({h for d in disks for h in _holders(d)})
    return {
        "mounts": [line.split()[1] for line in open("/proc/mounts") if line.split()[1].startswith(TARGET)],
        "dm": [h for h in stacked if h.startswith("dm-")],
        "md": [h for h in stacked if h.startswith("md")],
        "swaps": [line.split()[0] for line in open("/proc/swaps").read().splitlines()[1:]],
    }


class Boom(RuntimeError):
    pass


def facts(target) -> dict:
    out = {
        "lsblk": json.loads(sh("lsblk", "-J", "-b", "-o", "NAME,KNAME,PKNAME,TYPE,FSTYPE,FSVER,UUID,LABEL,SIZE,"
                                "MOUNTPOINT,SERIAL")),
        "findmnt": json.loads(sh("findmnt", "-J", "-R", "-o", "TARGET,SOURCE,FSTYPE,OPTIONS", TARGET) or "{}"),
        "fstab": open(os.path.join(TARGET, "etc/fstab")).read(),
        "crypttab": open(os.path.join(TARGET, "etc/crypttab")).read()
        if os.path.exists(os.path.join(TARGET, "etc/crypttab")) else "",
        "crypttab_mode": oct(os.stat(os.path.join(TARGET, "etc/crypttab")).st_mode & 0o777)
        if os.path.exists(os.path.join(TARGET, "etc/crypttab")) else None,
        "blkid": {},
        "luks": {},
        "mdstat": open("/proc/mdstat").read(),
        "swaps": open("/proc/swaps").read(),
        "kernel_args": target.kernel_args,
        "boot_disks": target.boot_disks,
        "root_device": target.root_device,
    }
    for line in sh("blkid", "-o", "export").split("\n\n"):
        fields = dict(x.split("=", 1) for x in line.splitlines() if "=" in x)
        if "DEVNAME" in fields:
            out["blkid"][fields["DEVNAME"]] = fields
    for dev, f in out["blkid"].items():
        if f.get("TYPE") == "crypto_LUKS":
            out["luks"][dev] = sh("cryptsetup", "luksDump", dev)
    return out


def probe_machine_as(case: dict):
    machine = probe_machine()
    machine.firmware = case["firmware"]  # the layout follows the scenario's firmware; the live boot is direct
    return machine


def wipe(disks: list[str]) -> None:
    """Leave the case's disks blank so later cases see no VG names or md arrays from it."""
    for disk in disks:
        for part in sorted(p for p in os.listdir(f"/sys/class/block/{disk}") if p.startswith(disk)):
            subprocess.run(["wipefs", "-a", "-q", f"/dev/{part}"], capture_output=True)
        subprocess.run(["wipefs", "-a", "-q", f"/dev/{disk}"], capture_output=True)
    subprocess.run(["udevadm", "settle"], capture_output=True)


def run_case(case: dict, product) -> dict:
    res: dict = {"name": case["name"]}
    machine = probe_machine_as(case)
    res["disks"] = {d.serial: d.name for d in machine.disks}
    mine = [machine.disk(s).name for s in case["serials"]]
    loaded = load_kickstart(case["ks"])
    res["ks_errors"] = [str(d) for d in loaded.errors]
    if loaded.plan is None:
        return res
    plan = loaded.plan
    t = time.monotonic()
    try:
        preview = preview_storage(plan, machine, product)
    except PlanError as exc:
        res["preview_error"] = str(exc)
        res["preview_seconds"] = time.monotonic() - t
        try:
            apply_storage(plan, machine, product, TARGET)
            res["apply_error"] = None
        except PlanError as exc2:
            res["apply_error"] = str(exc2)
        res["leftovers"] = leftovers(mine)
        return res
    res["preview_seconds"] = time.monotonic() - t
    res["preview"] = preview.to_dict()
    res["tree"] = preview.tree_text()

    if case.get("inject_failure"):
        seen = []

        def failing(event):
            if isinstance(event, Progress) and event.done >= case["inject_failure"]:
                raise Boom(f"injected failure after {event.done} actions")
            seen.append(event)

        try:
            apply_storage(plan, machine, product, TARGET, failing)
            res["injected"] = "no failure"
        except Boom as exc:
            res["injected"] = str(exc)
        res["after_failure"] = leftovers(mine)
        # what `azl-install plan` shows for the rerun: the half-made layout goes first
        preview = preview_storage(plan, probe_machine_as(case), product)
        res["preview"] = preview.to_dict()

    progress = []
    t = time.monotonic()
    target = apply_storage(plan, machine, product, TARGET,
                                   lambda e: progress.append(e.to_dict()) if isinstance(e, Progress) else None)
    res["apply_seconds"] = time.monotonic() - t
    res["apply_breakdown"] = dict(target.seconds)
    res["progress"] = progress
    res["executed"] = list(target.actions)
    write_fstab(target)
    res["facts"] = facts(target)
    # files a case expects to find in the mounted target (a --noformat filesystem keeps its data)
    res["files"] = {rel: open(os.path.join(TARGET, rel), errors="replace").read()
                    for rel in case.get("read_files", []) if os.path.isfile(os.path.join(TARGET, rel))}
    t = time.monotonic()
    teardown(target)
    res["teardown_seconds"] = time.monotonic() - t
    res["after_teardown"] = leftovers(mine)

    if case.get("rerun"):
        t = time.monotonic()
        again = apply_storage(plan, machine, product, TARGET)
        res["rerun_executed"] = list(again.actions)
        res["rerun_seconds"] = time.monotonic() - t
        teardown(again)
        res["after_rerun"] = leftovers(mine)
    if case.get("wipe_after"):
        wipe(mine)
    return res


def main() -> int:
    cases = json.load(open(sys.argv[1]))
    logging.basicConfig(filename=os.path.join(os.path.dirname(sys.argv[2]), "blivet.log"), level=logging.DEBUG,
                        format="%(relativeCreated)9.0f %(name)s %(levelname)s %(message)s")
    product = load_product()
    results = {"import_seconds": IMPORT_SECONDS, "cases": []}
    for case in cases:
        start = time.monotonic()
        print(f"azl-storage-case: {case['name']} start", flush=True)
        try:
            res = run_case(case, product)
        except Exception:
            res = {"name": case["name"], "crash": traceback.format_exc()}
            try:
                unmount_all(TARGET)
            except Exception:  # noqa: BLE001
                pass
        res["seconds"] = time.monotonic() - start
        print(f"azl-storage-case: {case['name']} done in {res['seconds']:.1f}s", flush=True)
        results["cases"].append(res)
        with open(sys.argv[2], "w") as fh:
            json.dump(results, fh, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
