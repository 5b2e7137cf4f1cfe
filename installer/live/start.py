"""What the live medium starts on its console: the azl-install command line for the boot options.

The safety rule: an installation erases disks only after a person confirmed it (the TUI's typed
`erase`, the countdown that names every disk it erases, `install`'s prompt), except on one path:
`inst.cmdline` together with a kickstart. That boot option is the admin's statement that nobody
is at the console (as Subiquity's `autoinstall` keyword is), so only it passes `--yes`."""

from __future__ import annotations


def confirms_without_a_person(opts, ks_path: str | None) -> bool:
    """True only for inst.cmdline with a fetched kickstart: the one unattended path."""
    return ks_path is not None and bool(opts.cmdline)


def decide(opts, ks_path: str | None) -> list[str]:
    """The azl-install command line for these boot options (ks_path: the fetched kickstart)."""
    argv = ["azl-install"]
    if getattr(opts, "reinstall", False) and ks_path is None:
        # inst.reinstall: the saved kickstart of the system on the disks. With inst.cmdline nobody is at
        # the console (the same statement as a kickstart with inst.cmdline); otherwise the TUI offers it.
        if opts.cmdline:
            argv += ["reinstall", "--yes"]
            if opts.dry_run:
                argv.append("--dry-run")
            return argv
    if confirms_without_a_person(opts, ks_path):
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
