"""What the live medium starts on its console: the azl-install command line for the boot options."""

from __future__ import annotations


def decide(opts, ks_path: str | None) -> list[str]:
    """The azl-install command line for these boot options (ks_path: the fetched kickstart)."""
    argv = ["azl-install"]
    if ks_path is not None and opts.cmdline:
        argv += ["install", "--kickstart", ks_path, "--yes"]
        if getattr(opts, "report", None):
            argv += ["--report", opts.report]
            if getattr(opts, "ks_cacert", None):
                argv += ["--cacert", opts.ks_cacert]
        if opts.dry_run:
            argv.append("--dry-run")
        return argv
    argv.append("tui")
    if ks_path is not None:
        argv += ["--ks", ks_path]
    if opts.dry_run:
        argv.append("--dry-run")
    return argv
