"""What the X-ray sees of a synthetic patient's vertebral bodies: vertical trabeculae and a thin, regional cortex.

The fine CT (``patient.volume.hu``) is also what the cement flow reads: its porosity comes from
the cancellous HU voxel by voxel (``trainer.core.procedure.cement.domain.trabecular_porosity``,
docs/cement.md) and its walls from the BODY_CORTEX label.  The renderer draws the bodies from a
copy of it (:func:`radiographic_hu`) with two changes that leave the flow's inputs untouched:

* **Vertical trabeculae.**  Osteoporosis removes the horizontal trabeculae first; the remaining
  vertical ones give the radiograph its vertical striation.  A zero-mean texture of vertical rods
  (about 1 mm across, several mm tall) is added to the cores of the target and neighbouring bodies,
  strong enough to survive the projection through 30-40 mm of bone and the 0.7 mm noise reduction
  (the fine CT's own texture, about 0.5-2 mm blobs, averages out in projection).  The cancellous
  mean is kept exactly, so the bone mass along every ray is unchanged on average.
* **A thin shell with regional thickness.**  The fine CT's body cortex is 1 mm of ``cortical_hu``
  (about twice the real bone per unit of surface).  Real shells are about 0.35 mm (Silva 1994,
  *Bone* 15:409), thicker ventrally than dorsally (Ritzel 1997, *J Bone Miner Res* 12:89, lumbar
  mean 290 um).  The anterior and lateral walls are drawn with the mineral of a
  :data:`SHELL_MM` shell of compact bone (:data:`SHELL_TISSUE_HU`, FACTS.md 1.5: a region of interest
  in compact bone reads about 1441 HU) spread over the 1 mm label; the posterior wall, the
  endplates and their rim (the ring apophysis) keep the fine CT's density, since the lateral's
  depth judgement and the endplate lines need CNR >= 5 (docs/imaging.md) - a deliberate deviation
  from Ritzel's dorsal < ventral order.

A CT-derived patient (``patient.params is None``) is drawn from its own HU (real bone).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from trainer.core.anatomy.builder import _N_COLUMN_STREAMS
from trainer.core.anatomy.hu import CORE_FACTOR, mask_box
from trainer.core.anatomy.labels import Label

__all__ = ["radiographic_hu", "rod_texture_tile", "SHELL_MM", "SHELL_TISSUE_HU", "ROD_SD_HU"]

#: mineral-equivalent shell thickness (mm) drawn for the walls seen face-on or as the outline:
#: the anterior wall thicker than the lateral walls (Silva 1994 ~0.35 mm; Ritzel 1997 ventral > dorsal)
SHELL_MM = {"anterior": 0.40, "lateral": 0.30}
#: CT number of the shell's compact bone (FACTS.md 1.5: ROI in compact bone about 1441 HU)
SHELL_TISSUE_HU = 1441.0
#: SD (HU) of the rod texture on the 0.5 mm grid, per HU of the cancellous mean plus an offset:
#: tuned by eye against the real-CT gallery and by the lateral/AP texture contrast (docs/imaging.md) [T]
ROD_SD_HU = (1.5, 75.0)
#: rod texture: Gaussian sigmas (z, y, x) mm of the rods, and of the coarse part removed (band-pass)
ROD_SIGMA_MM = (2.2, 0.55, 0.55)
ROD_COARSE_SIGMA_MM = (6.0, 1.8, 1.8)
#: the walls this close (mm, along z) to the body's top or bottom keep the fine CT's density: the
#: ring apophysis, the thick cortical rim round each endplate (it also carries the endplate line
#: on the lateral: drawn thin there, the T12 inferior endplate CNR fell from 5.4 to 4.8)
RIM_MM = 2.5
#: bone of a neighbouring body counts as its cortex above this HU (between core and cortex)
_SHELL_SPLIT_HU = 650.0


def rod_texture_tile(spacing_mm: float, rng: np.random.Generator, tile_mm=(32.0, 32.0, 32.0)) -> np.ndarray:
    """A periodic tile (float32, zero mean, unit SD) of vertical rod texture on a ``spacing_mm`` grid.

    Band-pass noise elongated along z (:data:`ROD_SIGMA_MM` minus :data:`ROD_COARSE_SIGMA_MM`),
    filtered with wrap-around so the tile repeats seamlessly.
    """
    tile = tuple(max(8, int(round(t / spacing_mm))) for t in tile_mm)
    noise = rng.standard_normal(tile, dtype=np.float32)
    fine = ndi.gaussian_filter(noise, np.array(ROD_SIGMA_MM) / spacing_mm, mode="wrap", truncate=2.5)
    coarse = ndi.gaussian_filter(fine, np.array(ROD_COARSE_SIGMA_MM) / spacing_mm, mode="wrap", truncate=2.5)
    tex = fine - coarse
    tex -= float(tex.mean())
    tex /= float(tex.std()) or 1.0
    return tex.astype(np.float32)


def _shell_scale(bodies: np.ndarray, shell: np.ndarray, disc: np.ndarray, spacing_mm: float, cortex_hu) -> np.ndarray:
    """Per shell voxel, the factor on its excess over the core: 1 on endplates, their rim
    (within :data:`RIM_MM` of a disc along z) and the posterior wall, the :data:`SHELL_MM` mineral over the fine CT's
    elsewhere (blended by the outward normal)."""
    smooth = ndi.gaussian_filter(bodies.astype(np.float32), 1.0 / spacing_mm, truncate=2.5)
    n_rim = max(1, int(round(RIM_MM / spacing_mm)))
    rim = ndi.maximum_filter1d(disc.astype(np.uint8), 2 * n_rim + 1, axis=0, mode="constant", cval=0) > 0
    kk, jj, ii = np.nonzero(shell)
    gz, gy, gx = (np.gradient(smooth, axis=a)[kk, jj, ii] for a in range(3))
    norm = np.sqrt(gz * gz + gy * gy + gx * gx) + 1e-6
    nz, ny = -gz / norm, -gy / norm                # outward normal; +y is posterior (LPS)
    w_end = np.maximum(np.clip((np.abs(nz) - 0.5) / 0.3, 0.0, 1.0), rim[kk, jj, ii])
    w_post = np.clip((ny - 0.3) / 0.4, 0.0, 1.0)
    w_ant = np.clip((-ny - 0.3) / 0.4, 0.0, 1.0)
    s_ant = np.minimum(1.0, SHELL_MM["anterior"] * SHELL_TISSUE_HU / cortex_hu)
    s_lat = np.minimum(1.0, SHELL_MM["lateral"] * SHELL_TISSUE_HU / cortex_hu)
    wall = w_post + w_ant * s_ant + (1.0 - w_post - w_ant) * s_lat
    return (w_end + (1.0 - w_end) * wall).astype(np.float32)


def radiographic_hu(patient) -> np.ndarray:
    """The HU volume the renderer draws the fine grid from (int16, ``patient.volume``'s shape).

    For a synthetic patient a copy of ``patient.volume.hu`` with rod texture in the cores of the
    target and neighbouring bodies and a thinner anterior and lateral shell (module docstring);
    for a CT-derived patient ``patient.volume.hu`` itself.  Deterministic: the texture comes from
    the patient's seed (the stream after the builder's: ``SeedSequence(seed).spawn`` child 21), not from the session's generator.
    """
    vol = patient.volume
    params = getattr(patient, "params", None)
    if params is None:
        return vol.hu
    lab = vol.labels
    sp = float(vol.grid.spacing_xyz_mm[0])
    y_mm = vol.grid.axis_mm("y")
    j_post = int(np.searchsorted(y_mm, float(patient.landmarks.posterior_wall_y_mm) + 2.0))
    target = (lab == Label.CANCELLOUS) | (lab == Label.BODY_CORTEX)
    neigh = lab == Label.ADJACENT_VERTEBRA
    neigh[:, j_post:, :] = False                   # their bodies only (in front of the posterior walls)
    box = mask_box(target | neigh)
    hu = vol.hu.copy()
    if box is None:
        return hu
    tl = lab[box]
    h = hu[box].astype(np.float32)
    t_canc = tl == Label.CANCELLOUS
    t_cort = tl == Label.BODY_CORTEX
    nb = neigh[box]
    n_shell = nb & (h > _SHELL_SPLIT_HU)
    n_core = nb & ~n_shell
    trab = float(params.trabecular_hu)
    core_hu = trab * CORE_FACTOR + 20.0

    # thin anterior/lateral shell: scale the excess over the core
    shell = t_cort | n_shell
    base = np.where(t_cort, trab, core_hu)[shell]
    cortex_mean = np.where(t_cort, float(params.cortical_hu) * 0.85, float(params.cortical_hu))[shell]
    s = _shell_scale(target[box] | nb, shell, tl == Label.DISC, sp, cortex_mean)
    h[shell] = base + (h[shell] - base) * s

    # vertical rods in the cores, zero mean over each body's core
    seq = np.random.SeedSequence(int(params.seed), spawn_key=(_N_COLUMN_STREAMS + 4,))
    tile = rod_texture_tile(sp, np.random.default_rng(seq))
    kk, jj, ii = np.indices(h.shape, sparse=True)
    tz, ty, tx = tile.shape
    tex = tile[(kk + box[0].start) % tz, (jj + box[1].start) % ty, (ii + box[2].start) % tx]
    for core, mean in ((t_canc, trab), (n_core, core_hu)):
        if core.any():
            add = (ROD_SD_HU[0] * mean + ROD_SD_HU[1]) * tex[core]
            h[core] += add - float(add.mean())
    hb = hu[box]
    np.copyto(hb, np.clip(np.rint(h), -1024, 3071).astype(np.int16))
    return hu
