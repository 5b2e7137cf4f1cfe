"""The dnf payload: packages from signed repositories into the mounted target with
`dnf --installroot` (dnf5 when the live system has it, dnf4 otherwise).

dnf runs as a subprocess with a private configuration rather than through its Python
API: dnf4's `dnf` module and dnf5's libdnf5 bindings share nothing, the live system's
Python (a venv) may not see either, and the command line is the one interface both
keep stable. The same command resolves (--assumeno) and installs, so what is checked
is exactly what gets installed.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from installer import fetch

from installer.payload import dnf_output

from installer.payload import package_sets

from installer.payload import repos
from installer.payload.dnf_output import ProgressState
from installer.model.plan import PayloadConfig
from installer.model.product import Product

CACHE_IN_TARGET = "/var/cache/azl-install-dnf"
RPM_DBPATH = "/var/lib/rpm"


class DnfError(Exception):
    """A dnf payload failure; the message is one paragraph for the user."""


class _WantsKeyImport(Exception):
    pass


@dataclass(frozen=True)
class Dnf:
    binary: str
    major: int  # 4 or 5

    @classmethod
    def detect(cls) -> "Dnf":
        if shutil.which("dnf5"):
            return cls(shutil.which("dnf5"), 5)
        path = shutil.which("dnf")
        if not path:
            raise DnfError("Neither dnf5 nor dnf is installed in the live environment, so packages "
                           "cannot be installed. Use a liveimg source or add dnf to the live image.")
        if "dnf5" in os.path.realpath(path):
            return cls(path, 5)
        try:
            out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60).stdout
        except (OSError, subprocess.TimeoutExpired):
            out = ""
        return cls(path, 5 if out.lower().startswith("dnf5") or "dnf5 version" in out.lower() else 4)


def host_dbpath_is_private() -> bool:
    """Debian's rpm keeps its database under ~/.rpmdb; a Fedora-family target wants /var/lib/rpm."""
    try:
        out = subprocess.run(["rpm", "--eval", "%_dbpath"], capture_output=True, text=True,
                             env={**os.environ, "HOME": "/nonexistent-home"}).stdout.strip()
    except OSError:
        return False
    return out.startswith("/nonexistent-home") or "/.rpmdb" in out


def rpm_query_args(target: Path) -> list[str]:
    """`rpm --root TARGET [--dbpath ...] ` that reads the database the payload wrote."""
    args = ["rpm", "--root", str(target)]
    if host_dbpath_is_private():
        args += ["--dbpath", RPM_DBPATH]
    return args


