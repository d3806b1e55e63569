"""In-app help: the user guide rendered from ``docs/user-guide.md``, and a hint for each stage.

The guide is the same Markdown file the repository shows (Qt renders it with its own
Markdown reader, images from ``docs/``), so help and documentation never disagree.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QDialog, QTextBrowser, QVBoxLayout, QWidget

from trainer import REPO_ROOT
from trainer.core.scoring.metrics.trajectory import MEDIAL_WALL_LINE
from trainer.core.scoring.tip_zone import TARGET_DEPTH

__all__ = ["USER_GUIDE", "UserGuideDialog", "stage_hint", "STAGE_HINTS", "CEMENT_PHASE_HINTS", "IN_BODY_HINTS"]

USER_GUIDE = REPO_ROOT / "docs" / "user-guide.md"

#: what to do next, per procedure stage (the status bar's stage names)
STAGE_HINTS = {
    None: "Session > New session… (or Open scenario file…) to choose a case.",
    "checklist": "Read the chart, answer every item, then decide: proceed, defer or decline.",
    # two lines in the Procedure tab's 440 px column, all the line above the tabs holds: until round 35 it went on
    # "... lies midway between the pedicles. Then click the AP image over the pedicle.", cut after "midway" (the
    # click is the next hint's, once both views are taken)
    "alignment": ("Square the C-arm: AP (1), shot (S), lateral (2), shot; turn it (Ctrl+Left/Right) until the spinous "
                  "process is centred."),
    "access": f"Advance (A) with AP and lateral shots: the tip lateral to the {MEDIAL_WALL_LINE} until past the "
              "posterior wall.",
    "cement": "Wait (W) for the working phase on the bar (a paste), then inject (I) in small steps.",
    # both views, as the score asks (assets/scoring_targets.toml ap_checks and lateral_checks: about every 1 mL):
    # until round 36 this said "with lateral checks" and the mix message "with AP checks", each one view only, and
    # no AP shot at all once cement is in is a critical error
    "injection": "Inject in small steps, an AP and a lateral shot every 1 mL or so; stop at the posterior quarter or a leak.",
    "finished": "Finished: the debrief has the score; Monitors and final images shows the last shots.",
}


#: the "cement" stage's hint once the cement is past runny (the phase bar's phases), and "set" while injecting too
CEMENT_PHASE_HINTS = {
    "working": "The cement is a paste (working phase): inject (I) in small steps, an AP and a lateral shot every "
               "1 mL or so.",
    "setting": "The cement is setting: inject (I) now in small steps, an AP and a lateral shot every 1 mL or so.",
    "set": "The cement has set and cannot be pushed: finish the procedure (Ctrl+Enter) for the debrief.",
}

#: the "access" stage's hint once the tip is in the vertebral body (the tip zone's depth; TARGET_DEPTH, FACTS.md 2)
IN_BODY_HINTS = {
    "body": (f"The tip is in the body: on lateral, bring it to {TARGET_DEPTH[0]:.2f}-{TARGET_DEPTH[1]:.2f} of the "
             "depth (anterior third), checking AP; then mix (M)."),
    "target": "The tip is in the anterior third: mix the cement (M), then wait for the working phase.",
    "cortex": "The tip is in the body's cortex (wall or endplate): pull back a little (Shift+Z) and re-aim into the bone.",
}

#: stages whose hint gives way to the tip's danger zone (:func:`~trainer.core.scoring.tip_zone.tip_zone`'s "danger":
#: the canal, a foramen, the lung, through the anterior cortex)
DANGER_STAGES = ("access", "cement", "injection")


def stage_hint(view) -> str:
    """The hint for ``view`` (a ProcedureView or None)."""
    if view is None:
        return STAGE_HINTS[None]
    stage = view.stage
    if stage == "checklist" and view.decisions.get("candidacy") == "proceed":
        stage = "alignment"
    if stage == "checklist" and view.decisions.get("candidacy") in ("defer", "decline"):
        return "Decision made: finish the session (Ctrl+Enter) to see the debrief."
    if stage == "alignment" and view.trocar is None and "ap" in view.images and "lateral" in view.images:
        return "Both views taken: click the AP image over the pedicle to pick the entry, then place (P)."
    trocar = getattr(view, "trocar", None)
    if stage in DANGER_STAGES and trocar is not None and getattr(trocar, "zone_level", "") == "danger":
        # the trocar panel says the zone in red; until round 27 this line went on "Inject in small steps..." with
        # the tip in the canal (the walk-through on the abdominal L3)
        return f"The tip is {trocar.zone}: withdraw it (Z) and re-aim; no cement through it."
    if stage == "access" and trocar is not None and "of the body (" in getattr(trocar, "zone", ""):
        # past the posterior wall the access hint ("... until past the posterior wall") is done with: round 40's
        # first-use walk on the 5 mm abdominal L3 read it on with the trocar panel at "middle third of the body"
        if "in its cortex" in trocar.zone:
            return IN_BODY_HINTS["cortex"]
        return IN_BODY_HINTS["target" if trocar.zone_level == "target" else "body"]
    # the "cement" hint asks to wait for the working phase; round 39's first-use walk (chest T12) read it on under a
    # phase bar and a bench line saying WORKING, 6:00 after mixing: a resident doing as told waits on into setting
    cement = getattr(view, "cement", None)
    phase = getattr(cement, "phase", "") if getattr(cement, "mixed", False) else ""
    if phase in CEMENT_PHASE_HINTS and (stage == "cement" or (stage == "injection" and phase == "set")):
        return CEMENT_PHASE_HINTS[phase]
    return STAGE_HINTS.get(stage, "")


#: screenshots in the guide are shown this wide (their height follows)
IMAGE_WIDTH_PX = 820


def _fit_images(doc, width_px: int) -> int:
    """Show every image of ``doc`` ``width_px`` wide (screenshots are 1600 px); return how many."""
    from PySide6.QtGui import QTextCursor

    n = 0
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            frag = it.fragment()
            fmt = frag.charFormat()
            if fmt.isImageFormat():
                img = fmt.toImageFormat()
                img.setWidth(width_px)
                cur = QTextCursor(doc)
                cur.setPosition(frag.position())
                cur.setPosition(frag.position() + frag.length(), QTextCursor.MoveMode.KeepAnchor)
                cur.setCharFormat(img)
                n += 1
            it += 1
        block = block.next()
    return n


class UserGuideDialog(QDialog):
    """Help > User guide: the Markdown guide in a browser with its screenshots (non-modal)."""

    def __init__(self, parent: QWidget | None = None, path: Path = USER_GUIDE):
        super().__init__(parent)
        self.setWindowTitle("vptrainer — user guide")
        self.setObjectName("userGuide")
        self.resize(900, 800)
        self.image_count = 0
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(False)
        self.browser.setOpenLinks(False)
        lay = QVBoxLayout(self)
        lay.addWidget(self.browser)
        path = Path(path)
        if path.is_file():
            self.browser.setSearchPaths([str(path.parent)])
            self.browser.document().setBaseUrl(QUrl.fromLocalFile(str(path.parent) + "/"))
            self.browser.setMarkdown(path.read_text(encoding="utf-8"))
            self.image_count = _fit_images(self.browser.document(), IMAGE_WIDTH_PX)
        else:
            self.browser.setPlainText(f"The user guide is not installed here ({path}).")
