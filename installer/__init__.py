"""azl-install: the installer engine for Azure Linux (no UI code lives here)."""

__version__ = "0.1.0"