@dataclass
class DnfSetup:
    """The private configuration one install uses; lives in a temporary directory."""

    dir: Path
    dnf: Dnf
    target: Path
    releasever: str
    specs: list[repos.RepoSpec]
    excludes: list[str] = field(default_factory=list)
    nodocs: bool = False
    weak_deps: bool = True
    langs: str | None = None
    dbpath: str | None = None
    timeout: int | None = None  # %packages --timeout (seconds per connection)
    retries: int | None = None  # %packages --retries
    multilib: bool = False  # %packages --multilib

    @property
    def conf(self) -> Path:
        return self.dir / "dnf.conf"

    @property
    def reposdir(self) -> Path:
        return self.dir / "repos.d"

    @property
    def home(self) -> Path:
        return self.dir / "home"

    def cachedir(self) -> str:
        # dnf4 puts cachedir under the installroot itself; dnf5 takes command-line paths as host paths.
        return CACHE_IN_TARGET if self.dnf.major == 4 else str(self.target) + CACHE_IN_TARGET

    def write(self) -> None:
        self.reposdir.mkdir(parents=True, exist_ok=True)
        self.home.mkdir(parents=True, exist_ok=True)
        main = ["[main]", "gpgcheck=1", "keepcache=0", f"install_weak_deps={int(self.weak_deps)}",
                "skip_if_unavailable=0", "clean_requirements_on_remove=0", "best=1",
                "group_package_types=mandatory,default"]
        if self.nodocs:
            main.append("tsflags=nodocs")
        if self.excludes:
            main.append("excludepkgs=" + ",".join(self.excludes))
        if self.timeout is not None:
            main.append(f"timeout={self.timeout}")
        if self.retries is not None:
            main.append(f"retries={self.retries}")
        if self.multilib:
            main.append("multilib_policy=all")
        self.conf.write_text("\n".join(main) + "\n")
        for spec in self.specs:
            keys = repos.usable_keys(spec)
            spec = repos.RepoSpec(**{**spec.__dict__, "gpgkeys": keys})
            (self.reposdir / f"{spec.id}.repo").write_text(spec.ini())
        macros = []
        if self.dbpath:
            macros.append(f"%_dbpath {self.dbpath}")
        if self.langs:
            macros.append(f"%_install_langs {self.langs}")
        (self.home / ".rpmmacros").write_text("\n".join(macros) + "\n")

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "DNF"))}
        env.update(HOME=str(self.home), LC_ALL="C.UTF-8", LANG="C.UTF-8", TERM="dumb",
                   PYTHONUNBUFFERED="1")  # dnf4 is Python: stream its lines as they happen
        return env

    def command(self, specs: list[str], *, assumeno: bool = False, skip_missing: bool = False) -> list[str]:
        cmd = [self.dnf.binary, "--assumeno" if assumeno else "-y", f"--config={self.conf}",
               f"--installroot={self.target}", f"--releasever={self.releasever}",
               f"--setopt=reposdir={self.reposdir}", f"--setopt=cachedir={self.cachedir()}"]
        if self.dnf.major == 5:
            cmd += ["--use-host-config", "--no-plugins",
                    f"--setopt=system_cachedir={self.cachedir()}"]
            if skip_missing:
                cmd.append("--skip-unavailable")
        else:
            cmd += ["--noplugins", "--setopt=strict=0" if skip_missing else "--setopt=strict=1"]
        return cmd + ["install", *specs]


Sink = Callable[[ProgressState], None]


