"""The software: repositories, package sets, dnf into the target, liveimg extraction, and the dry-run
description. Imports model and installer.fetch."""
