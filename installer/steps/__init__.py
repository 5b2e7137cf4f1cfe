"""Install steps: one module per step, each with `apply(ctx)` (and `describe(ctx)` for dry runs); the order lives
in installer/engine.py. May import model, context, chroot, installlog, kickstart, payload and storage (not its backend)."""
