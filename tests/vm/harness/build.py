"""Build (or reuse) everything the VM tier needs: python3 -m harness.build [live|payload|all]."""
import concurrent.futures
import sys

from . import live, timings


def main(argv=None) -> int:
    what = (argv or sys.argv[1:] or ["all"])[0]
    t = timings.Timer()
    from . import payload
    if what == "all":
        with t.phase("build", "live-env+payload"):
            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                env = pool.submit(live.build_live)
                p = pool.submit(payload.build_payload)
                print(f"live env: {env.result().dir}\npayload: {p.result().dir}")
    if what == "live":
        with t.phase("build", "live-env"):
            env = live.build_live()
        print(f"live env: {env.dir}")
    if what == "payload":
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
