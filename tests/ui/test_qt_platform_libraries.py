"""The desktop trainer's Qt platform plugin for X11 (xcb) finds every library it links against.

``tools/launch.sh`` runs ``tools/setup.sh --gui``, which installs them; ``--test`` installs the same set,
so on CI's fresh machine this test checks the set is complete.  Round 10: on a fresh Debian machine
``bash tools/launch.sh`` aborted with 'Could not load the Qt platform plugin "xcb"' (libxcb-icccm4 and
libxcb-keysyms1 were missing) while every test passed offscreen.  Oracle: the system's dynamic
linker (``ldd`` resolves the plugin's whole dependency tree).
"""

import subprocess
from pathlib import Path

import PySide6


def test_the_xcb_platform_plugin_finds_every_library_it_needs():
    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    assert plugin.is_file(), plugin
    out = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, check=True).stdout
    assert "libxcb.so" in out                           # it is the X11 plugin, resolved through the linker
    missing = sorted({ln.split("=>")[0].strip() for ln in out.splitlines() if "not found" in ln})
    assert missing == [], f"{missing}: tools/setup.sh --gui must install the packages that hold them"
