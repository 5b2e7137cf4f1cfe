"""Subcommands of azl-install, one module each (add_arguments, run), dispatched by installer/cli.py.
The outermost layer: may import any installer package, never screens (the tui command lives there)."""
