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

* **A zone of condensation under a fractured endplate.**  Where an endplate has been driven into
  the body, the trabeculae of the lost height are impacted into a band beneath it: on radiographs
  a band of increased density parallel to the endplate (the "linear zone of condensation" of
  compression fractures, Yochum & Maola 2006, *Am Chiropr* 28(3); the "zone of impaction",
  reactive sclerosis beside the fracture, of acute fractures, with callus in the first 2-4 weeks
  and remodelled sclerosis after healing: Panda 2014, *Indian J Endocrinol Metab* 18:295, as
  tabulated in *Chiropr Man Therap* 2024, doi 10.1186/s12998-024-00545-0, Table 2).  The fine CT
  paints the depressed endplate but keeps the cancellous bone at its mean, so the bone of the lost
  height vanished.  The drawing puts it back: under each column ``(x, y)`` the cancellous bone of
  the depression's depth ``d`` (the fracture's endplate below the intact one,
  :class:`~trainer.core.anatomy.body.BodyShape`) is added to the :data:`IMPACTION_MM` of
  cancellous bone under the endplate's cortex, densest next to the endplate (a linear ramp):
  ``trabecular_hu x d`` HU mm per column, mass conserved, marrow counted as water [NV].  Nothing
  is added for callus (a lower bound).

The vertebrae two and more levels from the target lie outside the fine grid, on the 2 mm context
grid, which cannot hold millimetre rods: :func:`outer_rod_texture` gives the renderer the same rod
texture for their cores on the fine grid's lattice (a zero-mean HU volume it adds to the context),
so they are no smoother than the neighbours on the fine grid (issue 15).

A CT-derived patient (``patient.params is None``) is drawn from its own HU (real bone), with its
intravenous contrast taken out (:func:`radiographic_context_hu` too): the lumens of a contrast-enhanced
CT's aorta and heart are drawn as unenhanced blood (:mod:`trainer.core.anatomy.ct_blood_pool`), since
the patient on the table has no contrast in the vessels.  The lumens are each volume's ``blood_pool``,
found once where the patient was built (:func:`~trainer.core.anatomy.ct_patient.patient_from_ct`), not here.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import ndimage as ndi

from trainer.core.anatomy.builder import column_for, render_texture_seed
from trainer.core.anatomy.canvas import Canvas, TiltedCanvas
from trainer.core.anatomy.ct_blood_pool import unenhanced_hu
from trainer.core.anatomy.grid import Grid, float3, int3
from trainer.core.anatomy.hu import CORE_FACTOR, CORTEX_MM, mask_box
from trainer.core.anatomy.labels import Label

__all__ = ["radiographic_hu", "radiographic_context_hu",
           "rod_texture_tile", "impaction_hu", "outer_rod_texture", "SHELL_MM", "SHELL_TISSUE_HU", "ROD_SD_HU",
           "IMPACTION_MM"]

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
#: thickness (mm) of the cancellous band under a fractured endplate's cortex that holds the
#: impacted bone of the lost height (a few mm on radiographs [NV]: a band, not a line)
IMPACTION_MM = 4.0
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


def impaction_hu(body, trabecular_hu: float, x_mm, y_mm, z_mm) -> np.ndarray:
    """Extra HU at cancellous points ``(x, y, z)`` (mm, patient frame) of a fractured ``body``
    (:class:`~trainer.core.anatomy.body.BodyShape`): the zone of condensation (module docstring).

    Under each endplate, at depth ``s`` below its surface, the band ``CORTEX_MM < s <
    CORTEX_MM + IMPACTION_MM`` gets ``trabecular_hu x d x (2 / T)(1 - (s - CORTEX_MM) / T)``,
    ``T = IMPACTION_MM``, ``d`` the endplate's depression (mm) at ``(x, y)``: the lost height's bone,
    ``trabecular_hu x d`` HU mm per column.  Zero for an intact body.
    """
    x, y, z = (np.asarray(v, np.float64) for v in (x_mm, y_mm, z_mm))
    out = np.zeros(np.broadcast(x, y, z).shape, np.float32)
    if not body.morphology or body.loss <= 0:
        return out
    top, bot = body.surfaces_local(x, y)
    top_i, bot_i = body._intact(x, y)
    t = IMPACTION_MM
    for d, s in ((np.maximum(top_i - top, 0.0), body.zc + top - z), (np.maximum(bot - bot_i, 0.0), z - body.zc - bot)):
        u = (s - CORTEX_MM) / t
        ramp = np.where((u >= 0.0) & (u <= 1.0), (2.0 / t) * (1.0 - u), 0.0)
        out += (float(trabecular_hu) * d * ramp).astype(np.float32)
    return out


