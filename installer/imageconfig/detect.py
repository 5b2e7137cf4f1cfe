"""Telling an image configuration from a kickstart by content, without loading a YAML parser
(every kickstart passes here; the live system may lack PyYAML and must still read kickstarts)."""

from __future__ import annotations


def looks_like_image_config(text: str) -> bool:
    """Whether text is an Image Customizer configuration rather than a kickstart.

    A kickstart's first meaningful line is a command, a %section or a comment; a configuration is a
    JSON object or a YAML mapping whose top-level keys are the schema's (storage:, os:, ...)."""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or line == "---":
            continue
        if line.startswith("{"):
            return True
        head = line.split(":", 1)[0].strip().strip("\"'")
        return line.count(":") >= 1 and head in TOP_LEVEL_KEYS and (line.endswith((":", "{}")) or ": " in line)
    return False


TOP_LEVEL_KEYS = ("storage", "os", "scripts", "iso", "pxe", "input", "output", "previewFeatures",
                  "x-azl-install")
