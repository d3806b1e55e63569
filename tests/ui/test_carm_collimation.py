"""The C-arm panel's collimation choice travels with every shot and halves the DAP."""


import pytest
from PySide6.QtCore import Qt

from trainer.ui.carm_panel import COLLIMATION, CArmPanel


@pytest.fixture()
def panel(qtbot):
    p = CArmPanel()
    qtbot.addWidget(p)
    return p


def _click_shot(qtbot, panel):
    sent = []
    panel.actionRequested.connect(sent.append)
    qtbot.mouseClick(panel.shot_button, Qt.MouseButton.LeftButton)
    return sent[-1]


def test_shot_carries_the_chosen_shutters_and_halves_the_dap(qtbot, panel):
    from core.procedure.procedure_phantom import make_phantom

    from trainer.core.procedure.machine import Procedure
    from trainer.core.scenario.loader import load_scenario

    open_shot = _click_shot(qtbot, panel)
    assert open_shot == {"type": "shot"}
    panel.collimation.setCurrentText("Shutters: half width")
    half_shot = _click_shot(qtbot, panel)
    assert half_shot["field_mm"] == COLLIMATION["Shutters: half width"]["field_mm"]
    sc = load_scenario()
    daps = []
    for action in (open_shot, half_shot):
        p = Procedure(sc, patient=make_phantom(), render=False, pixels=64)
        assert p.apply(dict(action)).accepted
        daps.append(p.dose.dap_gycm2)
    assert daps[1] == pytest.approx(0.5 * daps[0], rel=1e-9)
