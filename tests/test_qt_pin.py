"""The Qt binding stays below 6.12: PySide6 6.12.0 crashes on Python 3.11 after about 2,000 signal
emissions (pyqtgraph emits on every ``setImage``).  Oracle: ``packaging``'s reading (PEP 440) of the
requirements pip installed vptrainer with (its metadata, made from pyproject.toml), and the version pip
actually installed."""

from __future__ import annotations

from importlib.metadata import requires, version

from packaging.requirements import Requirement
from packaging.version import Version


def test_every_pyside6_requirement_excludes_6_12_and_admits_6_11():
    reqs = [r for r in map(Requirement, requires("vptrainer") or []) if r.name.lower().startswith("pyside6")]
    assert [r.name for r in reqs] == ["PySide6-Essentials"], reqs      # one place names the binding
    for r in reqs:
        assert "6.12.0" not in r.specifier and "6.12.1" not in r.specifier and "7.0" not in r.specifier, r
        assert "6.11.3" in r.specifier and "6.8.0" in r.specifier, r


def test_the_installed_binding_is_below_6_12():
    assert Version("6.8") <= Version(version("PySide6-Essentials")) < Version("6.12")