@lru_cache(maxsize=4)
def _rod_tile(params, spacing_mm: float) -> np.ndarray:
    """The patient's rod texture tile (its own seed stream, module docstring of :func:`radiographic_hu`;
    read-only, made once per patient for :func:`radiographic_hu` and :func:`outer_rod_texture`)."""
    tile = rod_texture_tile(spacing_mm, np.random.default_rng(render_texture_seed(params)))
    tile.flags.writeable = False
    return tile


@lru_cache(maxsize=4)
def _column(params):
    """The patient's vertebral column (:func:`~trainer.core.anatomy.builder.column_for`), rebuilt
    once per patient for :func:`radiographic_hu` and :func:`outer_rod_texture`."""
    return column_for(params)


def radiographic_context_hu(patient, vol) -> np.ndarray:
    """The HU the renderer draws one of ``patient``'s context volumes from.

    ``vol.hu`` itself for a synthetic patient; for a CT-derived patient ``vol.hu`` with its enhanced
    blood pool (``vol.blood_pool``) at unenhanced blood's HU
    (:func:`~trainer.core.anatomy.ct_blood_pool.unenhanced_hu`).
    """
    if getattr(patient, "params", None) is not None:
        return vol.hu
    return unenhanced_hu(vol.hu, vol.blood_pool)


def outer_rod_texture(patient) -> list[tuple[Grid, np.ndarray]]:
    """Rod texture (HU to add, float32, zero mean per body) for the cores of the vertebral bodies that
    lie outside the fine grid but inside the context's z range, on boxes of the fine grid's lattice.

    One ``(grid, delta_hu)`` per side (above, below the fine box); empty for a CT-derived patient.
    The amplitude is the fine grid's neighbours' (:data:`ROD_SD_HU` on their core HU); voxels inside
    the fine box (closed, plus 1 mm) are zero, so nothing is drawn twice.
    """
    params = getattr(patient, "params", None)
    if params is None or not patient.context:
        return []
    fine = patient.volume.grid
    sp = float(fine.spacing_xyz_mm[0])
    f_lo = np.asarray(fine.origin_mm, float) - sp / 2 - 1.0
    f_hi = np.asarray(fine.upper_mm, float) + sp / 2 + 1.0
    cgrid = patient.context[0].grid
    c_lo, c_hi = np.asarray(cgrid.origin_mm, float), np.asarray(cgrid.upper_mm, float)
    col = _column(params)
    probe = Canvas(Grid(int3((1, 1, 1)), float3((1.0, 1.0, 1.0)), float3((0.0, 0.0, 0.0))))
    tilted = TiltedCanvas(probe, col.tilt_rad, col.tilt_pivot_yz) if col.tilt_rad else None
    core_hu = float(params.trabecular_hu) * CORE_FACTOR + 20.0
    amp = ROD_SD_HU[0] * core_hu + ROD_SD_HU[1]
    tile = None
    out = []
    for side in (1, -1):                       # above, below
        verts = []
        k = 2
        while (v := (col.above(k) if side > 0 else col.below(k))) is not None:
            z0, z1 = v.body.z_range()
            if tilted is not None and col.is_tilted(v):
                lo, hi = tilted._world_box(*v.body.box(grow_mm=1.0))
            else:
                lo, hi = v.body.box(grow_mm=1.0)
            if hi[2] < c_lo[2] or lo[2] > c_hi[2]:
                break
            verts.append((v, lo, hi))
            k += 1
        if not verts:
            continue
        lo = np.min([b[1] for b in verts], axis=0)
        hi = np.max([b[2] for b in verts], axis=0)
        lo[2], hi[2] = max(lo[2], c_lo[2]), min(hi[2], c_hi[2])
        # the fine grid's lattice, extended: index n at fine.origin + n * sp
        n_lo = np.floor((lo - np.asarray(fine.origin_mm)) / sp).astype(int)
        n_hi = np.ceil((hi - np.asarray(fine.origin_mm)) / sp).astype(int)
        n_lo -= n_lo % 2                       # even: the renderer's 2x pooling keeps the fine lattice's even centres
        shape = tuple(int(v) for v in (n_hi - n_lo + 1)[::-1])
        grid = Grid(int3(shape), float3(sp for _ in range(3)), float3(np.asarray(fine.origin_mm) + n_lo * sp))
        cv = Canvas(grid)
        for v, _, _ in verts:
            v.paint_body(TiltedCanvas(cv, col.tilt_rad, col.tilt_pivot_yz) if tilted is not None and col.is_tilted(v)
                         else cv, Label.ADJACENT_VERTEBRA)
        body = cv.labels > 0
        n_cx = max(1, int(round(1.0 / sp)))                       # 1 mm of cortex
        core = ndi.binary_erosion(body, iterations=n_cx, border_value=0)
        x, y, z = (grid.axis_mm(a) for a in "xyz")
        core &= ~(((z >= f_lo[2]) & (z <= f_hi[2]))[:, None, None] & ((y >= f_lo[1]) & (y <= f_hi[1]))[None, :, None]
                  & ((x >= f_lo[0]) & (x <= f_hi[0]))[None, None, :])
        if not core.any():
            continue
        if tile is None:
            tile = _rod_tile(params, sp)
        tz, ty, tx = tile.shape
        kk, jj, ii = np.indices(shape, sparse=True)
        tex = tile[(kk + n_lo[2]) % tz, (jj + n_lo[1]) % ty, (ii + n_lo[0]) % tx]
        delta = np.zeros(shape, np.float32)
        add = amp * tex[core]
        delta[core] = add - float(add.mean())
        out.append((grid, delta))
    return out


