"""Any YAML shaped like a configuration gives diagnostics, never an internal error."""

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from installer.imageconfig import map as mapper
from installer.kickstart.files import parse_kickstart

KEYS = sorted({"storage", "os", "scripts", "x-azl-install", "bootType", "disks", "filesystems", "partitions",
               "partitionTableType", "maxSize", "id", "type", "start", "end", "size", "deviceId", "mountPoint",
               "path", "options", "hostname", "kernelCommandLine", "extraCommandLine", "packages", "install",
               "remove", "users", "name", "uid", "password", "value", "sshPublicKeys", "secondaryGroups",
               "modules", "loadMode", "selinux", "mode", "services", "enable", "disable", "postCustomization",
               "content", "disk", "match", "network", "device", "bootproto", "firewall", "sshd", "groups", "gid",
               "additionalFiles", "destination", "permissions", "environmentVariables", "timeSync", "finish",
               "packageOptions", "nocore", "rootLogin", "installLists", "idType", "x"})
SCALARS = (st.none() | st.booleans() | st.integers(-5, 10**12) | st.sampled_from(
    ["", "efi", "legacy", "gpt", "mbr", "esp", "root", "grow", "8M", "1G", "3.5G", "/", "/boot/efi", "ext4",
     "fat32", "rootfs", "plain-text", "hashed", "locked", "$6$x$y", "enforcing", "always", "largest", "dhcp",
     "static", "root", "a,b", "../../etc/passwd", "bad\nline", "644"]))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.sampled_from(KEYS), inner, max_size=5), max_leaves=40)
CONFIGS = st.dictionaries(st.sampled_from(["storage", "os", "scripts", "x-azl-install"]), VALUES, min_size=1)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CONFIGS)
def test_random_configurations_never_crash(tmp_path_factory, config):
    text = yaml.safe_dump(config, sort_keys=False)
    result = parse_kickstart(text, str(tmp_path_factory.getbasetemp() / "fuzz.yaml"))
    assert not [d for d in result.diagnostics if "internal error" in d.message], text
    for d in result.diagnostics:
        assert d.origin is not None and d.origin.line is not None, (str(d), text)


def test_the_fuzzer_reaches_the_mapper(monkeypatch):
    calls = []
    monkeypatch.setattr(mapper.Mapper, "storage", lambda self, *a: calls.append(a))
    parse_kickstart("storage: {}\n", "f.yaml")
    assert calls


SAMPLE = yaml.safe_load((__import__("pathlib").Path(__file__).resolve().parents[2]
                         / "kickstarts" / "imageconfig" / "efi-server.yaml").read_text())


def _places(value, path=()):
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _places(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _places(v, (*path, i))


PLACES = [p for p in _places(SAMPLE) if p]


@st.composite
def mutated(draw):
    import copy

    config = copy.deepcopy(SAMPLE)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(PLACES))
        parent = config
        try:
            for step in path[:-1]:
                parent = parent[step]
            if draw(st.booleans()):
                parent[path[-1]] = draw(VALUES)
            elif isinstance(parent, dict):
                del parent[path[-1]]
            else:
                parent.pop(path[-1])
        except (KeyError, IndexError, TypeError, AttributeError):  # an earlier step replaced the parent
            continue
    return config


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_samples_never_crash(tmp_path_factory, config):
    import shutil

    base = tmp_path_factory.getbasetemp() / "mut"
    if not base.exists():
        shutil.copytree(__import__("pathlib").Path(__file__).resolve().parents[2] / "kickstarts" / "imageconfig", base)
    text = yaml.safe_dump(config, sort_keys=False)
    result = parse_kickstart(text, str(base / "mutated.yaml"))
    assert not [d for d in result.diagnostics if "internal error" in d.message], text
    if result.plan is not None:  # what was understood goes through validation, as `validate` does
        from installer.model.product import load_product
        from installer.validate.validator import validate

        validate(result.plan, None, load_product(), result.partial)
