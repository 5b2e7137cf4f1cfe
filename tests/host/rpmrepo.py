"""Builders for test RPM repositories: tiny noarch RPMs from generated specs (rpmbuild),
a throwaway GPG key (gpg), signatures (rpmsign), repositories with or without comps
(createrepo_c). Used by the host tests and the benchmarks."""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Pkg:
    name: str
    version: str = "1.0"
    release: str = "1"
    requires: list[str] = field(default_factory=list)
    recommends: list[str] = field(default_factory=list)
    provides: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # absolute path -> content
    docs: dict[str, str] = field(default_factory=dict)  # file name under /usr/share/doc/NAME
    lang_files: dict[str, str] = field(default_factory=dict)  # lang -> .mo content
    random_bytes: int = 0  # an incompressible file of this size (disk-full tests)

    @property
    def nevra_file(self) -> str:
        return f"{self.name}-{self.version}-{self.release}.noarch.rpm"


def _spec(p: Pkg) -> str:
    deps = "".join(f"Requires: {r}\n" for r in p.requires)
    deps += "".join(f"Recommends: {r}\n" for r in p.recommends)
    deps += "".join(f"Provides: {r}\n" for r in p.provides)
    install, files = [], []
    files_dict = dict(p.files) or {f"/usr/share/{p.name}/data": f"{p.name} {p.version}\n"}
    for i, (path, content) in enumerate(sorted(files_dict.items())):
        content = content if content.endswith("\n") else content + "\n"  # heredoc needs it
        install.append(f"mkdir -p %{{buildroot}}{os.path.dirname(path)}")
        install.append(f"cat > %{{buildroot}}{path} <<'AZL_EOF_{i}'\n{content}AZL_EOF_{i}")
        files.append(path)
    for name, content in sorted(p.docs.items()):
        path = f"/usr/share/doc/{p.name}/{name}"
        install.append(f"mkdir -p %{{buildroot}}/usr/share/doc/{p.name}")
        install.append(f"cat > %{{buildroot}}{path} <<'AZL_EOF_DOC'\n{content}AZL_EOF_DOC")
        files.append(f"%doc {path}")
    for lang, content in sorted(p.lang_files.items()):
        path = f"/usr/share/locale/{lang}/LC_MESSAGES/{p.name}.mo"
        install.append(f"mkdir -p %{{buildroot}}/usr/share/locale/{lang}/LC_MESSAGES")
        install.append(f"printf '%s' '{content}' > %{{buildroot}}{path}")
        files.append(f"%lang({lang}) {path}")
    if p.random_bytes:
        path = f"/usr/share/{p.name}/blob"
        install.append(f"mkdir -p %{{buildroot}}/usr/share/{p.name}")
        install.append(f"head -c {p.random_bytes} /dev/urandom > %{{buildroot}}{path}")
        files.append(path)
    return textwrap.dedent("""\
        Name: {name}
        Version: {version}
        Release: {release}
        Summary: azl-install test package {name}
        License: MIT
        BuildArch: noarch
        {deps}
        %description
        Test package {name} for the azl-install payload tests.

        %prep
        %build
        %install
        {install}

        %files
        {files}
        """).format(name=p.name, version=p.version, release=p.release, deps=deps.rstrip("\n"),
                    install="\n".join(install), files="\n".join(files))


