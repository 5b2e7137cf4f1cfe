"""Time zone, NTP, language, keyboard, services, firewall."""

import os

from installer.model.defaults import new_plan
from installer.steps import firewall, locale, services, timezone
from steps_support import add_unit, make_env


def test_timezone_link_adjtime_and_chrony(tmp_path):
    plan = new_plan()
    plan.system.timezone = "Europe/Berlin"
    plan.system.utc = False
    plan.system.ntp_servers = ["ntp1.example.com"]
    plan.system.ntp_pools = ["pool.example.org"]
    env = make_env(tmp_path, plan=plan, family="fedora")
    zone = env.target / "usr/share/zoneinfo/Europe/Berlin"
    zone.parent.mkdir(parents=True)
    zone.write_text("TZif")
    (env.target / "etc/localtime").symlink_to("/usr/share/zoneinfo/UTC")
    (env.target / "etc/chrony.conf").write_text("pool 2.fedora.pool.ntp.org iburst\ndriftfile /var/lib/chrony/drift\n")
    timezone.apply(env.ctx)
    assert os.readlink(env.target / "etc/localtime") == "../usr/share/zoneinfo/Europe/Berlin"
    assert (env.target / "etc/localtime").read_text() == "TZif"  # resolves inside the target
    assert (env.target / "etc/adjtime").read_text().splitlines()[-1] == "LOCAL"
    chrony = (env.target / "etc/chrony.conf").read_text().splitlines()
    assert "server ntp1.example.com iburst" in chrony and "pool pool.example.org iburst" in chrony
    assert "#pool 2.fedora.pool.ntp.org iburst" in chrony and "driftfile /var/lib/chrony/drift" in chrony
    assert not (env.target / "etc/timezone").exists() and env.ctx.warnings == []


def test_debian_chrony_location_and_etc_timezone(tmp_path):
    plan = new_plan()
    plan.system.timezone = "America/New_York"
    plan.system.ntp_servers = ["10.0.0.1"]
    env = make_env(tmp_path, plan=plan, family="debian")
    (env.target / "etc/chrony").mkdir()
    (env.target / "etc/chrony/chrony.conf").write_text("pool 2.debian.pool.ntp.org iburst\n")
    timezone.apply(env.ctx)
    assert (env.target / "etc/timezone").read_text() == "America/New_York\n"
    assert "server 10.0.0.1 iburst" in (env.target / "etc/chrony/chrony.conf").read_text()
    assert (env.target / "etc/adjtime").read_text().splitlines()[-1] == "UTC"
    assert any("zoneinfo/America/New_York" in w for w in env.ctx.warnings)  # no tzdata in this target


def test_language_and_keyboard(tmp_path):
    plan = new_plan()
    plan.system.lang = "de_DE.UTF-8"
    plan.system.keyboard = "de-latin1"
    env = make_env(tmp_path, plan=plan, family="debian")
    (env.target / "etc/vconsole.conf").write_text("KEYMAP=us\nFONT=eurlatgr\n")
    locale.apply(env.ctx)
    assert (env.target / "etc/locale.conf").read_text() == "LANG=de_DE.UTF-8\n"
    assert (env.target / "etc/default/locale").read_text() == "LANG=de_DE.UTF-8\n"
    assert (env.target / "etc/vconsole.conf").read_text() == "KEYMAP=de-latin1\nFONT=eurlatgr\n"


def test_services_resolve_debian_aliases_and_warn_on_missing(tmp_path):
    plan = new_plan()  # product: sshd, NetworkManager, chronyd
    plan.services.enabled = ["sshd", "NetworkManager", "chronyd", "getty@ttyS0"]
    plan.services.disabled = ["cups"]
    env = make_env(tmp_path, plan=plan, family="debian")
    add_unit(env.target, "ssh.service", "[Install]\nWantedBy=multi-user.target\nAlias=sshd.service\n")
    add_unit(env.target, "chrony.service", "[Install]\nAlias=chronyd.service\n")
    add_unit(env.target, "NetworkManager.service")
    add_unit(env.target, "getty@.service")
    services.apply(env.ctx)
    enable = env.runner.named("systemctl")[0]
    assert enable[1] == f"--root={env.target}" and enable[2] == "enable"
    assert enable[3:] == ["ssh.service", "NetworkManager.service", "chrony.service", "getty@ttyS0.service"]
    assert len(env.runner.named("systemctl")) == 1  # nothing to disable: cups is not there
    assert any("cups" in w for w in env.ctx.warnings)


def test_nontp_and_sshd_off_win_over_the_product_defaults(tmp_path):
    plan = new_plan()
    plan.system.nontp = True
    plan.security.sshd_enabled = False
    env = make_env(tmp_path, plan=plan)
    enable, disable = services.wanted(env.ctx)
    assert "chronyd" not in enable and "sshd" not in enable
    assert {"chronyd", "sshd"} <= set(disable)


def test_firewall_offline_with_ssh_kept(tmp_path):
    plan = new_plan()
    plan.security.firewall.services = ["http"]
    plan.security.firewall.ports = ["8443:tcp"]
    env = make_env(tmp_path, plan=plan, tools=("firewall-offline-cmd",))
    add_unit(env.target, "firewalld.service")
    firewall.apply(env.ctx)
    assert env.runner.commands(chroot=True) == [
        ["firewall-offline-cmd", "--enabled", "--service=ssh", "--service=http", "--port=8443:tcp"]]
    assert env.runner.named("systemctl")[0][2:] == ["enable", "firewalld.service"]


def test_firewall_ssh_removed_and_disabled(tmp_path):
    plan = new_plan()
    plan.security.firewall.remove_services = ["ssh"]
    env = make_env(tmp_path, plan=plan)
    assert firewall.arguments(env.ctx) == ["--enabled", "--remove-service=ssh"]
    plan.security.firewall.enabled = False
    assert firewall.arguments(env.ctx) == ["--disabled"]


def test_no_firewall_tooling_is_a_loud_warning(tmp_path):
    env = make_env(tmp_path)
    firewall.apply(env.ctx)
    assert env.runner.calls == []
    assert any("NO firewall" in w for w in env.ctx.warnings)
    assert any(e.kind == "log" and e.level == "warning" for e in env.events)
