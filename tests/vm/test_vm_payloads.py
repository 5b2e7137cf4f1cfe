"""The test payloads: the liveimg tarball and squashfs are small and complete; the
signed RPM repository installs into a root with dnf inside the live env, checking
signatures, weak dependencies, exclusions and the comps group."""
import subprocess

import pytest

from harness import rpmrepo
from harness.guest import run_guest
from harness.qemu import Share

pytestmark = pytest.mark.vm

MB = 1 << 20


def test_payload_tarball_and_squashfs(test_payload):
    assert test_payload.size < 300 * MB, f"test OS grew to {test_payload.size / MB:.0f} MB"
    names = subprocess.run(f"zstd -dcq {test_payload.tarball} | tar -t", shell=True, check=True,
                           capture_output=True, text=True).stdout.split("\n")
    kver = test_payload.kernel_version
    for want in (f"./boot/vmlinuz-{kver}", "./usr/sbin/sshd", "./usr/sbin/NetworkManager",
                 "./usr/lib/grub/x86_64-efi/", "./usr/lib/grub/i386-pc/", "./usr/sbin/grub-install",
                 "./usr/sbin/update-initramfs", "./usr/sbin/cryptsetup", "./usr/sbin/lvm",
                 "./usr/sbin/mdadm", "./usr/sbin/mkfs.xfs", "./usr/sbin/setfiles", "./usr/bin/sudo",
                 "./usr/sbin/chronyd"):
        assert want in names, f"{want} missing from {test_payload.tarball}"
    assert not [n for n in names if n.startswith("./usr/share/doc/") and not n.endswith("/")]
    sq = subprocess.run(["unsquashfs", "-l", str(test_payload.squashfs)], check=True,
                        capture_output=True, text=True).stdout
    assert f"squashfs-root/boot/vmlinuz-{kver}" in sq


@pytest.fixture(scope="session")
def rpm_repo(test_payload, vm_timer):
    with vm_timer.phase("build", "rpm-repo"):
        return rpmrepo.build_repo(test_payload)


DNF = ("dnf -y -q --installroot=/tmp/root --releasever=4.0 --setopt=reposdir=/run/azl/repo/repo "
       "--setopt=cachedir=/tmp/dnfcache --setopt=install_weak_deps=True")

SCRIPT = f"""
set -e
rpmkeys --root=/tmp/root --initdb 2>/dev/null || mkdir -p /tmp/root
rpmkeys --root=/tmp/root --import /run/azl/repo/repo/RPM-GPG-KEY-azl-test
{DNF} install azl-test-extra
{DNF} install -x azl-test-excluded azl-test-excluded 2>&1 && echo "EXCLUDE IGNORED" || echo "excluded refused"
rpm --root=/tmp/root -qa --qf '%{{NAME}} %{{RSAHEADER:pgpsig}}\\n' | sort
echo "== group"
{DNF} group install azl-test
rpm --root=/tmp/root -q azl-test-group-member
echo "== tampered"
mkdir -p /tmp/bad && cp -r /run/azl/repo/repo /tmp/bad/
f=/tmp/bad/repo/azl-test-weak-1.0-1.noarch.rpm
printf 'XXXX' | dd of=$f bs=1 seek=$(( $(stat -c %s $f) - 40 )) conv=notrunc 2>/dev/null
rpm -K /tmp/bad/repo/azl-test-weak-1.0-1.noarch.rpm --root=/tmp/root && echo "TAMPERED ACCEPTED" || echo "tampered rejected"
echo "== os"
rpm -qp --qf '%{{NAME}} %{{SIZE}}\\n' /run/azl/repo/repo/azl-test-os-*.rpm
rpm -qlp /run/azl/repo/repo/azl-test-os-*.rpm | grep -c . 
"""


def test_signed_rpm_repository_in_the_guest(live_env, rpm_repo, vm_timer):
    assert rpm_repo.public_key.read_text().startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    assert (rpm_repo.repo / "repodata" / "repomd.xml.asc").exists()
    r = run_guest(live_env, SCRIPT, name="rpm-repo", timeout=600,
                  shares=[Share("repo", rpm_repo.dir, readonly=True)])
    vm_timer.add("boot", "rpm-repo", r.boot_seconds or 0)
    assert r.rc == 0, r.output + "\n" + r.tail
    out = r.output
    assert "azl-test-extra RSA/SHA256" in out or "azl-test-extra RSA/SHA512" in out, out
    assert "azl-test-weak " in out, "weak dependency not installed:\n" + out
    assert "excluded refused" in out and "EXCLUDE IGNORED" not in out, out
    assert "azl-test-excluded " not in out.split("== group")[0], out
    assert "azl-test-group-member-1.0-1.noarch" in out, out
    assert "tampered rejected" in out, out
    assert "azl-test-os " in out, out
