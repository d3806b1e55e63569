"""Build the synthetic patient: fine and context volumes plus landmarks.

``build_patient(params)`` is deterministic: every random draw comes from one
``numpy.random.Generator`` seeded with ``params.seed`` (children spawned in a fixed
order: column jitter, textures, fracture features).

Fine volume: ``params.voxel_mm`` grid around the target (x +/- 60 mm, y from in front of
the body to just behind the skin, z over the target, both discs and both neighbouring bodies).
Context volume: a 2 mm grid over the whole torso cross-section and
z +/- 100 mm, emptied (air) inside the fine box so that renderers can add both.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from trainer.core.anatomy import features
from trainer.core.anatomy.canvas import Canvas, TiltedCanvas, ellipsoid
from trainer.core.anatomy.column import Column, build_column
from trainer.core.anatomy.grid import Grid, Volume
from trainer.core.anatomy.hu import POSTERIOR_CORTEX_MM, TISSUE_HU, assign_hu, bone_box, bone_mask, cortical_shell
from trainer.core.anatomy.labels import Label
from trainer.core.anatomy.landmarks_calc import compute_landmarks
from trainer.core.anatomy.morphometry import SEX_SCALE
from trainer.core.anatomy.params import AnatomyParams
from trainer.core.anatomy.patient import Patient
from trainer.core.anatomy.pelvis import pelvis_for_column
from trainer.core.anatomy.softtissue import Torso, bowel_gas_pockets, paint_rib, rib_path
from trainer.core.anatomy.stomach import FundusGas

__all__ = ["build_patient", "column_for", "render_texture_seed", "CONTEXT_VOXEL_MM", "CONTEXT_HALF_Z_MM",
           "fine_bounds", "rib_head_mm"]

CONTEXT_VOXEL_MM = 2.0
CONTEXT_HALF_Z_MM = 100.0
_N_COLUMN_STREAMS = 17
#: the psoas reaches from the front third of the lumbar body (y = -0.3 b, b = half-depth) back to
#: the transverse processes (b + 8 mm) at every level [NV], so on a lateral view it overlaps the
#: posterior wall evenly.  Centred on the body and only 2 x 15 mm deep (4.5 mm at its origin), its
#: back edge and fat crescent fell on or just in front of the wall and cancelled the wall line
#: (L4 lateral wall CNR 1.5)
PSOAS_FRONT_B = -0.3
PSOAS_BACK_MM = 8.0


def _torso(col: Column, params: AnatomyParams) -> Torso:
    t = col.target
    skin_y = t.lamina_outer_y + params.posterior_soft_tissue_mm
    s = params.size_scale * SEX_SCALE[params.sex]
    return Torso.for_patient(skin_y, params.posterior_soft_tissue_mm, s, t.body.posterior_y + 2.0,
                             t.body.a + t.dims.tp_length_mm + 30.0)


def fine_bounds(col: Column, torso: Torso):
    """(lo, hi) corners (x, y, z mm) of the fine box."""
    t = col.target
    up, down = col.above(), col.below()
    # whole neighbour bodies (their far endplates included, with a margin for the kyphotic tilt), so
    # the neighbours are as sharp on the image as the target; up to their centres only, their far
    # halves came from the 2 mm context and looked blurred (issue 15)
    z_hi = (up.body.z_range()[1] + 4.0 if up is not None else t.body.z_range()[1] + 20.0)
    z_lo = (down.body.z_range()[0] - 4.0 if down is not None else t.body.z_range()[0] - 20.0)
    return (np.array([-60.0, -t.body.b - 15.0, z_lo]), np.array([60.0, torso.skin_y_mm + 4.0, z_hi]))


def rib_head_mm(v, side_sign: float) -> np.ndarray:
    """Centre (x, y, z mm) of the head of the rib of thoracic vertebra ``v`` (rib n of Tn).

    Ribs 2-9 articulate with two bodies: their heads sit on the demifacets at the disc above
    Tn (Tn-1 / Tn); ribs 10-12 articulate with their own body only (a single whole facet: rib 10
    on the upper body, ribs 11-12 further back, near the pedicle) (Gray's Anatomy, costovertebral
    joints) [S].
    """
    n = int(v.dims.level[1:])
    x = side_sign * 0.92 * v.body.a
    if n <= 9:
        return np.array([x, v.body.posterior_y - 0.3 * v.dims.body_depth_mm,
                         v.body.z_range()[1] + 0.3 * v.disc_above_mm])
    y = v.body.posterior_y - (0.3 if n == 10 else 0.15) * v.dims.body_depth_mm
    top = float(v.body.top(np.float64(x), np.float64(y)))
    return np.array([x, y, top - (0.2 if n == 10 else 0.3) * v.dims.posterior_height_mm])


def _diaphragm_z(col: Column) -> float:
    levels = [v.dims.level for v in col.vertebrae]
    if "T12" in levels:
        return col.vertebrae[levels.index("T12")].body.z_range()[0]
    if all(lv.startswith(("L", "S")) for lv in levels):
        return 1e4
    return col.vertebrae[-1].body.z_range()[0] - 300.0


def _rib_back_y(t) -> float:
    """y (mm) of the ribs' posterior-most point: behind the transverse process tips."""
    return max(t.transverse_points(1.0)[1][1] + 2.0, t.body.posterior_y + 8.0)


