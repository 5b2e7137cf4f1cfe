"""The cfg-bios VM scenario as an image configuration (tests/vm/scenarios/config/cfg-bios.yaml) is the
system cfg-bios.ks describes: everything the VM checks is equal in the two plans; only the layout is
written out where the kickstart says autopart. And the medium's OEMDRV discovery takes it as ks.cfg."""

from pathlib import Path

from imageconfig.test_convert import view
from installer.kickstart.files import load_kickstart, parse_kickstart

ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "tests" / "vm" / "scenarios" / "config"
PUB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICTQXHQRA39aw9IpI0Cm2HAaNAUfl3GxaQ3uVu/c+smP harness"


def _plans():
    ks = parse_kickstart((HERE / "cfg-bios.ks").read_text().replace("{pubkey}", PUB), "cfg-bios.ks")
    cfg = parse_kickstart((HERE / "cfg-bios.yaml").read_text().replace("{pubkey}", PUB), "ks.cfg")
    assert ks.errors == [] and cfg.errors == [], "\n".join(map(str, ks.diagnostics + cfg.diagnostics))
    return ks.plan, cfg.plan


def test_the_configuration_is_the_kickstart_system():
    ks, cfg = _plans()
    a, b = view(ks), view(cfg)
    for name in ("parts", "clear", "zerombr", "network"):  # autopart vs. written-out partitions; see below
        a.pop(name), b.pop(name)
    a["users"] = [u[:3] + u[4:] for u in a["users"]]  # one password, two salts
    b["users"] = [u[:3] + u[4:] for u in b["users"]]
    assert a == b
    assert [(d.device, d.bootproto) for d in ks.network.devices] == [(d.device, d.bootproto)
                                                                     for d in cfg.network.devices]
    assert ks.network.devices[0].activate is False and cfg.network.devices[0].activate is False
    assert [u.name for u in cfg.accounts.users] == ["keyonly", "pwuser"]
    assert cfg.security.firewall.enabled is False and cfg.system.nontp is True
    assert cfg.storage.selected_disks == ks.storage.selected_disks == ["cfg-bios-os"]
    assert cfg.storage.zerombr and cfg.storage.clearpart.mode == "all"


def test_its_layout_meets_the_scenario_expectations():
    _ks, cfg = _plans()
    parts = {p.mountpoint: p.fstype for p in cfg.storage.partitions}
    assert parts == {"biosboot": "biosboot", "/boot": "ext4", "swap": "swap", "/": "ext4"}


def test_the_saved_original_has_no_plaintext():
    _ks, cfg = _plans()
    from installer.kickstart.files import dump_kickstart, dump_original

    for text in (dump_original(cfg), dump_kickstart(cfg)):
        assert "azl-user-plaintext-4" not in text
    saved = dump_kickstart(cfg)
    assert "selinux --disabled" in saved and "sshd --password-auth=no" in saved


def test_inst_ks_takes_the_configuration_named_ks_cfg(tmp_path):
    """inst.ks=file:...; OEMDRV and hd: copy the file to the same ks.cfg and read it the same way."""
    from installer.live import ksfetch

    stick = tmp_path / "stick"
    stick.mkdir()
    (stick / ksfetch.DEFAULT_NAME).write_text((HERE / "cfg-bios.yaml").read_text().replace("{pubkey}", PUB))
    copied = ksfetch.fetch_kickstart(f"file://{stick / ksfetch.DEFAULT_NAME}", tmp_path / "run")
    result = load_kickstart(copied)
    assert result.errors == [] and result.plan.system.hostname == "cfg-bios"
    assert str(result.plan.system.origin_of("hostname")).startswith(f"{copied}:")
