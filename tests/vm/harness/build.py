"""Build (or reuse) everything the VM tier needs: python3 -m harness.build [live|payload|all]."""
import sys
import time

from . import live, timings


def main(argv=None) -> int:
    what = (argv or sys.argv[1:] or ["all"])[0]
    t = timings.Timer()
    if what in ("live", "all"):
        with t.phase("build", "live"):
            env = live.build_live()
        print(f"live env: {env.dir}")
    if what in ("payload", "all"):
        from . import payload
        with t.phase("build", "payload"):
            p = payload.build_payload()
        print(f"payload: {p.dir}")
    if what in ("repo", "all"):
        from . import rpmrepo
        with t.phase("build", "rpm-repo"):
            r = rpmrepo.build_repo()
        print(f"rpm repo: {r.dir}")
    t.save()
    for name, secs in t.summary().items():
        print(f"  {name}: {secs:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
