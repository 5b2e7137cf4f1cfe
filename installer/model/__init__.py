"""The model: the install plan, the product, the machine, events, diagnostics and secrets.
Plain data and pure functions; imports nothing else from installer/ (the bottom layer)."""
