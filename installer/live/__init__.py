"""The live medium: boot options (inst.*), fetching the kickstart they name, and deciding what the
console starts. Imports model and installer.fetch; never screens."""
