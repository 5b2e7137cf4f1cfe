"""Semantic validation of an InstallPlan against a Machine, one module per area; pure, no disk access.
Imports model only (never storage's blivet side, probe, steps or the live medium)."""
