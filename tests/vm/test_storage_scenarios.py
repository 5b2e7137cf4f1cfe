"""Storage scenarios on real (virtual) disks: installer.storage driven inside the live guest.

One live boot holds every scenario's disks; tests/vm/scenarios/storage/driver.py runs each
kickstart in turn (preview -> apply -> fstab -> facts -> teardown) and the checks below read its
results. Disks that must not change are hashed here, on the host, before and after the boot.

  s1 UEFI virtio, default LVM + xfs (+ a failure injected mid-apply, then a clean run)
  s2 BIOS SATA, autopart --type=plain --fstype=ext4
  s3 UEFI NVMe, LUKS2 + LVM
  s4 two disks, RAID1 for /boot and / (+ a rerun that removes the existing md arrays)
  s5 btrfs volume with subvolumes
  s6 clearpart --none into free space next to an existing partition that stays byte-identical
  s7 disk too small: a clear error, every disk byte-identical
  s8 part --onpart: /srv an existing ext4 kept with its files (--noformat), / the old root reformatted
This file proves the storage layer alone, with all eight layouts in one ~4 minute boot. Each
layout is also installed by the full installer and booted: s1 by cfg-uefi and s2 by cfg-bios
(as the partitions its image configuration writes out)
(test_config_scenarios.py), s3 by pay-dnf and s4 by pay-squash (test_payload_scenarios.py),
s5 and s6 together by storage/boot/boot-btrfs-keep (below); s7 writes nothing, so nothing boots.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from harness.diskhash import hash_range
from harness.guest import run_guest
from harness.paths import BUILD, VM_DIR
from harness.qemu import Disk, sparse_disk

pytestmark = pytest.mark.vm

HERE = VM_DIR / "scenarios" / "storage"
MiB = 1 << 20
GiB = 1 << 30

# serial -> (bus, size)
DISKS = {
    "s1-os": ("virtio", 8 * GiB),
    "s2-os": ("sata", 8 * GiB),
    "s3-os": ("nvme", 8 * GiB),
    "s4-a": ("virtio", 4 * GiB),
    "s4-b": ("virtio", 4 * GiB),
    "s5-os": ("virtio", 8 * GiB),
    "s6-os": ("virtio", 8 * GiB),
    "s7-small": ("virtio", 3 * GiB),
    "s8-os": ("virtio", 4 * GiB),
    "keep": ("nvme", 2 * GiB),
}
CASES = [
    {"name": "s1", "ks": "s1-uefi-virtio-lvm.ks", "firmware": "uefi", "inject_failure": 8, "serials": ["s1-os"],
     "wipe_after": True},
    {"name": "s2", "ks": "s2-bios-sata-plain.ks", "firmware": "bios", "serials": ["s2-os"]},
    {"name": "s3", "ks": "s3-uefi-nvme-luks.ks", "firmware": "uefi", "serials": ["s3-os"], "wipe_after": True},
    {"name": "s4", "ks": "s4-raid1.ks", "firmware": "uefi", "rerun": True,
     "serials": ["s4-a", "s4-b"], "wipe_after": True},
    {"name": "s5", "ks": "s5-btrfs.ks", "firmware": "uefi", "serials": ["s5-os"]},
    {"name": "s6", "ks": "s6-clearpart-none.ks", "firmware": "uefi", "serials": ["s6-os"]},
    {"name": "s7", "ks": "s7-too-small.ks", "firmware": "uefi", "serials": ["s7-small"]},
    {"name": "s8", "ks": "s8-onpart-noformat.ks", "firmware": "uefi", "serials": ["s8-os"],
     "read_files": ["srv/lab/results.txt"]},
]
KEEP_PART = (1 * MiB, 1 * GiB)  # s6: the existing partition (start, size) that must stay identical


def sha256(path: Path, start: int = 0, length: int | None = None) -> str:
    return hash_range(path, start, path.stat().st_size - start if length is None else length)


def _existing_partition(path: Path) -> None:
    """A GPT with one ext4 partition holding data, as another OS would leave it."""
    start, size = KEEP_PART
    subprocess.run(["sfdisk", "-q", str(path)], check=True, text=True,
                   input=f"label: gpt\nstart={start // 512}, size={size // 512}, type=L\n")
    subprocess.run(["mkfs.ext4", "-q", "-F", "-L", "keepme", "-E", f"offset={start}", str(path),
                    str(size // 4096)], check=True, capture_output=True)
    with open(path, "r+b") as fh:
        fh.seek(start + size - 8 * MiB)
        fh.write(b"azl-keep-me " * 4096)


S8_DATA = "run 42: 17 passed\n" * 64  # s8: a file on the /srv partition that --noformat must keep


def _lab_disk(path: Path, work: Path) -> None:
    """s8: GPT with /srv data (ext4 'srvdata', holding lab/results.txt) and an old root (ext4 'oldroot')."""
    srv, root = (1 * MiB, 1 * GiB), (1 * MiB + 1 * GiB, 1536 * MiB)
    subprocess.run(["sfdisk", "-q", str(path)], check=True, text=True, input=(
        f"label: gpt\nstart={srv[0] // 512}, size={srv[1] // 512}, type=L\n"
        f"start={root[0] // 512}, size={root[1] // 512}, type=L\n"))
    tree = work / "s8-srv"
    (tree / "lab").mkdir(parents=True, exist_ok=True)
    (tree / "lab" / "results.txt").write_text(S8_DATA)
    for (start, size), label, content in ((srv, "srvdata", ["-d", str(tree)]), (root, "oldroot", [])):
        subprocess.run(["mkfs.ext4", "-q", "-F", "-b", "4096", "-L", label, *content, "-E", f"offset={start}", str(path),
                        str(size // 4096)], check=True, capture_output=True)


def _junk_table(path: Path) -> None:
    subprocess.run(["sfdisk", "-q", "--label", "gpt", str(path)], input="size=64MiB, type=L\n", text=True,
                   check=True)
    with open(path, "r+b") as fh:
        fh.seek(MiB)
        fh.write(b"azl-keep-me " * 4096)


@pytest.fixture(scope="module")
def storage_run(live_env, vm_timer):
    work = BUILD / "storage-scenarios"
    disks = []
    for serial, (bus, size) in DISKS.items():
        path = sparse_disk(work / f"{serial}.img", size)
        disks.append(Disk(path, bus=bus, serial=serial, selected=serial not in ("keep", "s7-small")))
    by_serial = {d.serial: d for d in disks}
    _existing_partition(by_serial["s6-os"].path)
    _junk_table(by_serial["s7-small"].path)
    _lab_disk(by_serial["s8-os"].path, work)
    _junk_table(by_serial["keep"].path)
    before = {
        "s6-part": sha256(by_serial["s6-os"].path, *KEEP_PART),
        "s7-small": sha256(by_serial["s7-small"].path),
        "keep": sha256(by_serial["keep"].path),
    }
    cases = [dict(c, ks=f"/run/azl/job/{c['ks']}") for c in CASES]
    files = {c["ks"]: (HERE / c["ks"]).read_text() for c in CASES}
    files["driver.py"] = (HERE / "driver.py").read_text()
    files["cases.json"] = json.dumps(cases)
    result = run_guest(live_env, "python3 driver.py cases.json out/storage.json\n", disks, name="storage",
                       timeout=1800, files=files, memory=2048)
    vm_timer.add("boot", "storage", result.boot_seconds or 0)
    out = result.job_dir / "out" / "storage.json"
    assert out.exists(), f"driver wrote no results (rc {result.rc}):\n{result.output[-4000:]}\n{result.tail}"
    data = json.loads(out.read_text())
    cases_by_name = {c["name"]: c for c in data["cases"]}
    for c in data["cases"]:
        if "apply_seconds" in c:
            vm_timer.add("storage", f"storage-{c['name']}", c["apply_seconds"])
    after = {
        "s6-part": sha256(by_serial["s6-os"].path, *KEEP_PART),
        "s7-small": sha256(by_serial["s7-small"].path),
        "keep": sha256(by_serial["keep"].path),
    }
    log = result.job_dir / "out" / "blivet.log"
    return {"cases": cases_by_name, "before": before, "after": after, "raw": data, "output": result.output,
            "rc": result.rc, "blivet_log": log.read_text(errors="replace") if log.exists() else ""}


def case(run, name):
    c = run["cases"].get(name)
    assert c is not None, f"{name} did not run:\n{run['output'][-3000:]}"
    assert "crash" not in c, f"{name} crashed:\n{c['crash']}"
    assert not c.get("ks_errors"), c["ks_errors"]
    return c


def blockdevs(c) -> list[dict]:
    out = []

    def walk(nodes):
        for n in nodes:
            out.append(n)
            walk(n.get("children", []))

    walk(c["facts"]["lsblk"]["blockdevices"])
    return out


def disk_tree(c, serial) -> list[dict]:
    name = c["disks"][serial]
    top = next(n for n in c["facts"]["lsblk"]["blockdevices"] if n["name"] == name)
    out = []

    def walk(n):
        out.append(n)
        for ch in n.get("children", []):
            walk(ch)

    walk(top)
    return out


def mounted(c) -> dict[str, dict]:
    """mountpoint inside the target -> findmnt entry."""
    out = {}

    def walk(nodes):
        for n in nodes:
            rel = n["target"][len("/mnt/sysroot"):] or "/"
            out[rel] = n
            walk(n.get("children", []))

    walk(c["facts"]["findmnt"].get("filesystems", []))
    return out


def fstab_lines(c) -> list[list[str]]:
    return [line.split() for line in c["facts"]["fstab"].splitlines() if line.strip() and not line.startswith("#")]


def assert_fstab_by_uuid(c):
    uuids = {f.get("UUID") for f in c["facts"]["blkid"].values()}
    lines = fstab_lines(c)
    assert lines, c["facts"]["fstab"]
    for spec, *_ in lines:
        assert spec.startswith("UUID=") and spec[5:] in uuids, (spec, c["facts"]["fstab"])


def assert_clean(state):
    assert state["mounts"] == [] and state["dm"] == [] and state["md"] == [], state
    assert not [s for s in state["swaps"] if "zram" not in s], state


def assert_preview_matches_apply(c, existing_stack: bool = False):
    """What `azl-install plan` showed is what ran. With an existing LVM/md stack on the disks, the
    preview (built from the Machine profile, which records partitions and their formats but not
    the VGs, LVs or arrays on them) shows only the removal of their members; apply also removes
    the stack itself, first."""
    preview, executed = c["preview"]["actions"], c["executed"]
    if not existing_stack:
        assert preview == executed, (preview, executed)
    else:
        assert [a for a in preview if a.startswith("create")] == [a for a in executed if a.startswith("create")]
        it = iter(executed)
        assert all(any(a == b for b in it) for a in preview), (preview, executed)
    progress = c["progress"]
    assert [p["done"] for p in progress] == list(range(len(c["executed"]) + 1))
    assert {p["total"] for p in progress} == {len(c["executed"])}


def test_s1_uefi_virtio_default_lvm_xfs(storage_run):
    c = case(storage_run, "s1")
    assert_preview_matches_apply(c, existing_stack=True)
    m = mounted(c)
    assert m["/"]["fstype"] == "xfs" and m["/"]["source"] == "/dev/mapper/azl-root"
    assert m["/boot"]["fstype"] == "xfs" and m["/boot/efi"]["fstype"] == "vfat"
    for sub in ("/proc", "/sys", "/dev", "/dev/pts", "/run"):
        assert sub in m, sorted(m)
    tree = disk_tree(c, "s1-os")
    assert [n["fstype"] for n in tree if n["type"] == "part"] == ["vfat", "xfs", "LVM2_member"]
    assert [n["size"] for n in tree if n["type"] == "part"][:2] == [600 * MiB, 1024 * MiB]
    assert_fstab_by_uuid(c)
    # a failure in the middle of apply left nothing mounted or open, and the rerun then worked,
    # first removing what the failed run had made (the preview for the rerun said so)
    assert c["injected"] == "injected failure after 8 actions"
    ex = c["executed"]
    relabel = ex.index("create format gpt partition table on vda")
    for removal in ("destroy logical volume azl-swap", "destroy volume group azl", "destroy format lvmpv on vda3"):
        assert removal in ex[:relabel], ex
    assert_clean(c["after_failure"])
    assert_clean(c["after_teardown"])


def test_s2_bios_sata_plain_ext4(storage_run):
    c = case(storage_run, "s2")
    assert_preview_matches_apply(c)
    tree = disk_tree(c, "s2-os")
    parts = [n for n in tree if n["type"] == "part"]
    assert parts[0]["size"] == 1 * MiB and parts[0]["fstype"] is None  # biosboot has no filesystem
    m = mounted(c)
    assert m["/"]["fstype"] == "ext4" and m["/boot"]["fstype"] == "ext4"
    assert "/boot/efi" not in m
    assert not [n for n in tree if n["type"] == "lvm"]
    assert [line[3:] for line in fstab_lines(c) if line[1] == "/"] == [["defaults", "0", "1"]]
    assert_fstab_by_uuid(c)
    assert_clean(c["after_teardown"])


def test_s3_uefi_nvme_luks2_lvm(storage_run):
    c = case(storage_run, "s3")
    assert_preview_matches_apply(c)
    tree = disk_tree(c, "s3-os")
    luks = [n for n in tree if n["fstype"] == "crypto_LUKS"]
    assert len(luks) == 1 and luks[0]["fsver"] == "2"
    dump = next(iter(c["facts"]["luks"].values()))
    assert "Version:       \t2" in dump and "pbkdf2" in dump
    crypt = [line.split() for line in c["facts"]["crypttab"].splitlines() if line and not line.startswith("#")]
    assert crypt == [[f"luks-{luks[0]['uuid']}", f"UUID={luks[0]['uuid']}", "none"]]
    assert c["facts"]["crypttab_mode"] == "0o600"
    assert f"rd.luks.uuid=luks-{luks[0]['uuid']}" in c["facts"]["kernel_args"]
    assert "rd.lvm.lv=azl/root" in c["facts"]["kernel_args"]
    assert mounted(c)["/"]["fstype"] == "xfs"
    assert_fstab_by_uuid(c)
    assert "azl-test-luks-secret" not in json.dumps(c)
    assert "azl-test-luks-secret" not in storage_run["blivet_log"] + storage_run["output"]
    assert_clean(c["after_teardown"])


def test_s4_raid1_boot_and_root_on_two_disks(storage_run):
    c = case(storage_run, "s4")
    assert_preview_matches_apply(c)
    raids = [n for n in blockdevs(c) if n["type"] == "raid1"]
    assert {n["kname"] for n in raids} and len({n["kname"] for n in raids}) == 2
    for serial in ("s4-a", "s4-b"):
        assert len([n for n in disk_tree(c, serial) if n["type"] == "raid1"]) == 2, serial
    m = mounted(c)
    assert m["/"]["source"].startswith("/dev/md") and m["/boot"]["source"].startswith("/dev/md")
    assert sorted(c["facts"]["boot_disks"]) == sorted(f"/dev/{c['disks'][s]}" for s in ("s4-a", "s4-b"))
    assert_fstab_by_uuid(c)
    assert_clean(c["after_teardown"])
    assert any("destroy RAID array" in a for a in c["rerun_executed"]), c["rerun_executed"]
    assert_clean(c["after_rerun"])


def test_s5_btrfs_subvolumes(storage_run):
    c = case(storage_run, "s5")
    assert_preview_matches_apply(c)
    m = mounted(c)
    for mp, sub in (("/", "root"), ("/home", "home"), ("/var/log", "log")):
        assert m[mp]["fstype"] == "btrfs", m[mp]
        assert re.search(rf"subvol=/{sub}(,|$)", m[mp]["options"]), m[mp]
    opts = {line[1]: line[3] for line in fstab_lines(c)}
    assert opts["/"] == "subvol=root" and opts["/home"] == "subvol=home"
    assert "rootflags=subvol=root" in c["facts"]["kernel_args"]
    assert_fstab_by_uuid(c)
    assert_clean(c["after_teardown"])


def test_s6_clearpart_none_keeps_the_existing_partition_byte_identical(storage_run):
    c = case(storage_run, "s6")
    assert_preview_matches_apply(c)
    assert not [a for a in c["executed"] if a.startswith("destroy")], c["executed"]
    parts = [n for n in disk_tree(c, "s6-os") if n["type"] == "part"]
    assert parts[0]["label"] == "keepme" and parts[0]["fstype"] == "ext4"
    assert len(parts) == 4  # the kept partition, ESP, /boot, /
    assert storage_run["before"]["s6-part"] == storage_run["after"]["s6-part"]
    assert_clean(c["after_teardown"])


def test_s7_too_small_is_a_clear_error_and_nothing_changes(storage_run):
    c = case(storage_run, "s7")
    assert re.fullmatch(r"/run/azl/job/s7-too-small\.ks:5: not enough disk space: the layout needs at least "
                        r"[\d.]+ GiB, the selected disks have 3\.0 GiB \(\w+: 3\.0 GiB free\)",
                        c["preview_error"]), c["preview_error"]
    assert c["apply_error"] == c["preview_error"]
    assert storage_run["before"]["s7-small"] == storage_run["after"]["s7-small"]
    assert_clean(c["leftovers"])


def test_s8_onpart_keeps_srv_with_its_files_and_reformats_the_old_root(storage_run):
    c = case(storage_run, "s8")
    assert_preview_matches_apply(c)
    disk = c["disks"]["s8-os"]
    srv, old_root = f"{disk}1", f"{disk}2"
    # what the preview shows as erased is exactly the reformatted old root; the kept /srv is not touched
    [erased] = c["preview"]["erasures"]
    assert erased["destroyed"] == [f"destroy format ext4 on {old_root}"], erased
    assert c["preview"]["reused"] == [f"{srv}: kept as it is (ext4, data kept) for /srv",
                                      f"{old_root}: reformatted as xfs for / (what is on it now is erased)"]
    assert not [a for a in c["executed"] if srv in a], c["executed"]
    assert f"create format xfs on {old_root} (/)" in c["executed"]
    assert not [a for a in c["executed"] if a.startswith("destroy partition")], c["executed"]
    m = mounted(c)
    assert m["/srv"]["source"] == f"/dev/{srv}" and m["/srv"]["fstype"] == "ext4"
    assert m["/"]["source"] == f"/dev/{old_root}" and m["/"]["fstype"] == "xfs"
    assert c["files"] == {"srv/lab/results.txt": S8_DATA}
    assert_fstab_by_uuid(c)
    parts = {n["name"]: n for n in disk_tree(c, "s8-os") if n["type"] == "part"}
    assert parts[srv]["label"] == "srvdata" and len(parts) == 3  # /srv, /, the new ESP
    assert_clean(c["after_teardown"])


def test_unselected_disk_is_byte_identical(storage_run):
    assert storage_run["before"]["keep"] == storage_run["after"]["keep"]
    assert storage_run["rc"] == 0, storage_run["output"][-3000:]


# ---------------------------------------------------------------- installed and booted

BOOTED = sorted(p.stem for p in (HERE / "boot").glob("*.toml"))


@pytest.mark.parametrize("name", BOOTED)
def test_installed_storage_layout_boots(live_env, test_payload, ssh_key, vm_timer, name):
    """The installer (python3 -m installer install --kickstart KS --yes) installs the layout, the
    installed disks boot alone under their firmware, and the harness checks them over SSH."""
    from harness import scenario

    sc = scenario.Scenario.load(HERE / "boot" / f"{name}.toml")
    pub = ssh_key.with_suffix(".pub").read_text()
    scenario.install(live_env, test_payload, [sc], pub, vm_timer, boot_name=f"storage-{name}")
    scenario.verify_install(sc, ssh_key, vm_timer)
