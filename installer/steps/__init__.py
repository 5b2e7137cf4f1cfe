"""Install steps: one module per step, each with `apply(ctx)`; the order lives in installer/engine.py."""
