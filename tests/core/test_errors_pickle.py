"""vptrainer's own errors cross a process boundary whole (``--jobs``: the calibration, validity and batch
assessment run seeds in worker processes, which send a worker's exception back pickled).

Before round 12, ``ParameterError`` and ``ScenarioError`` unpickled as ``cls(message)``, a TypeError in the
parent that left a ``ProcessPoolExecutor`` hanging.  Oracle: the fields the error was made with.
"""

import pickle
from concurrent.futures import ProcessPoolExecutor

import pytest

from trainer.core.errors import ActionRefused, ParameterError, ScenarioError


def _raise_scenario_error(path):
    raise ScenarioError(path, ["anatomy.level = 'L9' is not allowed; expected one of T8..L5", "seed = -1"])


@pytest.mark.parametrize("err,fields", [
    (ParameterError("grade", 4, "0 to 3", source="case.toml:12", hint="Genant grades"),
     {"name": "grade", "value": 4, "allowed": "0 to 3", "source": "case.toml:12", "hint": "Genant grades"}),
    (ParameterError("side", "up", "left or right"), {"name": "side", "value": "up", "source": None, "hint": None}),
    (ScenarioError("case.toml", ["a = 1 is not allowed", "b missing"]),
     {"path": "case.toml", "problems": ["a = 1 is not allowed", "b missing"]}),
    (ActionRefused("the trocar is not placed"), {}),
])
def test_an_error_pickles_with_its_fields_and_message(err, fields):
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is type(err) and str(back) == str(err)
    for k, v in fields.items():
        assert getattr(back, k) == v


def test_a_workers_scenario_error_reaches_the_parent():
    with ProcessPoolExecutor(max_workers=1) as pool:
        fut = pool.submit(_raise_scenario_error, "bad.toml")
        with pytest.raises(ScenarioError) as info:
            fut.result()
    assert info.value.path == "bad.toml" and len(info.value.problems) == 2
    assert str(info.value).startswith("2 problems:")
