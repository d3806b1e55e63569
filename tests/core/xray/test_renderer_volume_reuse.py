"""A renderer of a patient already drawn reuses its volumes, and only when they would come out the same
(docs/realct-log.md pass 138): a batch builds a renderer per procedure, each with a fresh patient object read
from the on-disk cache, and drawing the volumes took about 0.5 s of CPU each time."""

import dataclasses

import numpy as np

from trainer.core.anatomy.cache import cached_patient
from trainer.core.anatomy.labels import Label
from trainer.core.procedure.cement.domain import body_volume_ml
from trainer.core.scenario.loader import load_scenario
from trainer.core.xray.geometry import AP, LATERAL
from trainer.core.xray.renderer import FluoroRenderer


def test_a_fresh_copy_of_the_patient_reuses_the_drawn_volumes_and_renders_the_same():
    sc = load_scenario(None)
    first = FluoroRenderer(cached_patient(sc.anatomy), sc.carm.geometry.with_pixels(64))
    again = FluoroRenderer(cached_patient(sc.anatomy), sc.carm.geometry.with_pixels(96))
    assert again._hu is first._hu and again._detail is first._detail      # drawn once (on fcf7200: twice)
    # the oracle: a renderer at the same size, drawn from its own patient, gives the same image bit for bit
    same_size = FluoroRenderer(cached_patient(sc.anatomy), sc.carm.geometry.with_pixels(64))
    for pose in (AP, LATERAL):
        assert np.array_equal(first.line_integrals(pose, 80.0), same_size.line_integrals(pose, 80.0))


def test_a_patient_changed_in_place_is_drawn_again():
    sc = load_scenario(None)
    patient = cached_patient(sc.anatomy)
    before = FluoroRenderer(patient, sc.carm.geometry.with_pixels(64)).line_integrals(AP, 80.0).copy()
    # a denser vertebra (every fine voxel 300 HU more): the image must darken, not repeat the kept volumes
    dense = dataclasses.replace(patient, volume=dataclasses.replace(patient.volume, hu=patient.volume.hu + 300),
                                measured={})
    after = FluoroRenderer(dense, sc.carm.geometry.with_pixels(64)).line_integrals(AP, 80.0)
    assert after.mean() > before.mean() + 0.01
    patient.volume.hu[...] += 300             # the same object changed in place: not the kept drawing either
    in_place = FluoroRenderer(patient, sc.carm.geometry.with_pixels(64)).line_integrals(AP, 80.0)
    assert np.array_equal(in_place, after)


def test_the_body_volume_is_measured_once_per_volume_and_again_for_another():
    sc = load_scenario(None)
    patient = cached_patient(sc.anatomy)
    ml = body_volume_ml(patient)
    assert body_volume_ml(patient) == ml and any(k[0] == "body_volume_ml" for k in patient.measured)
    # a patient whose body lost its top half (labels of the upper slices set to air) measures smaller
    labels = patient.volume.labels.copy()
    labels[labels.shape[0] // 2:] = int(Label.AIR)
    halved = dataclasses.replace(patient, volume=dataclasses.replace(patient.volume, labels=labels))
    assert body_volume_ml(halved) < 0.8 * ml
