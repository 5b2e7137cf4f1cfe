"""A signed local RPM repository built from the test payload.

azl-test-os holds the whole test OS root filesystem (from the liveimg
tarball); azl-test-extra, -weak, -excluded and -group-member are tiny
packages for package-set, weak-dependency, exclusion and group checks.
Everything is signed with a throwaway key the harness makes; its public
key is exported next to the repository as RPM-GPG-KEY-azl-test."""
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .cache import cached, input_hash
from .payload import Payload, build_payload

KEY_UID = "azl-install test repository <azl-test@example.invalid>"
VERSION = "1.0"
EMPTY_DIRS = ["dev", "proc", "sys", "run", "tmp", "mnt", "media"]

OS_SPEC = """\
Name: azl-test-os
Version: {version}
Release: 1
Summary: azl-install test OS root filesystem
License: Various
BuildArch: noarch
AutoReqProv: no
Source0: {tarball}
%description
The Debian-based test OS of the azl-install VM harness, as one package.
%prep
%build
%install
mkdir -p %{{buildroot}}
zstd -dcq %{{SOURCE0}} | tar -C %{{buildroot}} --numeric-owner -xf -
cd %{{buildroot}}
for d in {empty}; do [ -d "$d" ] && find "$d" -mindepth 1 -delete; done
for d in *; do
    case " {empty} " in *" $d "*) echo "%dir /$d" ;; *) echo "/$d" ;; esac
done > %{{_builddir}}/azl-test-os.files
%files -f %{{_builddir}}/azl-test-os.files
%defattr(-,-,-,-)
"""

TINY_SPEC = """\
Name: {name}
Version: {version}
Release: 1
Summary: azl-install test package {name}
License: MIT
BuildArch: noarch
AutoReqProv: no
{deps}
%description
{desc}
%install
mkdir -p %{{buildroot}}/usr/share/azl-test
echo {name} > %{{buildroot}}/usr/share/azl-test/{name}.txt
%files
/usr/share/azl-test/{name}.txt
"""

TINY = {
    "azl-test-extra": ("Recommends: azl-test-weak", "Installed by package-set checks; recommends azl-test-weak."),
    "azl-test-weak": ("", "Only a weak dependency of azl-test-extra."),
    "azl-test-excluded": ("", "Listed by scenarios and then excluded (-azl-test-excluded)."),
    "azl-test-group-member": ("", "Member of the azl-test group in comps.xml."),
}

COMPS = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE comps PUBLIC "-//Red Hat, Inc.//DTD Comps info//EN" "comps.dtd">
<comps>
  <group>
    <id>azl-test</id>
    <name>azl test group</name>
    <description>Group for the installer's group checks.</description>
    <default>false</default>
    <uservisible>true</uservisible>
    <packagelist>
      <packagereq type="mandatory">azl-test-group-member</packagereq>
      <packagereq type="optional">azl-test-excluded</packagereq>
    </packagelist>
  </group>
</comps>
"""


@dataclass
class RpmRepo:
    dir: Path

    @property
    def repo(self) -> Path:
        return self.dir / "repo"

    @property
    def public_key(self) -> Path:
        return self.dir / "repo" / "RPM-GPG-KEY-azl-test"


def _rpmbuild(top: Path, spec: Path, sources: Path, gnupg: Path) -> None:
    subprocess.run(["rpmbuild", "-bb", "--quiet", f"--define=_topdir {top}",
                    f"--define=_sourcedir {sources}", "--define=_binary_payload w3T0.zstdio",
                    "--define=_build_id_links none", "--define=__os_install_post %{nil}",
                    "--define=_unpackaged_files_terminate_build 1",
                    "--define=_binaries_in_noarch_packages_terminate_build 0", str(spec)],
                   check=True, stdout=subprocess.DEVNULL, env={**os.environ, "GNUPGHOME": str(gnupg)})


def build_repo(payload: Payload | None = None) -> RpmRepo:
    payload = payload or build_payload()
    key = input_hash("rpmrepo-v1", OS_SPEC, TINY_SPEC, TINY, COMPS, EMPTY_DIRS,
                     (payload.dir / ".azl-inputs").read_text(), files=[Path(__file__)])

    def build(out: Path):
        gnupg = out / "gnupg"
        gnupg.mkdir(mode=0o700)
        env = {**os.environ, "GNUPGHOME": str(gnupg)}
        subprocess.run(["gpg", "--batch", "--quiet", "--passphrase", "", "--quick-gen-key", KEY_UID,
                        "rsa3072", "sign", "never"], check=True, env=env)
        top = out / "rpmbuild"
        specs = top / "SPECS"
        specs.mkdir(parents=True)
        os_spec = specs / "azl-test-os.spec"
        os_spec.write_text(OS_SPEC.format(version=VERSION, tarball=payload.tarball.name,
                                          empty=" ".join(EMPTY_DIRS)))
        _rpmbuild(top, os_spec, payload.dir, gnupg)
        for name, (deps, desc) in TINY.items():
            spec = specs / f"{name}.spec"
            spec.write_text(TINY_SPEC.format(name=name, version=VERSION, deps=deps, desc=desc))
            _rpmbuild(top, spec, payload.dir, gnupg)
        repo = out / "repo"
        repo.mkdir()
        rpms = sorted((top / "RPMS").rglob("*.rpm"))
        for r in rpms:
            r.rename(repo / r.name)
        subprocess.run(["rpmsign", "--addsign", f"--define=_gpg_name {KEY_UID}",
                        f"--define=__gpg {shutil.which('gpg')}",
                        f"--define=_gpg_path {gnupg}", *map(str, sorted(repo.glob("*.rpm")))],
                       check=True, env=env, stdout=subprocess.DEVNULL)
        (out / "comps.xml").write_text(COMPS)
        subprocess.run(["createrepo_c", "--quiet", "-g", str(out / "comps.xml"), str(repo)], check=True)
        subprocess.run(["gpg", "--batch", "--yes", "--armor", "--detach-sign", "--local-user", KEY_UID,
                        str(repo / "repodata" / "repomd.xml")], check=True, env=env)
        with open(repo / "RPM-GPG-KEY-azl-test", "wb") as f:
            subprocess.run(["gpg", "--armor", "--export", KEY_UID], check=True, env=env, stdout=f)
        (repo / "azl-test.repo").write_text(
            "[azl-test]\nname=azl-install test repository\nbaseurl=file:///run/azl/repo/repo\n"
            "enabled=1\ngpgcheck=1\nrepo_gpgcheck=1\n"
            "gpgkey=file:///run/azl/repo/repo/RPM-GPG-KEY-azl-test\n")
        subprocess.run(["rm", "-rf", str(top / "BUILD"), str(top / "BUILDROOT")], check=True)
    return RpmRepo(cached("rpmrepo", key, build))
