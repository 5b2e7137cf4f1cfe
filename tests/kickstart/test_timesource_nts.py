"""`timesource --nts`: the server or pool is used with Network Time Security in chrony's configuration."""

from installer.kickstart.files import dump_kickstart, parse_kickstart
from installer.steps.timezone import chrony_text

KS = """\
timezone Europe/Berlin --utc
timesource --ntp-server=time.cloudflare.com --nts
timesource --ntp-pool=pool.ntp.org
timesource --ntp-server=nts.netnod.se --nts
"""


def test_nts_sources_are_accepted_and_remembered():
    result = parse_kickstart(KS, "nts.ks")
    assert result.ok, [str(d) for d in result.diagnostics]
    sy = result.plan.system
    assert sy.ntp_servers == ["time.cloudflare.com", "nts.netnod.se"] and sy.ntp_pools == ["pool.ntp.org"]
    assert sy.ntp_nts == ["time.cloudflare.com", "nts.netnod.se"]


def test_chrony_gets_the_nts_option_only_where_asked():
    text = chrony_text("pool 2.fedora.pool.ntp.org iburst\ndriftfile /var/lib/chrony/drift\n",
                       ["time.cloudflare.com", "ntp.example.com"], ["pool.ntp.org"], ["time.cloudflare.com"])
    assert text.splitlines()[:4] == ["# Time sources chosen at install time (azl-install).",
                                     "server time.cloudflare.com iburst nts", "server ntp.example.com iburst",
                                     "pool pool.ntp.org iburst"]
    assert "#pool 2.fedora.pool.ntp.org iburst" in text


def test_nts_survives_the_saved_kickstart():
    plan = parse_kickstart(KS, "nts.ks").plan
    saved = dump_kickstart(plan)
    assert "timesource --ntp-server=time.cloudflare.com --nts" in saved
    again = parse_kickstart(saved, "saved.ks").plan
    assert again.system.ntp_nts == ["time.cloudflare.com", "nts.netnod.se"]
    assert again.system.ntp_pools == ["pool.ntp.org"]