def radiographic_hu(patient) -> np.ndarray:
    """The HU volume the renderer draws the fine grid from (int16, ``patient.volume``'s shape).

    For a synthetic patient a copy of ``patient.volume.hu`` with rod texture in the cores of the
    target and neighbouring bodies and a thinner anterior and lateral shell (module docstring);
    for a CT-derived patient ``patient.volume.hu`` with its enhanced blood pool (``volume.blood_pool``,
    which holds none of the target's labelled bone) at unenhanced blood's HU
    (:func:`~trainer.core.anatomy.ct_blood_pool.unenhanced_hu`).
    Deterministic: the texture comes from the patient's seed (the stream after the builder's:
    ``SeedSequence(seed).spawn`` child 21), not from the session's generator.
    """
    vol = patient.volume
    params = getattr(patient, "params", None)
    if params is None:
        return unenhanced_hu(vol.hu, vol.blood_pool)
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
    tile = _rod_tile(params, sp)
    kk, jj, ii = np.indices(h.shape, sparse=True)
    tz, ty, tx = tile.shape
    tex = tile[(kk + box[0].start) % tz, (jj + box[1].start) % ty, (ii + box[2].start) % tx]
    for core, mean in ((t_canc, trab), (n_core, core_hu)):
        if core.any():
            add = (ROD_SD_HU[0] * mean + ROD_SD_HU[1]) * tex[core]
            h[core] += add - float(add.mean())

    # the impacted bone under a fractured endplate (zone of condensation)
    if params.fracture_grade > 0 and t_canc.any():
        body = _column(params).target.body
        k, j, i = np.nonzero(t_canc)
        axes = [vol.grid.axis_mm(a) for a in "zyx"]
        h[k, j, i] += impaction_hu(body, trab, axes[2][i + box[2].start], axes[1][j + box[1].start],
                                   axes[0][k + box[0].start])
    hb = hu[box]
    np.copyto(hb, np.clip(np.rint(h), -1024, 3071).astype(np.int16))
    return hu