def _fundus_gas(col: Column, torso: Torso) -> FundusGas | None:
    """The prone patient's gastric gas, anchored at T11's anterior wall and the diaphragm's recess
    (None when the column holds no T12: no recess to place it from, and it lies outside the volumes)."""
    levels = [v.dims.level for v in col.vertebrae]
    if "T12" not in levels:
        return None
    t = col.target
    t11 = col.vertebrae[levels.index("T11")] if "T11" in levels else col.vertebrae[levels.index("T12")]
    zd = _diaphragm_z(col)
    return FundusGas(0.0, -t11.body.b, zd, torso.diaphragm(_rib_back_y(t), zd, -t.body.b))


def _paint_scene(cv: Canvas, col: Column, torso: Torso, params: AnatomyParams):
    """Everything except HU-dependent features, in priority order (later wins)."""
    t = col.target
    cv.labels[:] = torso.axial_labels(cv.x, cv.y)[None]
    zd = _diaphragm_z(col)
    rib_back_y = _rib_back_y(t)
    if zd - 10.0 < cv.z[-1]:
        tip = t.transverse_points(1.0)[1]
        neck = (0.92 * t.body.a, t.body.posterior_y - 0.3 * t.dims.body_depth_mm, tip[0], tip[1])
        torso.paint_lungs(cv, rib_back_y, zd, t.body.a, t.body.posterior_y - 2.0, neck,
                         body_front_y_mm=-t.body.b)
    # the psoas origin must not depend on the canvas (fine and context must agree at the fine
    # box faces): T12's inferior endplate, or above the column's top body when T12 is absent
    z_psoas = min(zd, max(v.body.z_range()[1] for v in col.vertebrae) + 10.0)
    if z_psoas > cv.z[0]:
        y0, y1 = PSOAS_FRONT_B * t.body.b, t.body.b + PSOAS_BACK_MM
        torso.paint_psoas(cv, z_psoas, t.body.a, 0.5 * (y0 + y1), 0.5 * (y1 - y0))
    pelvis = pelvis_for_column(col, params.sex, params.size_scale * SEX_SCALE[params.sex])
    if pelvis is not None:
        pelvis.paint(cv)
    verts = col.vertebrae
    tilted = TiltedCanvas(cv, col.tilt_rad, col.tilt_pivot_yz) if col.tilt_rad else None

    def vc(v):
        return tilted if (tilted is not None and col.is_tilted(v)) else cv

    for v in verts:
        lo_z = v.body.z_range()[0] - 0.6 * v.dims.disc_below_mm
        hi_z = v.body.z_range()[1] + 0.6 * v.disc_above_mm
        v.paint_canal(vc(v), lo_z, hi_z)
    gaps = {}
    for u, low in col.discs():
        zg = 0.5 * (u.pedicle_z_extent()[0] + low.pedicle_z_extent()[1])
        gaps[id(u)] = zg
        u.paint_foramina(vc(u), zg)
    channels = features.paint_segmental_veins(cv, t, params.segmental_vein_scale,
                                              gaps.get(id(t), t.body.z_range()[0]))
    for u, low in col.discs():
        lo, hi = low.body.box(grow_mm=0.8)
        lo[2], hi[2] = low.body.zc, u.body.zc
        if vc(u) is vc(low):
            def disc(x, y, z, u=u, low=low):
                return (z > low.body.top(x, y)) & (z < u.body.bottom(x, y)) & low.body.outline(x, y, grow_mm=0.6)

            vc(u).paint(lo, hi, disc, Label.DISC)
        else:  # the disc above a wedge: lower surface straight, upper surface tilted with the column
            def disc(x, y, z, u=u, low=low):
                yl, zl = tilted.to_local(y, z)
                return (z > low.body.top(x, y)) & (zl < u.body.bottom(x, yl)) & low.body.outline(x, y, grow_mm=0.6)

            assert tilted is not None          # a vertebra on another canvas than its neighbour: tilted
            wlo, whi = tilted._world_box(lo, hi)
            cv.paint(np.minimum(lo, wlo), np.maximum(hi, whi), disc, Label.DISC)
    for v in verts:
        n = v.dims.level
        if not n.startswith("T"):
            continue
        for s in (1.0, -1.0):
            root, tip = v.transverse_points(s)
            head = rib_head_mm(v, s)
            tub = np.array([tip[0] - s * 1.0, tip[1] - 4.0, tip[2]])
            path = rib_path(head, tub, torso, rib_back_y, s, int(n[1:]), v.dims.scale)
            if tilted is not None and vc(v) is not cv:
                path = tilted.to_world(path)
            paint_rib(cv, path, 4.0 * v.dims.scale)
    for v in verts:
        if v is t:
            continue
        v.paint_posterior(vc(v), Label.ADJACENT_VERTEBRA, torso.skin_y_mm)
        v.paint_body(vc(v), Label.ADJACENT_VERTEBRA)
    t.paint_posterior(cv, Label.POSTERIOR_ELEMENTS, torso.skin_y_mm,
                      {"left": Label.PEDICLE_LEFT, "right": Label.PEDICLE_RIGHT})
    t.paint_body(cv, Label.CANCELLOUS)
    return channels