class DnfPayload:
    def __init__(self, payload: PayloadConfig, product: Product, target: Path, *,
                 log: logging.Logger, progress: Sink | None = None, warn: Callable[[str], None] | None = None,
                 dnf: Dnf | None = None, one_run: bool | None = None):
        self.payload = payload
        self.product = product
        self.target = Path(target)
        self.log = log
        self.progress = progress or (lambda state: None)
        self.warn = warn or (lambda msg: log.warning("%s", msg))
        self.dnf = dnf
        # answer dnf's own confirmation prompt instead of resolving in a separate --assumeno run;
        # proven with dnf4, so dnf5 keeps the two-run path until it is tested on Azure Linux
        self.one_run = one_run
        self.resolution: dnf_output.Resolution | None = None
        self.request: package_sets.Request | None = None
        self.specs: list[repos.RepoSpec] = []

    # -- steps callable on their own (dry run, tests)

    def repositories(self) -> list[repos.RepoSpec]:
        try:
            self.specs = repos.resolve(self.payload, self.product)
        except repos.RepositoryError as e:
            raise DnfError(f"The package sources are not usable: {e}.") from None
        return self.specs

    def check_keys(self) -> None:
        for spec in repos.unverified(self.specs):
            self.warn(f"GPG signature checking is OFF for repository {spec.name} ({spec.where}): "
                      "packages from it are installed without verifying who built them.")
        missing = repos.missing_keys(self.specs)
        for name, paths in missing.items():
            where = ", ".join(paths) if paths else "no key is configured"
            raise DnfError(
                f"GPG checking is on for repository {name}, but its signing key is missing "
                f"({where}). Packages cannot be verified, so nothing was installed. Provide the key "
                "(the product's key on the install medium, or a gpgkey for the repository), or turn checking off "
                "explicitly with gpgcheck=0 if you really trust this source.")

    def read_comps(self) -> package_sets.Comps:
        comps = package_sets.Comps()
        for spec in self.specs:
            for url in spec.baseurl[:1]:
                try:
                    comps.merge(package_sets.read_comps(url, verify_ssl=spec.sslverify, proxy=spec.proxy))
                except fetch.FetchError as e:
                    raise DnfError(self._unreachable_text(spec, str(e))) from None
                except Exception as e:  # malformed metadata is the repository's fault, say so
                    self.log.warning("cannot read comps of %s: %s", spec.name, e)
        return comps

    def build_request(self) -> package_sets.Request:
        comps = self.read_comps() if (self.payload.packages.groups or self.payload.packages.environment
                                      or self.payload.packages.excluded_groups
                                      or any(not self.product.package_set(s)
                                             for s in self.payload.packages.sets)) else None
        self.request = package_sets.build_request(self.payload.packages, self.product, comps)
        if not self.request.specs():
            raise DnfError("Nothing to install: the package selection is empty (%packages --nocore "
                           "with no packages, groups or sets).")
        return self.request

    def setup(self, workdir: Path) -> DnfSetup:
        sel = self.payload.packages
        try:
            langs = package_sets.install_langs(sel.inst_langs)
        except ValueError as e:
            raise DnfError(f"The package selection is invalid: {e}.") from None
        s = DnfSetup(dir=workdir, dnf=self.dnf, target=self.target,
                     releasever=self.product.releasever, specs=self.specs,
                     excludes=self.request.excludes, nodocs=sel.excludedocs,
                     weak_deps=not sel.exclude_weakdeps, langs=langs, timeout=sel.timeout,
                     retries=sel.retries, multilib=sel.multilib,
                     dbpath=RPM_DBPATH if host_dbpath_is_private() else None)
        s.write()
        return s

    def resolve(self, setup: DnfSetup) -> dnf_output.Resolution:
        """`dnf install --assumeno`: what would be installed and which names match nothing."""
        cmd = setup.command(self.request.specs(), assumeno=True, skip_missing=True)
        self.log.info("resolving: %s", " ".join(cmd))
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env=setup.env())
        for line in proc.stdout.splitlines():
            self.log.info("dnf: %s", line)
        return self._check_resolution(proc.stdout)

    def _check_resolution(self, text: str) -> dnf_output.Resolution:
        res = dnf_output.parse_resolution(text)
        # a group member excluded on purpose is reported by dnf as "no match": not missing
        missing = list(self.request.missing_groups) + [
            m for m in res.missing if m not in self.request.missing_groups and m not in self.request.excludes]
        res.missing = missing
        if not res.packages and not res.count and not res.missing:
            failure = dnf_output.classify_failure(text)
            raise DnfError(self._failure_text(failure, resolving=True))
        if missing:
            names = ", ".join(missing)
            if not self.payload.packages.ignoremissing:
                raise DnfError(
                    f"{len(missing)} requested package(s) or group(s) are not in any repository: "
                    f"{names}. Nothing was installed. Fix the names in %packages, add the repository "
                    "that has them, or use %packages --ignoremissing to install without them.")
            self.warn(f"%packages --ignoremissing: installing without {len(missing)} missing "
                      f"package(s) or group(s): {names}")
        if res.broken:
            raise DnfError(
                f"{len(res.broken)} package(s) cannot be installed because their dependencies cannot "
                f"be satisfied from the repositories: {', '.join(res.broken)}. Nothing was installed. "
                "See the install log for what is missing, add the repository that provides it, or "
                "leave these packages out.")
        if not res.count:
            raise DnfError("Nothing to install: every requested package is missing or excluded.")
        self.resolution = res
        return res

    def install(self, setup: DnfSetup) -> None:
        """dnf -y after resolve(): a second dnf run."""
        # missing and broken requests were dealt with by resolve(); what remains "unmatched" is
        # only group members excluded on purpose, which must not stop the transaction
        cmd = setup.command(self.request.specs(), skip_missing=True)
        self.log.info("installing %d packages: %s", self.resolution.count, " ".join(cmd))
        self._stream(cmd, setup, confirm=False)

    def _one_run(self) -> bool:
        if self.one_run is not None:
            return self.one_run
        # dnf4 will not import keys without -y, so they are imported beforehand, which needs them local
        local = all(repos.url_path(k) is not None for s in self.specs if s.gpgcheck
                    for k in repos.usable_keys(s))
        return self.dnf.major == 4 and local

    def import_keys(self) -> None:
        """Trust this install's own (local) signing keys in the target's RPM database."""
        for path in sorted({str(repos.url_path(k)) for s in self.specs if s.gpgcheck
                            for k in repos.usable_keys(s) if repos.url_path(k) is not None}):
            cmd = rpm_query_args(self.target) + ["--import", path]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            self.log.info("%s -> %d %s", " ".join(cmd), proc.returncode, proc.stderr.strip())
            if proc.returncode != 0:
                raise DnfError(f"The GPG key {path} cannot be imported: {proc.stderr.strip() or 'rpm failed'}. "
                               "Nothing was installed. Check that the file is an armored public key.")

    def resolve_and_install(self, setup: DnfSetup) -> None:
        """One dnf run: it resolves, prints the transaction and asks "Is this ok"; the answer is
        given only after the same checks as resolve(), so nothing is written on a refusal."""
        cmd = [c for c in setup.command(self.request.specs(), skip_missing=True) if c != "-y"]
        self.log.info("resolving and installing: %s", " ".join(cmd))
        try:
            self._stream(cmd, setup, confirm=True)
        except _WantsKeyImport:
            # a package is signed by a key not yet trusted: let dnf -y try this install's own keys
            # and, when none fits, name the package in its refusal
            self.install(setup)

    def _stream(self, cmd: list[str], setup: DnfSetup, *, confirm: bool) -> None:
        res = self.resolution
        state = ProgressState(total=res.count if res else 0, bytes_total=res.download_bytes if res else None)
        if res:
            self.progress(state)
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if confirm else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=setup.env())
        lines: list[str] = []
        since_answer: list[str] = []
        refusal: DnfError | None = None
        pending = b""

        def take(line: str) -> None:
            for part in line.split("\r"):
                if not part.strip():
                    continue
                lines.append(part)
                since_answer.append(part)
                self.log.info("dnf: %s", part)
                if state.total and dnf_output.feed_progress(state, part):
                    self.progress(state)

        def answer(yes: bool) -> None:
            try:
                proc.stdin.write(b"y\n" if yes else b"n\n")
                proc.stdin.flush()
            except BrokenPipeError:
                pass
            since_answer.clear()

        while chunk := os.read(proc.stdout.fileno(), 65536):
            pending += chunk
            *complete, pending = pending.split(b"\n")
            for raw in complete:
                take(raw.decode(errors="replace"))
            if confirm and dnf_output.is_prompt(pending.decode(errors="replace")):
                take(pending.decode(errors="replace"))
                pending = b""
                if dnf_output.is_key_import(since_answer):
                    answer(True)  # a key from this install's own configuration
                elif self.resolution is None and refusal is None:
                    try:
                        res = self._check_resolution("\n".join(lines))
                    except DnfError as e:
                        refusal = e
                        answer(False)
                        continue
                    state.total, state.bytes_total = res.count, res.download_bytes
                    self.progress(state)
                    answer(True)
                else:
                    answer(False)
        if pending:
            take(pending.decode(errors="replace"))
        if proc.stdin:
            try:
                proc.stdin.close()
            except BrokenPipeError:
                pass
        rc = proc.wait()
        if refusal is not None:
            raise refusal
        text = "\n".join(lines)
        if self.resolution is None:
            self._check_resolution(text)  # dnf ended before asking: say why, as resolve() would
        if confirm and rc != 0 and "Refusing to automatically import keys" in text:
            raise _WantsKeyImport()
        if rc != 0 or "Complete!" not in text:
            raise DnfError(self._failure_text(dnf_output.classify_failure(text)))
        dnf_output.finish_progress(state)
        self.progress(state)

    def verify_installed(self) -> list[str]:
        """Names the resolution promised that the target's rpm database lacks."""
        out = subprocess.run(rpm_query_args(self.target) + ["-qa", "--qf", "%{NAME}\\n"],
                             capture_output=True, text=True)
        installed = set(out.stdout.split())
        missing = [p for p in (self.resolution.packages if self.resolution else []) if p not in installed]
        if missing or out.returncode != 0:
            raise DnfError(f"dnf reported success but the target's RPM database lacks {len(missing)} "
                           f"package(s) it was to install: {', '.join(missing) or '(unreadable)'}. "
                           "The installed system is inconsistent; see the install log.")
        return sorted(installed)

    def finish(self) -> None:
        shutil.rmtree(self.target / CACHE_IN_TARGET.lstrip("/"), ignore_errors=True)
        for path in repos.write_installed(self.specs, self.target):
            self.log.info("wrote %s", path)
        for path in repos.disable_iso_repos(self.target, self.product.iso_repo_path):
            self.log.info("disabled the install medium's repository in %s", path)

    # -- the whole job

    def run(self) -> list[str]:
        self.dnf = self.dnf or Dnf.detect()
        self.log.info("using %s (dnf%d)", self.dnf.binary, self.dnf.major)
        self.repositories()
        for spec in self.specs:
            self.log.info("repository %s: %s gpgcheck=%s", spec.name, spec.where, int(spec.gpgcheck))
        self.check_keys()
        self.build_request()
        self.log.info("package request: %s; excluded: %s; product sets: %s",
                      " ".join(self.request.specs()), " ".join(self.request.excludes) or "-",
                      " ".join(self.request.sets) or "-")
        try:
            with tempfile.TemporaryDirectory(prefix="azl-dnf-") as tmp:
                setup = self.setup(Path(tmp))
                if self._one_run():
                    self.import_keys()
                    self.resolve_and_install(setup)
                else:
                    self.resolve(setup)
                    self.install(setup)
        finally:
            shutil.rmtree(self.target / CACHE_IN_TARGET.lstrip("/"), ignore_errors=True)
        installed = self.verify_installed()
        self.finish()
        return installed

    # -- messages

    def _spec_named(self, name: str) -> repos.RepoSpec | None:
        return next((s for s in self.specs if name in (s.id, s.name)), None)

    def _unreachable_text(self, spec: repos.RepoSpec | None, detail: str, name: str = "") -> str:
        label = f"{spec.name} ({spec.where})" if spec else (name or "a repository")
        return (f"Repository {label} cannot be reached: {detail}. Nothing was installed. Check the "
                "URL and the network (or the install medium), then retry.")

    def _failure_text(self, f: dnf_output.DnfFailure, resolving: bool = False) -> str:
        nothing = "Nothing was installed." if resolving else "The installation was stopped."
        if f.kind == "unreachable":
            return self._unreachable_text(self._spec_named(f.subject), f.detail, f.subject)
        if f.kind == "broken":
            return (f"Package {f.detail.split('needed by ')[-1]} cannot be installed: {f.detail}. "
                    f"{nothing} Add the repository that provides it, or leave the package out.")
        if f.kind == "unsigned":
            return (f"Package {f.subject} is not signed, and GPG signature checking is on. "
                    f"{nothing} Use packages signed with the product's key, or turn checking off "
                    "explicitly for that repository if you really trust it.")
        if f.kind == "untrusted-key":
            return (f"Package {f.subject} has a signature that none of the trusted keys verify "
                    f"(bad signature or unknown signing key). {nothing} Check that the repository "
                    "is the one you meant and that its --gpgkey is right.")
        if f.kind == "tampered":
            return (f"Package {f.subject} failed its integrity check: its contents do not match its "
                    f"signature or the repository metadata (damaged or tampered with). {nothing} "
                    "Rebuild or re-download the repository.")
        if f.kind == "no-space":
            where = f"on {f.subject} " if f.subject and f.subject.startswith("/") else ""
            need = f" (needs {f.subject} more)" if f.subject and not f.subject.startswith("/") else ""
            m = re.search(r"needs ([\d.]+\s*\w+) more space on the (\S+) filesystem", f.detail)
            if m:
                need, where = f" (needs {m.group(1)} more)", f"on {m.group(2)} "
            return (f"The target filesystem {where}is too small for the selected packages{need}. "
                    f"{nothing} Make the root filesystem larger or select fewer packages.")
        if f.kind == "key-file":
            return (f"A GPG key file cannot be read: {f.subject}. {nothing} Check the repository's "
                    "--gpgkey (or the product key on the install medium).")
        return f"dnf failed: {f.detail or 'no error message'}. {nothing} See the install log for dnf's output."
