"""The order of the procedure in the trainee window: the checklist decision comes first.

DESIGN.md 4 orders the procedure "chart review and checklist -> C-arm alignment -> access ->
cement"; the core accepts a ``shot`` in any phase (headless plans may image first).  The window
follows the design: until the trainee has decided to proceed, the C-arm, trocar and cement
controls are disabled and every action but ``decide``, ``wait`` and ``finish`` is turned away
with a message that names what to do first (nothing is sent to the core, so nothing is
recorded).  Once the procedure is past access the checklist can no longer be answered (the core
refuses ``decide`` then), so nothing is locked: a resumed session is never stuck.
"""

from __future__ import annotations

from trainer.core.scenario.checklist import CHECKLIST_ITEMS

__all__ = ["ALWAYS_ALLOWED", "before_the_decision", "unanswered_items"]

#: actions the window sends whatever the checklist's state
ALWAYS_ALLOWED = frozenset({"decide", "wait", "finish"})

#: where the checklist is, as the tab reads
CHECKLIST_TAB = "Patient & checklist"


def unanswered_items(decisions: dict) -> list[str]:
    """Checklist items (ids, candidacy left out) without an answer in ``decisions``."""
    return [k for k in CHECKLIST_ITEMS if k != "candidacy" and k not in decisions]


def before_the_decision(view, short: bool = False) -> str | None:
    """What the trainee must do before imaging, or None when the procedure may go on.

    Parameters
    ----------
    view : ProcedureView or None
        The window's view of the procedure (None: no session, nothing to say here).
    short : bool
        Leave out the names of the open items (the one-line status bar).

    Returns
    -------
    str or None
        A sentence naming the next step (the checklist tab, the items still open, the decision).
    """
    if view is None or view.finished or view.stage not in ("checklist", "alignment"):
        return None
    answer = view.decisions.get("candidacy")
    if answer == "proceed":
        return None
    if answer in ("defer", "decline"):
        return (f"You decided to {answer}: no imaging or procedure on this patient. Finish the session "
                f"(Ctrl+Enter) for the debrief, or change the decision on the {CHECKLIST_TAB} tab.")
    open_items = unanswered_items(view.decisions)
    names = "" if short else f" ({', '.join(open_items)})"
    todo = (f"answer the {len(open_items)} open item{'s' if len(open_items) != 1 else ''}{names} and "
            if open_items else "")
    return f"Checklist first: on the {CHECKLIST_TAB} tab {todo}decide Proceed; then the C-arm is yours."
