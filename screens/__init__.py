"""The Textual TUI of azl-install: a hub and spokes editing one InstallPlan."""
