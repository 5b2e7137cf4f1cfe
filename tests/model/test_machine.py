"""Machine model: JSON round trip, disk lookup, and the recorded machine profiles."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from installer.model.machine import TRANSPORTS, Disk, Machine, Nic, Partition, human_size

PROFILES = Path(__file__).resolve().parents[1] / "profiles"
ROOT = PROFILES.parent.parent
ALL = sorted(p.name for p in PROFILES.glob("*.json"))
GiB, GB = 1 << 30, 10**9
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MAC = re.compile(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$")


def load(name: str) -> Machine:
    return Machine.load(PROFILES / name)


def test_the_required_profiles_exist():
    required = {"nvme-uefi.json", "bios-2sata.json", "vm-virtio-usb-live.json", "server-8disk-4nic.json",
                "dualboot-windows-linux.json", "too-small-4g.json", "bench-64disk-16nic.json", "vm-ci-guest.json"}
    assert required <= set(ALL)


@pytest.mark.parametrize("name", ALL)
def test_profile_round_trip_and_canonical_form(name):
    text = (PROFILES / name).read_text()
    machine = Machine.from_json(text)
    assert Machine.from_json(machine.to_json()) == machine
    assert machine.to_json() == text, \
        "profiles are kept in Machine.to_json() form: tools/record_profile.py --rewrite tests/profiles/*.json"
    assert json.loads(text)["disks"] and all(isinstance(d["partitions"], list) for d in json.loads(text)["disks"])


@pytest.mark.parametrize("name", ALL)
def test_profile_is_self_consistent(name):
    m = load(name)
    assert m.firmware in ("uefi", "bios")
    assert m.memory > 256 * 1024**2
    names = [d.name for d in m.disks]
    assert len(names) == len(set(names))
    assert sum(d.is_live_medium for d in m.disks) <= 1
    for d in m.disks:
        assert d.path == f"/dev/{d.name}"
        assert d.transport in TRANSPORTS and d.transport != "unknown"
        assert d.size > 0 and d.size % d.logical_sector_size == 0
        assert d.logical_sector_size <= d.physical_sector_size
        assert d.ptable in (None, "gpt", "dos")
        if d.by_id:
            assert d.by_id.startswith("/dev/disk/by-id/") and m.disk(d.by_id) is d
        if d.by_path:
            assert d.by_path.startswith("/dev/disk/by-path/") and m.disk(d.by_path) is d
        assert d.partitions == [] or d.ptable, f"{d.name}: partitions without a partition table"
        end = 0
        for p in sorted(d.partitions, key=lambda p: p.start):
            assert p.name.startswith(d.name) and p.path == f"/dev/{p.name}"
            assert p.size > 0 and p.start >= end and p.start + p.size <= d.size, f"{p.name} overlaps or overflows"
            if d.ptable == "gpt":
                assert p.start >= 34 * 512 and GUID.match(p.parttype), p.name
            end = p.start + p.size
        assert len({p.number for p in d.partitions}) == len(d.partitions)
    assert m.live_medium is None or m.live_medium not in m.target_disks
    nic_names = [n.name for n in m.nics]
    assert "lo" not in nic_names and len(nic_names) == len(set(nic_names))
    for n in m.nics:
        assert n.mac is None or MAC.match(n.mac)


def test_nvme_uefi():
    m = load("nvme-uefi.json")
    assert m.firmware == "uefi" and 15 * GiB < m.memory <= 16 * GiB
    (d,) = m.disks
    assert (d.name, d.transport, d.rotational) == ("nvme0n1", "nvme", False)
    assert 500 * GB < d.size < 520 * GB


def test_bios_two_sata_hdds():
    m = load("bios-2sata.json")
    assert m.firmware == "bios"
    assert [(d.transport, d.rotational) for d in m.disks] == [("sata", True)] * 2
    assert all(abs(d.size - 1000 * GB) < 1 * GB for d in m.disks)


def test_vm_with_usb_live_medium():
    m = load("vm-virtio-usb-live.json")
    assert m.firmware == "uefi" and 3 * GiB < m.memory <= 4 * GiB
    assert m.live_medium.name == "sdb" and m.live_medium.transport == "usb"
    assert m.live_medium.label == "AZL-LIVE" or any(p.label == "AZL-LIVE" for p in m.live_medium.partitions)
    (vda,) = m.target_disks
    assert (vda.name, vda.transport, vda.size, vda.partitions, vda.ptable) == ("vda", "virtio", 20 * GiB, [], None)
    assert [n.driver for n in m.nics] == ["virtio_net"]


def test_server_eight_disks_four_nics():
    m = load("server-8disk-4nic.json")
    assert len(m.disks) == 8 and {d.transport for d in m.disks} == {"sata", "scsi"}
    assert len(m.nics) == 4 and m.firmware == "uefi" and m.memory > 120 * GiB
    fast = [n for n in m.nics if n.speed_mbps and n.speed_mbps >= 25000]
    assert len(fast) == 2 and len({n.driver for n in fast}) == 1  # the pair to bond


def test_dualboot_layout():
    m = load("dualboot-windows-linux.json")
    (d,) = m.disks
    kinds = [(p.fstype, p.parttype) for p in d.partitions]
    assert ("vfat", "c12a7328-f81f-11d2-ba4b-00a0c93ec93b") in kinds
    assert (None, "e3c9e316-0b5c-4db8-817d-f92df00215ae") in kinds  # MSR
    assert ("ntfs", "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7") in kinds
    assert ("ntfs", "de94bba4-06d1-4d40-a16a-bfd50179d6ac") in kinds
    assert ("ext4", "0fc63daf-8483-4772-8e79-3d69d8477de4") in kinds
    assert ("swap", "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f") in kinds
    assert d.size - d.used_bytes > 10 * GiB  # some free space left


def test_too_small():
    (d,) = load("too-small-4g.json").disks
    assert d.size <= 4 * GiB


def test_bench_profile_size():
    m = load("bench-64disk-16nic.json")
    assert len(m.disks) == 64 and len(m.nics) == 16
    assert len(m.target_disks) == 64


def test_vm_ci_guest_matches_the_harness():
    m = load("vm-ci-guest.json")
    by = {d.name: d for d in m.disks}
    assert {n: by[n].transport for n in ("vda", "nvme0n1", "sda", "sdb")} == \
        {"vda": "virtio", "nvme0n1": "nvme", "sda": "sata", "sdb": "usb"}
    assert m.live_medium is by["sdb"] and by["sdb"].label == "AZL-LIVE"


# --- the model itself ---------------------------------------------------------------

def sample() -> Machine:
    disk = Disk(name="nvme0n1", path="/dev/nvme0n1", size=512 * GiB, by_id="/dev/disk/by-id/nvme-eui.00aa",
                by_path="/dev/disk/by-path/pci-0000:01:00.0-nvme-1", serial="S1", wwn="eui.00aa",
                transport="nvme", ptable="gpt",
                partitions=[Partition(name="nvme0n1p1", path="/dev/nvme0n1p1", number=1, start=1 << 20,
                                      size=600 << 20, fstype="vfat", label="Zoë ESP",
                                      parttype="c12a7328-f81f-11d2-ba4b-00a0c93ec93b")])
    live = Disk(name="sdb", path="/dev/sdb", size=GiB, transport="usb", is_live_medium=True)
    ro = Disk(name="sdc", path="/dev/sdc", size=GiB, transport="sata", readonly=True)
    return Machine(disks=[disk, live, ro], nics=[Nic(name="eth0", mac="52:54:00:00:00:01", carrier=None)])


def test_round_trip_keeps_everything():
    m = sample()
    again = Machine.from_json(m.to_json())
    assert again == m
    assert again.disks[0].partitions[0].label == "Zoë ESP"
    assert again.nics[0].carrier is None


def test_unknown_keys_are_ignored_and_missing_ones_default():
    data = sample().to_dict()
    data["future_field"] = 1
    data["disks"][0]["future_disk_field"] = "x"
    data["disks"][0]["partitions"][0]["future_part_field"] = 2
    del data["disks"][1]["model"]
    m = Machine.from_dict(data)
    assert m.disks[0].partitions[0].fstype == "vfat"
    assert m.disks[1].model is None
    assert Machine.from_dict({"firmware": "bios"}).disks == []


@pytest.mark.parametrize("spec", ["nvme0n1", "/dev/nvme0n1", "/dev/disk/by-id/nvme-eui.00aa", "nvme-eui.00aa",
                                  "disk/by-id/nvme-eui.00aa", "pci-0000:01:00.0-nvme-1", "S1", "eui.00aa"])
def test_disk_lookup(spec):
    assert sample().disk(spec).name == "nvme0n1"


def test_targets_exclude_live_and_readonly():
    m = sample()
    assert m.disk("sdx") is None
    assert m.live_medium.name == "sdb"
    assert [d.name for d in m.target_disks] == ["nvme0n1"]


def test_human_size():
    assert human_size(512) == "512 B"
    assert human_size(20 * GiB) == "20.0 GiB"
    assert human_size(1000204886016) == "931.5 GiB"


# --- the probe command on recorded profiles (no root needed) -------------------------

@pytest.mark.parametrize("name", ALL)
def test_probe_table_of_profile_fits_80_columns(name):
    from installer.commands.probe import render_table
    m = load(name)
    lines = render_table(m).splitlines()
    assert max(len(line) for line in lines) <= 80
    for d in m.disks:
        row = next(line for line in lines if line.split()[:1] == [d.name])
        assert d.transport in row and human_size(d.size) in row
        assert ("LIVE" in row) == d.is_live_medium
        for p in d.partitions:
            assert any(line.startswith("  " + p.name) for line in lines)
    for n in m.nics:
        assert any(line.split()[:1] == [n.name] for line in lines)


def test_probe_command_replays_a_profile_and_refuses_bad_input(tmp_path):
    run = lambda *a: subprocess.run([sys.executable, "-m", "installer", "probe", *a], cwd=ROOT,
                                    capture_output=True, text=True, timeout=60)
    out = run("--machine", str(PROFILES / "vm-virtio-usb-live.json"), "--json")
    assert out.returncode == 0 and Machine.from_json(out.stdout) == load("vm-virtio-usb-live.json")
    out = run("--machine", str(PROFILES / "vm-virtio-usb-live.json"))
    assert out.returncode == 0 and "Live medium: sdb." in out.stdout
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    out = run("--machine", str(bad))
    assert out.returncode == 1 and str(bad) in out.stderr and "Traceback" not in out.stderr
    out = run("--machine", str(tmp_path / "missing.json"))
    assert out.returncode == 1 and "No such file" in out.stderr
    out = run("--machine", str(PROFILES / "too-small-4g.json"), "--output", str(tmp_path / "no" / "dir.json"))
    assert out.returncode == 1 and "Traceback" not in out.stderr


def test_record_profile_anonymize_hides_identifiers_and_keeps_links_consistent():
    sys.path.insert(0, str(ROOT / "tools"))
    from record_profile import anonymize
    original = load("server-8disk-4nic.json")
    m = anonymize(load("server-8disk-4nic.json"))
    text = m.to_json()
    for d in original.disks:
        assert d.serial not in text and (d.wwn is None or d.wwn not in text)
        assert all(p.uuid is None or p.uuid not in text for p in d.partitions)
    assert all(n.mac not in text for n in original.nics)
    for d, o in zip(m.disks, original.disks):
        assert m.disk(d.by_id) is d and d.size == o.size and d.transport == o.transport
        assert [len(p.uuid or "") for p in d.partitions] == [len(p.uuid or "") for p in o.partitions]
    assert Machine.from_json(text) == m


def test_a_missing_by_id_link_is_no_disk_not_a_recursion():
    """`ignoredisk --only-use=/dev/disk/by-id/NAME` of a disk that is not there: None, as for any other name
    (it recursed until RecursionError, an internal error instead of 'no disk ... on this machine')."""
    from installer.model.machine import Disk, Machine

    m = Machine(disks=[Disk(name="sda", path="/dev/sda", size=10**10, by_id="/dev/disk/by-id/ata-A_1")])
    assert m.disk("/dev/disk/by-id/ata-missing") is None
    assert m.disk("disk/by-path/pci-missing") is None
    assert m.disk("disk/by-id/ata-A_1").name == "sda" and m.disk("/dev/disk/by-id/ata-A_1").name == "sda"
