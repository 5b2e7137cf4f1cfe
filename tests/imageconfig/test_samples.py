"""The sample configurations under kickstarts/imageconfig validate, and together use every field the
installer maps (a field added to the mapper without a sample fails here)."""

from pathlib import Path

import pytest

from installer.commands.validate import check_file
from installer.imageconfig import map as mapper
from installer.kickstart.files import dump_kickstart, load_kickstart, parse_kickstart
from installer.model.machine import Machine
from installer.model.product import load_product

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted(p for p in (ROOT / "kickstarts" / "imageconfig").iterdir() if p.suffix in (".yaml", ".json"))
PRODUCT = load_product()


def test_there_are_yaml_and_json_samples():
    assert {p.suffix for p in SAMPLES} == {".yaml", ".json"} and len(SAMPLES) >= 2


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_each_sample_validates_without_a_message(path):
    plan, diags = check_file(str(path), None, PRODUCT)
    assert plan is not None and diags == [], "\n".join(map(str, diags))
    assert plan.source_file == str(path) and plan.storage.partitions and plan.storage.selected_disks


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_each_sample_becomes_a_kickstart_that_gives_the_same_plan(path):
    plan = load_kickstart(path).plan
    again = parse_kickstart(dump_kickstart(plan), "converted.ks")
    assert again.errors == [], "\n".join(map(str, again.diagnostics))
    assert again.plan.storage.partitions == plan.storage.partitions
    assert again.plan.accounts == plan.accounts and again.plan.scripts == plan.scripts


def test_the_disk_match_of_the_server_sample_picks_one_disk_on_a_matching_machine():
    from installer.model.machine import Disk

    plan = load_kickstart(ROOT / "kickstarts" / "imageconfig" / "efi-server.yaml").plan
    machine = Machine(disks=[Disk(name="sda", path="/dev/sda", size=80 * 1024**3, model="QEMU HARDDISK"),
                             Disk(name="sdb", path="/dev/sdb", size=200 * 1024**3, model="Other"),
                             Disk(name="sdc", path="/dev/sdc", size=40 * 1024**3, model="QEMU HARDDISK")])
    assert machine.disk(plan.storage.selected_disks[0]).name == "sda"


def test_the_samples_use_every_field_the_installer_maps(monkeypatch):
    accepted: dict[str, set[str]] = {}
    used: dict[str, set[str]] = {}
    original = mapper.Mapper.mapping

    def recording(self, node, path, known):
        fields = original(self, node, path, known)
        if self.file.endswith((".yaml", ".json")) and "/lists/" not in self.file:
            generic = _generic(path)
            accepted.setdefault(generic, set()).update(known)
            used.setdefault(generic, set()).update(fields)
        return fields

    monkeypatch.setattr(mapper.Mapper, "mapping", recording)
    for path in SAMPLES:
        assert load_kickstart(path).ok
    missing = sorted(f"{where}.{key}".lstrip(".") for where, keys in accepted.items()
                     for key in keys - used.get(where, set())
                     if where not in ("os.modules[].options", "scripts.postCustomization[].environmentVariables"))
    assert missing == [], f"fields no sample uses: {missing}"
    assert {"storage", "os", "scripts", "x-azl-install"} <= accepted[""]


def _generic(path: str) -> str:
    import re

    return re.sub(r"\[\d+\]", "[]", path)


def test_the_readme_pair_gives_the_same_plan():
    import re

    from imageconfig.test_convert import view

    text = (ROOT / "README.md").read_text()
    table = text[text.index("<th>image configuration</th>"):text.index("</td></tr></table>")]
    config, kickstart = re.findall(r"```(?:yaml)?\n(.*?)```", table, re.DOTALL)
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICTQXHQRA39aw9IpI0Cm2HAaNAUfl3GxaQ3uVu/c+smP me"
    config, kickstart = (t.replace("ssh-ed25519 AAAA... me", key) for t in (config, kickstart))
    a, b = parse_kickstart(config, "readme.yaml"), parse_kickstart(kickstart, "readme.ks")
    assert a.errors == [] and b.errors == [], "\n".join(map(str, a.diagnostics + b.diagnostics))
    va, vb = view(a.plan), view(b.plan)
    va["users"] = [u[:3] + u[4:] for u in va["users"]]  # the two hashes of one password differ by salt
    vb["users"] = [u[:3] + u[4:] for u in vb["users"]]
    assert va == vb
