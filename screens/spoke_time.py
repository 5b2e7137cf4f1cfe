"""Time zone (searchable), hardware clock in UTC, NTP servers."""

from __future__ import annotations

import functools

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label

from installer.model.plan import TUI
from screens.spoke import FieldError, Spoke
from screens.spoke_language import FilteredList
from screens.widgets import Check


@functools.lru_cache(maxsize=1)
def timezones() -> tuple[str, ...]:
    import zoneinfo

    zones = {z for z in zoneinfo.available_timezones() if not z.startswith(("posix/", "right/", "Etc/GMT"))}
    zones.add("UTC")
    return tuple(sorted(zones))


def split_list(text: str) -> list[str]:
    return [w for w in text.replace(",", " ").split() if w]


def valid_host(name: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        pass
    labels = name.rstrip(".").split(".")
    return all(0 < len(l) <= 63 and l.replace("-", "").isalnum() and not l.startswith("-") for l in labels)


class TimeSpoke(Spoke):
    TITLE_TEXT = "Time zone and NTP"
    CSS = """
    TimeSpoke #body { height: 1fr; }
    TimeSpoke Horizontal#cols { height: 1fr; }
    TimeSpoke #clock { width: 36; height: auto; }
    TimeSpoke #clock Input { width: 100%; }
    """

    def compose_body(self) -> ComposeResult:
        s = self.plan.system
        with Horizontal(id="cols"):
            yield FilteredList("Time zone", timezones(), s.timezone, id="tz")
            with Vertical(id="clock"):
                yield Label("Clock", classes="heading first", markup=False)
                yield Check("Hardware clock in UTC", s.utc, id="utc")
                yield Check("Synchronise time (NTP)", not s.nontp, id="ntp")
                yield Label("NTP servers (blank: default pool)", markup=False)
                yield Input(" ".join(s.ntp_servers), placeholder="e.g. time.example.com", id="ntp-servers")
                yield Label("NTP pools", markup=False)
                yield Input(" ".join(s.ntp_pools), placeholder="e.g. pool.ntp.org", id="ntp-pools")

    def on_mount(self) -> None:
        self.query_one("#tz-filter").focus()

    def apply(self) -> None:
        tz = self.query_one("#tz", FilteredList).value
        if not tz:
            raise FieldError("Time zone: nothing matches the filter", "tz-filter")
        servers = split_list(self.query_one("#ntp-servers", Input).value)
        pools = split_list(self.query_one("#ntp-pools", Input).value)
        for name in servers + pools:
            if not valid_host(name):
                raise FieldError(f"NTP servers: {name!r} is not a host name or address", "ntp-servers")
        s = self.plan.system
        if tz != s.timezone:
            s.set("timezone", tz, TUI)
        utc = self.query_one("#utc", Check).value
        if utc != s.utc:
            s.set("utc", utc, TUI)
        nontp = not self.query_one("#ntp", Check).value
        if nontp != s.nontp:
            s.set("nontp", nontp, TUI)
        if servers != s.ntp_servers:
            s.set("ntp_servers", servers, TUI)
        if pools != s.ntp_pools:
            s.set("ntp_pools", pools, TUI)