def build_rpms(pkgs: list[Pkg], out: Path, work: Path) -> list[Path]:
    """rpmbuild -bb each package into `out`; returns the RPM paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(0, len(pkgs), 4):  # a few at a time: the machine is shared
        paths += _build_batch(pkgs[i:i + 4], out, work)
    return paths


def _build_batch(pkgs: list[Pkg], out: Path, work: Path) -> list[Path]:
    procs = []
    for p in pkgs:
        top = work / "rpmbuild" / p.name  # one tree each: parallel rpmbuilds share nothing
        (top / "SPECS").mkdir(parents=True, exist_ok=True)
        spec = top / "SPECS" / f"{p.name}.spec"
        spec.write_text(_spec(p))
        procs.append((p, top, subprocess.Popen(
            ["rpmbuild", "--quiet", "--define", f"_topdir {top}", "--define", "_binary_payload w9.gzdio",
             "--define", "_build_id_links none", "--define", "source_date_epoch_from_changelog 0",
             "-bb", str(spec)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)))
    paths = []
    for p, top, proc in procs:
        output = proc.communicate()[0]
        if proc.returncode != 0:
            raise RuntimeError(f"rpmbuild {p.name} failed:\n{output}")
        built = top / "RPMS" / "noarch" / p.nevra_file
        dst = out / p.nevra_file
        shutil.copy2(built, dst)
        paths.append(dst)
    return paths


@dataclass
class GpgKey:
    home: Path
    uid: str
    public: Path  # armored public key file

    def env(self) -> dict[str, str]:
        return {**os.environ, "GNUPGHOME": str(self.home)}


def make_key(home: Path, uid: str, public: Path) -> GpgKey:
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    params = home / "params"
    params.write_text(f"%no-protection\nKey-Type: RSA\nKey-Length: 2048\nName-Real: {uid}\n"
                      f"Name-Email: {uid.replace(' ', '.')}@example.invalid\nExpire-Date: 0\n%commit\n")
    key = GpgKey(home, uid, public)
    subprocess.run(["gpg", "--batch", "--quiet", "--gen-key", str(params)], env=key.env(), check=True,
                   capture_output=True)
    exported = subprocess.run(["gpg", "--batch", "--armor", "--export", uid], env=key.env(), check=True,
                              capture_output=True).stdout
    public.write_bytes(exported)
    return key


def sign(rpms: list[Path], key: GpgKey) -> None:
    if not rpms:
        return
    proc = subprocess.run(
        ["rpmsign", "--define", f"_gpg_name {key.uid}", "--define", f"__gpg {shutil.which('gpg')}",
         "--addsign", *map(str, rpms)], env=key.env(), capture_output=True, text=True,
        stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise RuntimeError(f"rpmsign failed: {proc.stderr}")


def comps_xml(groups: dict[str, list[tuple[str, str]]], environments: dict[str, list[str]]) -> str:
    """groups: id -> [(package, mandatory|default|optional)]; environments: id -> [group ids]."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<!DOCTYPE comps PUBLIC "-//Red Hat, Inc.//DTD Comps info//EN" "comps.dtd">', "<comps>"]
    for gid, pkgs in groups.items():
        reqs = "".join(f'<packagereq type="{t}">{n}</packagereq>' for n, t in pkgs)
        parts.append(f"<group><id>{gid}</id><name>{gid} group</name><description>test</description>"
                     f"<default>false</default><uservisible>true</uservisible>"
                     f"<packagelist>{reqs}</packagelist></group>")
    for eid, gids in environments.items():
        gl = "".join(f"<groupid>{g}</groupid>" for g in gids)
        parts.append(f"<environment><id>{eid}</id><name>{eid} environment</name>"
                     f"<description>test</description><display_order>1</display_order>"
                     f"<grouplist>{gl}</grouplist><optionlist></optionlist></environment>")
    parts.append("</comps>")
    return "\n".join(parts) + "\n"


def createrepo(repo: Path, comps: str | None = None) -> Path:
    args = ["createrepo_c", "--quiet", "--no-database"]
    if comps is not None:
        cf = repo.parent / f"{repo.name}-comps.xml"
        cf.write_text(comps)
        args += ["--groupfile", str(cf)]
    subprocess.run(args + [str(repo)], check=True, capture_output=True)
    return repo


def repo_from(rpms: list[Path], repo: Path, comps: str | None = None) -> Path:
    """A repository directory holding hard links to `rpms`."""
    repo.mkdir(parents=True, exist_ok=True)
    for r in rpms:
        dst = repo / r.name
        if not dst.exists():
            os.link(r, dst)
    return createrepo(repo, comps)


def tamper(rpm: Path) -> None:
    """Flip a byte of the compressed payload (the signature no longer matches)."""
    data = bytearray(rpm.read_bytes())
    data[-64] ^= 0xFF
    rpm.write_bytes(bytes(data))


def metadata_repo(dest: Path, sizes: dict[str, int]) -> Path:
    """A repository of metadata only (repomd.xml and primary.xml.gz), claiming these packages and
    installed sizes: what the checks before installing read, without building large RPMs."""
    import gzip
    import hashlib

    rd = dest / "repodata"
    rd.mkdir(parents=True)
    pkgs = "".join(
        f'<package type="rpm"><name>{n}</name><arch>noarch</arch><size package="1" installed="{s}" '
        f'archive="1"/><format><rpm:provides><rpm:entry name="{n}"/></rpm:provides></format></package>'
        for n, s in sizes.items())
    primary = (f'<?xml version="1.0"?><metadata xmlns="http://linux.duke.edu/metadata/common" '
               f'xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="{len(sizes)}">{pkgs}</metadata>')
    data = gzip.compress(primary.encode())
    (rd / "primary.xml.gz").write_bytes(data)
    (rd / "repomd.xml").write_text(
        '<?xml version="1.0"?><repomd xmlns="http://linux.duke.edu/metadata/repo"><data type="primary">'
        f'<checksum type="sha256">{hashlib.sha256(data).hexdigest()}</checksum>'
        '<location href="repodata/primary.xml.gz"/></data></repomd>')
    return dest
