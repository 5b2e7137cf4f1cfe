"""Storage: the automatic layout and boot-loader placement as data (layout, boot), fstab text, mounts,
and the blivet phases (plan, preview, apply, teardown); backend is the one module that imports blivet.
Imports model; nothing outside storage imports backend."""
