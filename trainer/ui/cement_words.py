"""What the window says after a push of cement that did not all go in.

The cement model flags a push ``stalled`` when the cement had nowhere more to go (the flow's front blocked):
``delivered_ml`` of the ``ml`` asked for left the cannula.  Until round 41 the window said nothing: on the 5 mm
abdominal L2 a resident's 8th to 24th pushes of 0.25 mL each moved nothing (1.59 mL in all, docs/realct-log.md
pass 211), the Injected line stood still and the status line was empty, so the pushes went on unexplained.
"""

from __future__ import annotations

__all__ = ["stalled_note"]


def stalled_note(events) -> tuple[str, str]:
    """The status line's words for an accepted inject's events when the push stalled, else ("", "").

    Parameters
    ----------
    events : iterable of Event
        The events of one accepted ``inject`` action (its ``cement_injected`` event holds ``ml``,
        ``delivered_ml`` and ``injected_ml`` in mL and the model's ``flags``).

    Returns
    -------
    tuple of str
        ``(text, short)``: one sentence with how much of the push (mL) went in and what to do, and the same in
        fewer words for a status line too narrow for it (the 1600 px window's cut the long one after "look").
    """
    for ev in events:
        if ev.kind != "cement_injected" or "stalled" not in (ev.data.get("flags") or ()):
            continue
        asked, went = float(ev.data["ml"]), float(ev.data["delivered_ml"])
        head = f"The plunger stuck: {went:.2f} of the {asked:.2f} mL went in"
        return (f"{head} (the cement has nowhere more to go; {float(ev.data['injected_ml']):.2f} mL in all). Take an "
                "AP and a lateral shot: look for a leak before pushing again, or stop.",
                f"{head}: look for a leak on AP and lateral, or stop.")
    return "", ""
