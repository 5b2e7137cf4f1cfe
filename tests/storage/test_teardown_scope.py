"""Teardown after an install closes what lies on the chosen disks and nothing else: on the live
medium blivet's tree also holds the mounted CD-ROM the system runs from (and any disk the user
did not choose), which must stay as it is. A tree of plain objects with blivet's attribute names
stands in for blivet's here; the VM proofs run the real one (tests/vm/test_config_scenarios.py)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from installer.storage.results import MountedTarget
from installer.storage.teardown import teardown


@dataclass(eq=False)
class Dev:
    name: str
    disks: list = field(default_factory=list)
    protected: bool = False
    fail: bool = False
    torn: list = field(default_factory=list)

    def teardown(self, recursive=False):
        self.torn.append(self.name)
        if self.fail:
            raise OSError(2, "No such file or directory: 'lsof'")


@dataclass
class Tree:
    leaves: list


@dataclass
class FakeBlivet:
    devicetree: Tree


def target_with(leaves, disks, root):
    return MountedTarget(root=str(root), mounts=[], api_mounts=[], swaps=[], fstab="", crypttab="", actions=[],
                         kernel_args=[], root_device="", blivet=FakeBlivet(Tree(leaves)), disks=disks)


def test_only_devices_on_the_chosen_disks_are_torn_down(tmp_path):
    torn: list[str] = []
    vda, sr0, sdb = Dev("vda"), Dev("sr0"), Dev("sdb")
    for d in (vda, sr0, sdb):
        d.disks, d.torn = [d], torn
    root_lv = Dev("azl-root", torn=torn)
    root_lv.disks = [vda]
    cdrom = Dev("sr0", torn=torn, fail=True)   # the live medium, busy: umount fails, blivet runs lsof
    cdrom.disks = [sr0]
    other = Dev("sdb1", torn=torn)
    other.disks = [sdb]
    spanning = Dev("md0", torn=torn)           # a RAID over a chosen and an unchosen disk: not ours alone
    spanning.disks = [vda, sdb]
    teardown(target_with([root_lv, cdrom, other, spanning], ["vda"], tmp_path))
    assert torn == ["azl-root"]


def test_a_failing_teardown_on_a_chosen_disk_is_logged_not_raised(tmp_path, caplog):
    vda = Dev("vda")
    vda.disks = [vda]
    lv = Dev("azl-root", fail=True)
    lv.disks = [vda]
    protected = Dev("azl-home", protected=True)
    protected.disks = [vda]
    install_log = logging.getLogger("azl-install.test-teardown")
    with caplog.at_level(logging.WARNING):
        teardown(target_with([lv, protected], ["vda"], tmp_path), install_log)
    assert lv.torn == ["azl-root"] and protected.torn == []
    records = [r for r in caplog.records if "teardown of azl-root" in r.getMessage()]
    assert records and all(r.name == "azl-install.test-teardown" for r in records)   # the install log
