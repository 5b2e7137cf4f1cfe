"""End-to-end VM harness for azl-install (issue 3).

Modules: cache (input-hashed build steps), debian (debootstrap helpers),
live (the live test environment), payload (test OS tarball/squashfs),
rpmrepo (signed local RPM repository), qemu (the runner), ssh and checks
(post-install checks), scenario (kickstart + expected facts driver),
timings (per-phase timings to build/vm-timings.json).
"""