def _volume(cv: Canvas, params: AnatomyParams, rng, textured: bool, posterior_y_mm: float):
    """Cortical shell (body cortex label) and HU of a painted canvas.

    Bone behind ``posterior_y_mm`` (the target's posterior body wall) other than the target
    body gets the posterior elements' thicker cortex and denser core (:mod:`hu`).
    """
    sp = cv.grid.spacing_xyz_mm[0]
    box = bone_box(cv.labels)
    shell = cortical_shell(cv.labels, sp, box)
    cv.labels[shell & (cv.labels == Label.CANCELLOUS)] = Label.BODY_CORTEX
    j0 = int(np.searchsorted(cv.y, posterior_y_mm))
    pshell = cortical_shell(cv.labels, sp, box, POSTERIOR_CORTEX_MM) if sp < 1.5 else None
    hu = assign_hu(cv.labels, sp, params.trabecular_hu, params.cortical_hu, rng, textured=textured, shell=shell,
                   box=box, posterior_from_j=j0, posterior_shell=pshell)
    return hu


def _streams(params: AnatomyParams) -> list:
    """The patient's generators, in the builder's fixed order (column jitter first)."""
    return np.random.default_rng(params.seed).spawn(_N_COLUMN_STREAMS + 4)


def render_texture_seed(params: AnatomyParams) -> np.random.SeedSequence:
    """The seed of what the renderer draws for this patient (its bone texture): the stream after the
    builder's own, so drawing never changes the patient's CT numbers or the cement's domain."""
    return np.random.SeedSequence(int(params.seed), spawn_key=(_N_COLUMN_STREAMS + 4,))


def column_for(params: AnatomyParams) -> Column:
    """The vertebral column :func:`build_patient` builds for ``params`` (the same shapes; about 20 ms)."""
    return build_column(params, _streams(params)[:_N_COLUMN_STREAMS])


