PY := .venv/bin/python

.PHONY: setup test test-unit demo iso netboot rpm try bench clean

setup:
	@bash tools/setup.sh

# Every tier this machine supports: unit always; root/host/vm tiers when root and their tools exist.
# Two lanes, a test file per lane at a time: most of a QEMU guest's work (mkinitramfs, blivet)
# keeps one core busy, so two guests side by side nearly halve the VM tier.
test: setup
	$(PY) -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder --durations=30

test-unit: setup
	$(PY) -m pytest -q -m "not root and not host and not vm"

demo: setup
	$(PY) -m installer tui --dry-run --machine tests/profiles/vm-virtio-usb-live.json

# The installation medium, build/azl-install.iso (cached by input hash under build/iso*).
iso: setup
	cd tests/vm && /usr/bin/python3 -m harness.iso build

NETBOOT_URL ?= http://10.0.2.2:8080
netboot: iso
	/usr/bin/python3 tools/netboot.py build/netboot --from build/iso-root --repo build/iso/tree --base-url $(NETBOOT_URL)

rpm: setup
	$(PY) tools/rpm.py build

try: setup
	bash tests/vm/try.sh

bench: setup
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf build .pytest_cache
