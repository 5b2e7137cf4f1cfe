"""The hub's model: which areas are done, required and missing (installer/model/status.py, no UI)."""

from installer.model.defaults import new_plan
from installer.model.diagnostics import Diagnostic
from installer.model.plan import TUI, AutoPart, SshKey, User
from installer.model.status import area_of_field, hub_status, missing, ready
from tests.tui import machines


def states(plan, machine=None, diags=()):
    return {s.key: s.state for s in hub_status(plan, machine, list(diags))}


def complete_plan():
    plan = new_plan()
    plan.storage.set("selected_disks", ["vda"], TUI)
    plan.storage.set("autopart", AutoPart(scheme="lvm"), TUI)
    plan.accounts.set("root_password_hash", "$6$salt$hash", TUI)
    return plan


def test_new_plan_needs_destination_and_users():
    statuses = hub_status(new_plan(), machines.load("vm-virtio-usb-live"))
    assert [s.key for s in missing(statuses)] == ["destination", "users"]
    assert not ready(statuses)
    assert {s.key: s.mark for s in statuses}["network"] == "[ ]"
    assert {s.key: s.mark for s in statuses}["language"] == "[x]"


def test_complete_plan_is_ready_and_summarises():
    machine = machines.load("vm-virtio-usb-live")
    statuses = {s.key: s for s in hub_status(complete_plan(), machine)}
    assert ready(list(statuses.values()))
    assert statuses["destination"].summary.startswith("vda 20.0 GiB; automatic lvm")


def test_disk_without_layout_is_still_missing():
    plan = new_plan()
    plan.storage.set("selected_disks", ["vda"], TUI)
    assert states(plan)["destination"] == "missing"


def test_locked_root_needs_an_administrator():
    plan = complete_plan()
    plan.accounts.set("root_lock", True, TUI)
    assert states(plan)["users"] == "missing"
    plan.accounts.users.append(User(name="ops", groups=["users"], password_hash="$6$x$y"))
    assert states(plan)["users"] == "missing"  # not in wheel: cannot administer
    plan.accounts.users[0].groups.append("wheel")
    assert states(plan)["users"] == "done"


def test_admin_with_only_an_ssh_key_is_enough():
    plan = complete_plan()
    plan.accounts.set("root_password_hash", None, TUI)
    plan.accounts.set("root_lock", True, TUI)
    plan.accounts.users.append(User(name="ops", groups=["wheel"]))
    assert states(plan)["users"] == "missing"
    plan.accounts.ssh_keys.append(SshKey(username="ops", key="ssh-ed25519 AAAA ops"))
    assert states(plan)["users"] == "done"


def test_hostname_makes_network_done():
    plan = complete_plan()
    assert states(plan)["network"] == "optional"
    plan.system.set("hostname", "box", TUI)
    assert states(plan)["network"] == "done"


def test_validation_errors_mark_their_area_missing():
    plan = complete_plan()
    diags = [Diagnostic("bad gateway", field="network.devices[0].gateway"),
             Diagnostic("only a warning", field="system.timezone", severity="warning")]
    statuses = {s.key: s for s in hub_status(plan, None, diags)}
    assert statuses["network"].state == "missing" and statuses["network"].summary == "bad gateway"
    assert statuses["time"].state == "done"
    assert not ready(list(statuses.values()))


def test_field_prefixes_pick_the_longest_match():
    assert area_of_field("system.timezone") == "time"
    assert area_of_field("system.hostname") == "network"
    assert area_of_field("storage.autopart.scheme") == "destination"
    assert area_of_field("accounts.users[1].name") == "users"
    assert area_of_field("nonsense") is None and area_of_field(None) is None
