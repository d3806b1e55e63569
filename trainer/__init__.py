"""vptrainer: a desktop fluoroscopy-guidance trainer for percutaneous vertebroplasty."""

from importlib import metadata as _metadata
from pathlib import Path as _Path

try:
    __version__ = _metadata.version("vptrainer")
except _metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.1.0"

#: Root of the checkout (the package is installed editable; see README).
REPO_ROOT = _Path(__file__).resolve().parent.parent
#: Data tables (morphometry, attenuation, cement products); data, not code.
ASSETS_DIR = REPO_ROOT / "assets"
#: Built-in scenario library.
SCENARIOS_DIR = REPO_ROOT / "scenarios"