def build_patient(params: AnatomyParams) -> Patient:
    """Build the synthetic patient for ``params``.

    Parameters
    ----------
    params : AnatomyParams
        Level, size, bone quality, fracture, seed and voxel size (validated).

    Returns
    -------
    Patient
        ``volume``: fine grid (``params.voxel_mm``, LPS, [z, y, x], int16 HU, uint8 labels);
        ``context``: one 2 mm volume of the torso, air inside the fine box;
        ``landmarks``: target-vertebra landmarks (mm).
    """
    streams = _streams(params)
    col = build_column(params, streams[:_N_COLUMN_STREAMS])
    tex_rng, feat_rng = streams[_N_COLUMN_STREAMS], streams[_N_COLUMN_STREAMS + 1]
    torso = _torso(col, params)
    t = col.target

    lo, hi = fine_bounds(col, torso)
    cv = Canvas(Grid.from_bounds(lo, hi, params.voxel_mm))
    channels = _paint_scene(cv, col, torso, params)
    hu = _volume(cv, params, tex_rng, True, t.body.posterior_y + 2.0)
    fat = _VisceralFat(torso, -t.body.b - 6.0, _diaphragm_z(col), streams[_N_COLUMN_STREAMS + 3])
    fat.apply(cv, hu)
    gas = _fundus_gas(col, torso)
    if gas is not None:
        gas.apply(cv, hu)
    features.paint_nutrient_channels(cv, hu, channels, max(0.8, 0.6 * params.voxel_mm) * params.segmental_vein_scale)
    foramen = features.paint_basivertebral(cv, hu, t, params.basivertebral_vein_scale)
    feats = features.paint_fracture_features(cv, hu, t, params, feat_rng)
    fine = Volume(hu=hu, labels=cv.labels, grid=cv.grid,
                  meta={"kind": "fine", "level": params.level, "features": feats})

    clo = np.array([-torso.half_width_mm - 4.0, torso.anterior_y_mm - TABLE_MM - 4.0, -CONTEXT_HALF_Z_MM])
    chi = np.array([torso.half_width_mm + 4.0, torso.skin_y_mm + 4.0, CONTEXT_HALF_Z_MM])
    ccv = Canvas(Grid.from_bounds(clo, chi, CONTEXT_VOXEL_MM))
    _paint_scene(ccv, col, torso, params)
    _paint_table(ccv, torso.anterior_y_mm)
    chu = _volume(ccv, params, tex_rng, False, t.body.posterior_y + 2.0)
    _table_hu(ccv, chu, torso.anterior_y_mm)
    fat.apply(ccv, chu)
    if gas is not None:
        gas.apply(ccv, chu)
    _paint_bowel_gas(ccv, chu, torso, lo[1] - 10.0, _diaphragm_z(col) + 30.0, streams[_N_COLUMN_STREAMS + 2])
    _soften_soft_tissue(chu, ccv.labels)
    _clear_box(ccv, chu, cv.grid)
    context = Volume(hu=chu, labels=ccv.labels, grid=ccv.grid, meta={"kind": "context"})

    lm = compute_landmarks(params, col, torso, fine, foramen)
    return Patient(volume=fine, landmarks=lm, context=[context], params=params, source="synthetic")


class _VisceralFat:
    """Fat mixed into the viscera in front of the spine (mesentery, omentum, mediastinal fat) [NV].

    A smooth seeded fat fraction ``f`` (Gaussian-filtered noise, about 10 mm blobs, mean
    ``ABDOMEN_FAT`` below the diaphragm and ``THORAX_FAT`` above it) turns soft-tissue HU 40
    into ``40 - 140 f``.  The field is defined in patient coordinates on a 4 mm grid and
    interpolated, so the fine and the context volumes agree.  Without it the synthetic
    abdomen is solid 40 HU tissue, denser on a lateral view than a real abdomen of gut and fat.
    """

    ABDOMEN_FAT = 0.45
    THORAX_FAT = 0.2
    STEP_MM = 4.0

    def __init__(self, torso: Torso, y_front_mm: float, diaphragm_z_mm: float, rng):
        self.y_front = float(y_front_mm)
        st = self.STEP_MM
        nx = 2 * int(np.ceil(torso.half_width_mm / st)) + 1          # symmetric about x = 0
        ny = int(np.ceil((y_front_mm - torso.anterior_y_mm) / st)) + 1
        nz = 2 * int(np.ceil((CONTEXT_HALF_Z_MM + 10.0) / st)) + 1
        self.grid = Grid((nz, ny, nx), (st, st, st), (-(nx - 1) / 2 * st, y_front_mm - (ny - 1) * st,
                                                      -(nz - 1) / 2 * st))
        noise = ndi.gaussian_filter(rng.standard_normal(self.grid.shape), 10.0 / st / 2.0)
        noise = 0.5 * (noise + noise[:, :, ::-1])    # left-right symmetric, like the rest of the jitter-free patient
        noise /= max(float(noise.std()), 1e-6)
        z = self.grid.axis_mm("z")[:, None, None]
        mean = np.where(z < diaphragm_z_mm, self.ABDOMEN_FAT, self.THORAX_FAT)
        self.frac = np.clip(mean + 0.25 * noise, 0.0, 0.9).astype(np.float32)

    def apply(self, cv: Canvas, hu: np.ndarray):
        """Lower the HU of ``cv``'s soft-tissue voxels in front of ``y_front`` (in place)."""
        j1 = int(np.searchsorted(cv.y, self.y_front))
        if j1 <= 0:
            return
        sub = (slice(None), slice(0, j1), slice(None))
        m = cv.labels[sub] == Label.SOFT_TISSUE
        k, j, i = np.nonzero(m)
        if k.size == 0:
            return
        pts = cv.grid.index_to_mm(np.stack([k, j, i], axis=1))
        kji = self.grid.mm_to_index(pts)
        f = ndi.map_coordinates(self.frac, kji.T, order=1, mode="nearest")
        h = hu[sub]
        h[k, j, i] = np.rint(h[k, j, i] - 140.0 * f).astype(np.int16)


