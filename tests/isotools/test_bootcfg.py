"""Boot menu edits for a remastered ISO: the kickstart entry copies the first live entry, extra
arguments reach every live kernel line and nothing else."""

import pytest

from isotools import bootcfg

GRUB = """set default="1"
set timeout=60
function load_video {
  insmod all_video
}
menuentry 'Start Fedora-Live' --class fedora --id=live {
\tlinux /images/pxeboot/vmlinuz root=live:CDLABEL=Fedora-WS-41 rd.live.image quiet rhgb
\tinitrd /images/pxeboot/initrd.img
}
menuentry 'Test this media & start Fedora-Live' --class fedora {
\tlinux /images/pxeboot/vmlinuz root=live:CDLABEL=Fedora-WS-41 rd.live.image rd.live.check quiet
\tinitrd /images/pxeboot/initrd.img
}
submenu 'Troubleshooting -->' {
\tmenuentry 'Start in basic graphics mode' {
\t\tlinux /images/pxeboot/vmlinuz root=live:CDLABEL=Fedora-WS-41 rd.live.image nomodeset
\t\tinitrd /images/pxeboot/initrd.img
\t}
\tmenuentry 'Boot first drive' {
\t\tchainloader (hd0)+1
\t}
}
menuentry 'Memory test' {
\tlinux16 /memtest
}
"""

ISOLINUX = """default vesamenu.c32
timeout 600
label linux
  menu label ^Start Fedora-Live
  kernel vmlinuz
  append initrd=initrd.img root=live:CDLABEL=Fedora-WS-41 rd.live.image quiet
  menu default
label check
  menu label Test this ^media & start Fedora-Live
  kernel vmlinuz
  append initrd=initrd.img root=live:CDLABEL=Fedora-WS-41 rd.live.image rd.live.check quiet
label memtest
  menu label Run a ^memory test.
  kernel memtest
"""

KS = "inst.ks=hd:LABEL=Fedora-WS-41:/ks.cfg"


def test_grub_entries_found_at_every_depth():
    lines = GRUB.split("\n")
    titles = [lines[a].strip().split("'")[1] for a, _ in bootcfg.grub_entries(lines)]
    assert titles == ["Start Fedora-Live", "Test this media & start Fedora-Live", "Start in basic graphics mode",
                      "Boot first drive", "Memory test"]


def test_grub_ks_entry_goes_after_the_last_top_level_entry():
    cfg = GRUB.replace("menuentry 'Memory test' {\n\tlinux16 /memtest\n}\n", "")
    out = bootcfg.grub_add_entry(cfg, KS)
    assert out.startswith(cfg.rstrip("\n"))  # not inside the submenu
    assert out.rstrip("\n").endswith("\tinitrd /images/pxeboot/initrd.img\n}")


def test_grub_ks_entry_copies_the_first_live_entry():
    out = bootcfg.grub_add_entry(GRUB, KS, ["console=ttyS0"])
    assert out.startswith(GRUB.rstrip("\n").rsplit("menuentry 'Memory test'", 1)[0])
    new = out.split("menuentry 'Memory test' {\n\tlinux16 /memtest\n}\n", 1)[1]
    assert new.startswith(f"menuentry '{bootcfg.KS_TITLE}' --class fedora --id={bootcfg.KS_ID} {{\n")
    assert ("\tlinux /images/pxeboot/vmlinuz root=live:CDLABEL=Fedora-WS-41 rd.live.image quiet rhgb "
            f"{KS} console=ttyS0\n") in new
    assert "\tinitrd /images/pxeboot/initrd.img\n}" in new
    assert out.count("menuentry") == GRUB.count("menuentry") + 1
    assert 'set default="1"' in out  # the default is the user's, not the unattended entry


def test_grub_ks_entry_without_an_id_gets_one():
    out = bootcfg.grub_add_entry(GRUB.replace(" --id=live", ""), KS, default=True)
    assert f"menuentry '{bootcfg.KS_TITLE}' --class fedora --id {bootcfg.KS_ID} {{\n" in out


def test_grub_ks_entry_drops_media_check_and_other_ks():
    cfg = GRUB.replace("rd.live.image quiet rhgb", "rd.live.check inst.ks=http://x/ks.cfg rd.live.image")
    out = bootcfg.grub_add_entry(cfg, KS)
    new = out.rsplit("menuentry", 1)[1]
    assert "rd.live.check" not in new and "http://x" not in new and KS in new


def test_grub_append_touches_live_kernel_lines_only():
    out, n = bootcfg.grub_append(GRUB, ["inst.sshd", "console=ttyS0,115200"])
    assert n == 3
    for line in out.split("\n"):
        if "root=live:" in line:
            assert line.endswith(" inst.sshd console=ttyS0,115200")
        else:
            assert "inst.sshd" not in line
    assert "\tlinux16 /memtest\n" in out


def test_grub_without_live_entry_is_refused():
    with pytest.raises(bootcfg.BootCfgError, match="root=live:"):
        bootcfg.grub_add_entry("menuentry 'x' {\n linux /vmlinuz root=/dev/sda1\n}\n", KS)


def test_grub_unclosed_entry_is_refused():
    with pytest.raises(bootcfg.BootCfgError, match="line 1"):
        bootcfg.grub_add_entry("menuentry 'x' {\n linux /vmlinuz root=live:CDLABEL=A\n", KS)


def test_syslinux_ks_label():
    out = bootcfg.syslinux_add_entry(ISOLINUX, KS, ["inst.sshd"])
    assert out.startswith(ISOLINUX)
    new = out[len(ISOLINUX):]
    assert f"label {bootcfg.KS_ID}\n" in new
    assert f"  menu label {bootcfg.KS_TITLE}\n" in new
    assert f"  append initrd=initrd.img root=live:CDLABEL=Fedora-WS-41 rd.live.image quiet {KS} inst.sshd\n" in new
    assert "menu default" not in new


def test_syslinux_append():
    out, n = bootcfg.syslinux_append(ISOLINUX, ["inst.text"])
    assert n == 2 and out.count("inst.text") == 2 and "kernel memtest\n" in out


def test_ks_argument_escapes_the_label():
    assert bootcfg.ks_argument("AZL-LIVE") == "inst.ks=hd:LABEL=AZL-LIVE:/ks.cfg"
    assert bootcfg.ks_argument("My Live") == "inst.ks=hd:LABEL=My\\x20Live:/ks.cfg"


def test_grub_ks_entry_as_the_default():
    out = bootcfg.grub_add_entry(GRUB, KS, ["inst.cmdline"], default=True)
    assert f'set default="{bootcfg.KS_ID}"' in out and 'set default="1"' not in out
    new = out.rsplit("menuentry", 1)[1]
    assert f"{KS} inst.cmdline\n" in new
    bare = bootcfg.grub_add_entry(GRUB.replace('set default="1"\n', ""), KS, default=True)
    assert bare.startswith(f'set default="{bootcfg.KS_ID}"\n')


def test_syslinux_ks_label_as_the_default():
    out = bootcfg.syslinux_add_entry(ISOLINUX, KS, default=True)
    assert out.count("menu default") == 1
    assert out.split(f"label {bootcfg.KS_ID}\n", 1)[1].rstrip().endswith("menu default")
    assert out.startswith("default vesamenu.c32\n")
