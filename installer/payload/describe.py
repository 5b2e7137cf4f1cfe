"""The payload step in words, for dry runs: what it would install, from where, with
which checks. Reads only the plan and the product; nothing is fetched, mounted or run.
"""

from __future__ import annotations

from installer import fetch

from installer.payload import package_sets

from installer.payload import repos
from installer.model.defaults import new_plan
from installer.model.plan import LiveImage, PayloadConfig
from installer.model.product import Product

TARGET_REPOS = "/etc/yum.repos.d"


def describe_liveimg(image: LiveImage, payload: PayloadConfig, product: Product) -> list[str]:
    url = repos.hide_password(image.url)
    local = fetch.local_path(image.url) is not None
    lines = [f"liveimg: write the image {url} onto the target (tar, plain or gzip/xz/zstd/bzip2, "
             "or squashfs, told apart by its first bytes), keeping owners, modes, hardlinks, sparse "
             "files, ACLs, xattrs and SELinux labels"]
    if image.checksum:
        lines.append(f"checksum: sha256 {_checksum(image.checksum)}, verified before anything is written"
                     + ("" if local else " (the image is downloaded to a temporary directory first)"))
    else:
        lines.append("WARNING: the live image has no --checksum; its integrity is not verified"
                     + ("" if local else " (it is extracted as it downloads; a squashfs image is "
                        "downloaded first)"))
    if image.noverifyssl:
        lines.append("WARNING: --noverifyssl: the image server's TLS certificate is not checked")
    if image.proxy:
        lines.append(f"proxy: {repos.hide_password(image.proxy)}")
    if payload.packages != new_plan(product).payload.packages:
        lines.append("%packages is not used: the image already holds the system")
    return lines


def _checksum(value: str) -> str:
    try:
        return fetch.normalize_checksum(value)
    except fetch.FetchError as e:
        return f"{value} (unusable: {e})"


def describe_dnf(payload: PayloadConfig, product: Product) -> list[str]:
    """`payload` is the effective one (inst.repo= applied). Raises repos.RepositoryError."""
    specs = repos.resolve(payload, product)
    lines = [f"dnf: install into the target with dnf --installroot (dnf5 when the live system has it, "
             f"dnf4 otherwise), releasever {product.releasever}"]
    for spec in specs:
        lines += _repository(spec)
    lines += _packages(payload.packages, product)
    kept = [s.name for s in specs if _written_to_target(s)]
    if kept:
        lines.append(f"afterwards: write {', '.join(kept)} to the target's {TARGET_REPOS} (repo --install)")
    for spec in specs:
        if spec.install and not spec.iso and spec.name not in kept:
            lines.append(f"repo --install has no effect for {spec.name}: a local path means nothing on the "
                         "installed system")
    if any(s.iso for s in specs):
        lines.append("afterwards: the install medium's repository is not left enabled on the target")
    return lines


def _repository(spec: repos.RepoSpec) -> list[str]:
    parts = [f"repository {spec.name}: {spec.where}"]
    if spec.iso:
        parts.append("the install medium")
    if spec.mirrorlist and spec.baseurl:
        parts.append(f"mirrorlist {repos.hide_password(spec.mirrorlist)}")
    if spec.cost is not None:
        parts.append(f"cost {spec.cost}")
    if spec.includepkgs:
        parts.append("only " + " ".join(spec.includepkgs))
    if spec.excludepkgs:
        parts.append("never " + " ".join(spec.excludepkgs))
    if spec.gpgcheck:
        keys = ", ".join(spec.gpgkeys) if spec.gpgkeys else "none given: the install stops"
        parts.append(f"GPG check on (keys: {keys})")
    else:
        parts.append("GPG check OFF")
    if not spec.sslverify:
        parts.append("TLS certificate not checked (--noverifyssl)")
    if spec.proxy:
        parts.append(f"proxy {repos.hide_password(spec.proxy)}")
    lines = ["; ".join(parts)]
    if not spec.gpgcheck:
        lines.append(f"WARNING: GPG signature checking is OFF for repository {spec.name}: packages from "
                     "it are installed without verification.")
    return lines


def _written_to_target(spec: repos.RepoSpec) -> bool:
    """The same rule as repos.write_installed: local paths mean nothing on the installed system."""
    if not spec.install or spec.iso:
        return False
    only_local = spec.baseurl and all(repos.url_path(u) is not None for u in spec.baseurl)
    return not only_local or bool(spec.mirrorlist or spec.metalink)


def _packages(sel, product: Product) -> list[str]:
    req = package_sets.build_request(sel, product)  # no comps: groups are looked up at install time
    lines = []
    if req.sets:
        lines.append("product package sets: " + ", ".join(req.sets))
    comps_wanted = [g for g in req.missing_groups if not g.startswith("-@")]
    comps_excluded = [g[2:] for g in req.missing_groups if g.startswith("-@")]
    if comps_wanted:
        lines.append("comps groups and environments, looked up in the repositories at install time: "
                     + " ".join(comps_wanted))
    lines.append("packages: " + (" ".join(req.packages) or "(none)"))
    if req.excludes:
        lines.append("excluded packages (excludepkgs in dnf's configuration): " + " ".join(req.excludes))
    if comps_excluded:
        lines.append("excluded comps groups (their packages are excluded at install time): "
                     + " ".join(comps_excluded))
    lines.append("options: " + ", ".join(_options(sel)))
    if sel.ignoremissing:
        lines.append("missing packages or groups: listed in a warning, the rest is installed (--ignoremissing)")
    else:
        lines.append("missing packages or groups: the install stops before any package is written")
    return lines


def _options(sel) -> list[str]:
    out = ["--nocore: the core set is left out" if sel.nocore else "core set included",
           "--excludedocs: no documentation" if sel.excludedocs else "documentation installed",
           "--exclude-weakdeps: no weak dependencies" if sel.exclude_weakdeps else "weak dependencies installed"]
    if sel.inst_langs is not None:
        try:
            out.append(f"--inst-langs: languages {package_sets.install_langs(sel.inst_langs) or 'all'}")
        except ValueError as e:
            out.append(f"unusable {e}")
    if sel.multilib:
        out.append("--multilib: all architectures of multilib packages")
    if sel.timeout is not None:
        out.append(f"--timeout: {sel.timeout} s per connection")
    if sel.retries is not None:
        out.append(f"--retries: {sel.retries}")
    return out