#: Carbon-fibre tabletop under the prone patient [NV]: a 20 mm sandwich of two carbon-fibre skins
#: over a foam core, attenuating like about 1 mm of aluminium (about 4 mm of water), the order of
#: the limits set for patient supports; the patient's front rests on it.
TABLE_MM = 20.0
TABLE_SKIN_HU = -200      #: a 2 mm voxel holding a thin carbon-fibre skin (partial volume)
TABLE_CORE_HU = -950      #: rigid foam core


def _table_rows(cv: Canvas, anterior_y_mm: float) -> tuple[int, int]:
    """(first, end) y indices of the slab ``TABLE_MM`` thick in front of the patient."""
    return int(np.searchsorted(cv.y, anterior_y_mm - TABLE_MM)), int(np.searchsorted(cv.y, anterior_y_mm))


def _paint_table(cv: Canvas, anterior_y_mm: float):
    """Label the tabletop: the slab ``TABLE_MM`` thick in front of the patient, across the whole box."""
    j0, j1 = _table_rows(cv, anterior_y_mm)
    sub = cv.labels[:, j0:j1]
    sub[sub == Label.AIR] = Label.TABLE


def _table_hu(cv: Canvas, hu: np.ndarray, anterior_y_mm: float):
    """Skins on both faces of the tabletop, foam between (in place)."""
    j0, j1 = _table_rows(cv, anterior_y_mm)
    sub_l, sub_h = cv.labels[:, j0:j1], hu[:, j0:j1]
    m = sub_l == Label.TABLE
    sub_h[m] = TABLE_CORE_HU
    for j in (0, j1 - j0 - 1):
        face = sub_l[:, j] == Label.TABLE
        sub_h[:, j][face] = TABLE_SKIN_HU


#: HU of bowel gas (a little partial volume with the bowel wall)
BOWEL_GAS_HU = -900


def _paint_bowel_gas(cv: Canvas, hu: np.ndarray, torso: Torso, y_front_of_fine_mm: float, z_top_mm: float, rng):
    """A few seeded gas pockets (HU only; the label stays SOFT_TISSUE) in front of the spine,
    below the diaphragm and in front of the fine box, so none is cut by the fine box."""
    pockets = bowel_gas_pockets(torso, y_front_of_fine_mm, min(z_top_mm, CONTEXT_HALF_Z_MM), -CONTEXT_HALF_Z_MM,
                                rng)
    for c, r in pockets:
        r = np.minimum(r, np.array([20.0, y_front_of_fine_mm - c[1], 20.0]))
        f, lo, hi = ellipsoid(c, r)
        b = cv.box(lo, hi)
        if b is None:
            continue
        sl, x, y, z = b
        m = np.broadcast_to(f(x, y, z), hu[sl].shape) & (cv.labels[sl] == Label.SOFT_TISSUE)
        hu[sl][m] = BOWEL_GAS_HU


#: Gaussian SD (voxels) that partial-volumes the context's soft-tissue boundaries (skin, fat
#: planes, muscles, lung): a 2 mm staircase edge otherwise draws faint stripes on the image
_CONTEXT_SOFT_SIGMA = 0.7


def _soften_soft_tissue(hu: np.ndarray, labels: np.ndarray):
    """Blur the context's soft-tissue HU in place; bone and air voxels keep their values, bone does not bleed."""
    bone = bone_mask(labels)
    soft = hu.astype(np.float32)
    soft[bone] = TISSUE_HU[Label.SOFT_TISSUE]
    ndi.gaussian_filter(soft, _CONTEXT_SOFT_SIGMA, output=soft, truncate=2.5)
    keep = ~bone & (labels != Label.AIR) & (labels != Label.TABLE)  # air stays exactly -1000 (renderers rely on it)
    hu[keep] = np.rint(soft[keep]).astype(np.int16)


def _clear_box(cv: Canvas, hu: np.ndarray, fine: Grid):
    """Empty the context voxels that lie wholly inside the fine grid's extent (the renderer refills every voxel
    centred in it from the fine volume).

    The fine volume answers a label wherever it covers the point (:func:`~trainer.core.procedure.tissue.labels_at`),
    so a context voxel the fine box covers only in part keeps its tissue for the rest.  Emptied by its centre
    (until round 26) it left a slab of air up to half a context voxel thick round the box, and a trocar line that
    met the skin there was refused (a real CT's fine box cuts through the back's skin: realct-log pass 124).
    """
    covered = cv.grid.wholly_inside(fine)
    if covered is not None:
        cv.labels[covered] = Label.AIR
        hu[covered] = -1000
