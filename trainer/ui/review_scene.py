"""What the 3-D review draws, in patient millimetres (LPS): anatomy surfaces and the state at a moment.

The surfaces are marching-cubes isosurfaces (:func:`pyqtgraph.isosurface`) of the patient's
label volume, smoothed by averaging blocks of voxels, for the target vertebra's bone, its
pedicles (their outer surface is the pedicle wall a trocar must not cross) and the spinal
canal.  The state at a moment (trocar path, cement in bone, leaked cement: the voxels the cement
model books as a leak, as the debrief does) is read from a procedure replayed to that moment
(:mod:`trainer.ui.review`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from trainer.core.anatomy.labels import Label

__all__ = ["Surface", "SceneState", "STRUCTURES", "anatomy_surfaces", "scene_state"]

#: structure -> (labels, RGBA colour) drawn in the review, in drawing order: the pedicles and the canal
#: lie inside the bone's surface, and a translucent surface still writes depth, so the bone is drawn
#: last (drawn first, it hid the pedicle walls on every patient, synthetic and CT, until round 22)
STRUCTURES = {
    "pedicles": ((Label.PEDICLE_LEFT, Label.PEDICLE_RIGHT), (0.98, 0.86, 0.16, 0.5)),
    "canal": ((Label.CANAL,), (0.35, 0.55, 1.0, 0.30)),
    "bone": ((Label.BODY_CORTEX, Label.CANCELLOUS, Label.CLEFT, Label.POSTERIOR_ELEMENTS,
              Label.PEDICLE_LEFT, Label.PEDICLE_RIGHT), (0.86, 0.84, 0.76, 0.2)),
}


@dataclass(frozen=True)
class Surface:
    """A triangle mesh: ``vertices_mm`` (n, 3) LPS, ``faces`` (m, 3) vertex indices."""

    name: str
    vertices_mm: np.ndarray
    faces: np.ndarray
    rgba: tuple


@dataclass(frozen=True)
class SceneState:
    """The state drawn at one moment."""

    trocars: list = field(default_factory=list)     #: [(side, skin_mm (3,), tip_mm (3,))]
    cement_mm: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))   #: cement voxel centres in bone
    leak_mm: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))     #: leaked cement voxel centres


def _block_mean(mask: np.ndarray, step: int) -> np.ndarray:
    nz, ny, nx = (s // step * step for s in mask.shape)
    m = mask[:nz, :ny, :nx].astype(np.float32)
    return m.reshape(nz // step, step, ny // step, step, nx // step, step).mean(axis=(1, 3, 5))


def anatomy_surfaces(patient, step: int = 3) -> list[Surface]:
    """Isosurfaces of :data:`STRUCTURES` from ``patient.volume`` (labels), ``step`` voxels per block.

    Parameters
    ----------
    patient : Patient
    step : int
        Voxels averaged per block along each axis before marching cubes (3 at 0.5 mm: 1.5 mm).
    """
    import pyqtgraph as pg

    vol = patient.volume
    grid = vol.grid
    sp = np.asarray(grid.spacing_xyz_mm, float)          # (dx, dy, dz)
    origin = np.asarray(grid.origin_mm, float)
    out = []
    for name, (labels, rgba) in STRUCTURES.items():
        mask = np.isin(vol.labels, np.array([int(v) for v in labels], dtype=vol.labels.dtype))
        if not mask.any():
            continue
        data = np.pad(_block_mean(mask, step), 1)    # closed surfaces at the volume's edge
        verts, faces = pg.isosurface(np.ascontiguousarray(data), 0.5)
        if len(faces) == 0:
            continue
        kji = (np.asarray(verts, float) - 1.0) * step + (step - 1) / 2.0
        xyz = origin + kji[:, ::-1] * sp
        out.append(Surface(name, xyz.astype(np.float32), np.asarray(faces, np.int32), rgba))
    return out


def _kji_to_mm(grid, kji) -> np.ndarray:
    kji = np.asarray(kji, float).reshape(-1, 3)
    return np.asarray(grid.origin_mm, float) + kji[:, ::-1] * np.asarray(grid.spacing_xyz_mm, float)


def scene_state(procedure) -> SceneState:
    """Trocar(s), cement and leaks of ``procedure`` now (mm, LPS)."""
    # every trocar in the patient (bipedicular: both), left then right
    trocars = [(str(tr.side), np.asarray(tr.skin_mm, float), np.asarray(tr.tip_mm, float))
               for _side, tr in sorted(procedure.trocars.items())]
    cement = leak = np.zeros((0, 3))
    c = procedure.cement
    if c is not None and c.injected_ml > 0:
        # red is what the cement model books as a leak (the debrief's table and cuts): cement in the
        # body's cortical wall is outside its interior but in bone (round 22: 4 such voxels on the
        # real L3 were drawn as a leak under a debrief saying "leaks: none")
        grid = procedure.patient.volume.grid
        occupied = c.domain.grid_kji(c.flow.occupied()).astype(np.int64)
        leaked = np.asarray(c.leak_voxels_kji(), np.int64).reshape(-1, 3)
        is_leak = np.isin(_kji_key(occupied), _kji_key(leaked))
        cement = _kji_to_mm(grid, occupied[~is_leak])
        leak = _kji_to_mm(grid, occupied[is_leak])
    return SceneState(trocars, cement, leak)


def _kji_key(kji: np.ndarray) -> np.ndarray:
    """One integer per ``(k, j, i)`` row (indices below 2**20), for set operations on voxels."""
    kji = np.asarray(kji, np.int64).reshape(-1, 3)
    return (kji[:, 0] << 40) | (kji[:, 1] << 20) | kji[:, 2]
