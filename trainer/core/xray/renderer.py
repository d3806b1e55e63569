"""The fluoroscopy renderer: static anatomy line integrals per pose, plus trocar and cement.

Construction turns the patient's CT numbers into two linear "channels" (the HU -> mu
model is ``mu = water(E) * A + bone_slope(E) * B`` with ``A = 1 + min(HU, 0)/1000`` and
``B = max(HU, 0)``), so the attenuation volume for any tube potential is a cheap linear
combination.  The context volumes' empty box is filled with the fine volume averaged to
their grid, and the fine volume (pooled to ``fine_pool`` voxels) is rendered as a detail
volume on top (fine minus the interpolated context), so the two never double-count and
no seam appears at the fine box edges.  The continuous model the projections approximate
is: inside the fine box, trilinear interpolation of the fine volume; outside, trilinear
interpolation of the filled context (see :mod:`trainer.core.xray.raymarch`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from collections import OrderedDict

import numpy as np
from scipy import ndimage

from trainer.core.anatomy.grid import Grid, float3, int3
from trainer.core.anatomy.hu import mask_box
from trainer.core.anatomy.labels import Label
from trainer.core.anatomy.radiographic import (
    outer_rod_texture,
    radiographic_context_hu,
    radiographic_hu,
    rod_texture_tile,
)
from trainer.core.errors import ParameterError
from trainer.core.xray import materials, spectrum
from trainer.core.xray.beam import Beam
from trainer.core.xray.cement_look import ct_marrow_fields, interdigitate
from trainer.core.xray.geometry import CArmGeometry, Frame, Pose, frame_for
from trainer.core.xray.overlays import add_cement, add_trocar
from trainer.core.xray.projector import SlabProjector, frame_rays
from trainer.core.xray.shapes import MARK_CEMENT, MARK_STEEL, CementDeposit, TrocarShape

__all__ = ["FluoroRenderer", "hu_channels", "fine_box_mm"]


def hu_channels(hu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two linear channels ``A = 1 + min(HU,0)/1000`` (clipped at 0) and ``B = max(HU,0)`` (float32)."""
    h = np.asarray(hu, np.float32)
    a = np.clip(1.0 + np.minimum(h, 0.0) * np.float32(1e-3), 0.0, 1.0).astype(np.float32)
    b = np.maximum(h, 0.0).astype(np.float32)
    return a, b


def fine_box_mm(grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """Outer faces (lo, hi) of a grid's voxels, (x, y, z) mm."""
    sp = np.asarray(grid.spacing_xyz_mm)
    return np.asarray(grid.origin_mm) - sp / 2, grid.upper_mm + sp / 2


#: a context voxel centred this close (mm) outside the fine box's face is refilled too
_FACE_TOL_MM = 1e-3

#: each vertebral body's box on the fine grid (its segmented body grown by this, mm) is drawn at the fine grid's resolution
SHARP_MARGIN_MM = 2.0
_SHARP_LABELS = (Label.BODY_CORTEX, Label.CANCELLOUS, Label.CLEFT, Label.BASIVERTEBRAL_VEIN)

#: seed of the rod texture a CT patient's cement margin follows (:func:`cement_look.ct_marrow_fields`):
#: fixed, so the same patient and deposit are drawn the same in every session
CT_ROD_SEED = 20261203

#: the trocar or cement "covers" a pixel when it adds more than this to its -ln T (10 % darker)
METAL_MASK_LOG = 0.1
#: a covered pixel is the trocar's (not graded by the display) when the steel chord is at least this (mm)
_STEEL_MARK_MM = 0.05


def _digest(cement: CementDeposit) -> bytes:
    """Content digest of a cement deposit (its voxels and fill fractions)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(np.ascontiguousarray(cement.ijk).tobytes())
    h.update(np.ascontiguousarray(cement.fraction).tobytes())
    h.update(repr(cement.viscosity_pa_s).encode())
    return h.digest()


def _sample(arr: np.ndarray, grid: Grid, pts_mm: np.ndarray, mode: str = "constant") -> np.ndarray:
    """Trilinear samples of ``arr`` on ``grid`` at (M, 3) points (zero outside unless mode='nearest')."""
    kji = grid.mm_to_index(pts_mm)
    return ndimage.map_coordinates(arr, kji.T, order=1, mode=mode, cval=0.0, prefilter=False)


def _down2(a: np.ndarray, axis: int) -> np.ndarray:
    """[1, 2, 1]/4 filter along ``axis`` ('nearest' edges) evaluated at the even samples only."""
    a = np.moveaxis(a, axis, 0)
    n = a.shape[0]
    even, odd = a[0::2], a[1::2]
    m = even.shape[0]
    b = even * np.float32(0.5)
    b[:odd.shape[0]] += np.float32(0.25) * odd          # right neighbour 2k+1
    if odd.shape[0] < m:                                 # n odd: the last even sample's right is itself
        b[-1] += np.float32(0.25) * a[n - 1]
    b[1:] += np.float32(0.25) * odd[:m - 1]              # left neighbour 2k-1
    b[0] += np.float32(0.25) * a[0]
    return np.moveaxis(b, 0, axis)


def _pool(arr: np.ndarray, f: int) -> np.ndarray:
    """Anti-aliased downsampling by ``f`` keeping voxel 0 as the first centre.

    ``f = 2`` uses the separable [1, 2, 1]/4 filter, larger factors a box of ``f``
    voxels; either way the kept centres are a subset of the original ones, so a grid that
    is symmetric about the midline stays symmetric.
    """
    out = np.asarray(arr, np.float32)
    if f == 1:
        return out.copy()
    if f == 2:
        for ax in range(3):
            out = _down2(out, ax)
        return np.ascontiguousarray(out)
    out = ndimage.uniform_filter(out, size=f, mode="nearest")
    return np.ascontiguousarray(out[::f, ::f, ::f])


def _pooled_channels(hu: np.ndarray, f: int, chunk: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """:func:`hu_channels` of ``hu`` downsampled by ``f``, a few slices at a time.

    Working in chunks of ``chunk`` output slices keeps the float32 copies of a large CT
    volume (hundreds of MB) out of memory; for ``f = 2`` the result equals
    ``_pool(hu_channels(hu)[i], 2)``.
    """
    if f != 2:
        a, b = hu_channels(hu)
        return _pool(a, f), _pool(b, f)
    nz = hu.shape[0]
    mz = (nz + 1) // 2
    outs: list[np.ndarray] | None = None
    for k0 in range(0, mz, chunk):
        k1 = min(mz, k0 + chunk)
        lo, hi = max(0, 2 * k0 - 1), min(nz, 2 * k1)
        chans = [_down2(_down2(c, 1), 2) for c in hu_channels(hu[lo:hi])]
        if outs is None:
            outs = [np.empty((mz,) + c.shape[1:], np.float32) for c in chans]
        ks = np.arange(k0, k1)
        c = 2 * ks - lo
        prev = np.where(2 * ks - 1 >= 0, c - 1, c)
        nxt = np.where(2 * ks + 1 < nz, c + 1, c)
        for out, ch in zip(outs, chans):
            out[k0:k1] = np.float32(0.25) * ch[prev] + np.float32(0.5) * ch[c] + np.float32(0.25) * ch[nxt]
    assert outs is not None             # mz >= 1: the loop ran
    return outs[0], outs[1]


def _resample_aligned(arr: np.ndarray, src: Grid, dst: Grid) -> np.ndarray:
    """Trilinear samples of ``arr`` (on axis-aligned ``src``) at every voxel centre of ``dst`` (zero outside).

    Separable: one linear interpolation per axis on a zero-padded copy.
    """
    out = np.pad(np.asarray(arr, np.float32), 1)
    for ax in range(3):                      # array axes z, y, x
        w_ax = 2 - ax                        # world axis index (x=0, y=1, z=2)
        n_src = src.shape[ax]
        pos = (dst.origin_mm[w_ax] + dst.spacing_xyz_mm[w_ax] * np.arange(dst.shape[ax]) - src.origin_mm[w_ax]) \
            / src.spacing_xyz_mm[w_ax] + 1.0
        pos = np.clip(pos, 0.0, n_src + 1.0)
        i0 = np.minimum(pos.astype(np.intp), n_src)
        w = (pos - i0).astype(np.float32)
        shape = [1, 1, 1]
        shape[ax] = -1
        w = w.reshape(shape)
        out = np.take(out, i0, axis=ax) * (1 - w) + np.take(out, i0 + 1, axis=ax) * w
    return np.ascontiguousarray(out, np.float32)


def _crop_to(src: Grid, dst: Grid) -> tuple[tuple[slice, ...], Grid]:
    """The slices of ``src`` (array order z, y, x) and their grid that cover ``dst``'s voxel centres
    with one voxel to spare: :func:`_resample_aligned` on the crop gives the same samples."""
    lo = (np.asarray(dst.origin_mm) - np.asarray(src.origin_mm)) / np.asarray(src.spacing_xyz_mm)
    hi = (np.asarray(dst.upper_mm) - np.asarray(src.origin_mm)) / np.asarray(src.spacing_xyz_mm)
    n = np.asarray(src.shape)[::-1]                                  # x, y, z
    i0 = np.clip(np.floor(lo).astype(int) - 1, 0, n)
    i1 = np.clip(np.ceil(hi).astype(int) + 2, i0, n)
    sub = tuple(slice(int(a), int(b)) for a, b in zip(i0[::-1], i1[::-1]))
    grid = Grid(int3(tuple(int(b - a) for a, b in zip(i0[::-1], i1[::-1]))), src.spacing_xyz_mm,
                float3(np.asarray(src.origin_mm) + i0 * np.asarray(src.spacing_xyz_mm)))
    return sub, grid


#: the drawn volumes of the last few patients (:func:`_volumes_key` -> (:func:`_drawers`, the renderer's volumes)): they depend on
#: the patient only, and a batch builds a renderer per procedure (a fresh patient object each time, read from
#: the on-disk cache) or per detector size; they took about 0.5 s of CPU per renderer (docs/realct-log.md, pass 138)
_VOLUMES: OrderedDict = OrderedDict()
_KEEP_VOLUMES = 2


def _drawers() -> tuple:
    """The functions the drawn volumes are made with (kept with them: a volume drawn by another is not reused)."""
    return (radiographic_hu, radiographic_context_hu, outer_rod_texture, hu_channels, _pooled_channels)


def _volumes_key(patient, fine_pool: int) -> str:
    """Digest of all the drawn volumes are made of: every volume's HU, labels, blood pool and grid, the
    landmarks, the anatomy parameters and the pooling factor (a patient changed in place gets another key)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(repr((int(fine_pool), patient.params, getattr(patient, "source", None))).encode())
    h.update(repr(_plain(patient.landmarks)).encode())
    for vol in (patient.volume, *patient.context):
        h.update(repr(vol.grid).encode())
        for a in (vol.hu, vol.labels, getattr(vol, "blood_pool", None)):
            if a is not None:
                h.update(repr((a.dtype.str, a.shape)).encode())
                h.update(np.ascontiguousarray(a).data)
    return h.hexdigest()


def _plain(x):
    """``x`` with NumPy scalars as Python numbers and arrays as (dtype, shape, bytes): equal values, equal repr
    (a patient read from the on-disk cache holds floats where the built one held ``np.float64``)."""
    if isinstance(x, np.ndarray):
        return ("array", x.dtype.str, x.shape, x.tobytes())
    if isinstance(x, np.generic):
        return x.item()
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return (type(x).__name__, tuple(_plain(getattr(x, f.name)) for f in dataclasses.fields(x)))
    if isinstance(x, (tuple, list)):
        return tuple(_plain(v) for v in x)
    if isinstance(x, dict):
        return tuple(sorted((str(k), _plain(v)) for k, v in x.items()))
    return x


class FluoroRenderer:
    """Perspective DRRs of one patient for one C-arm.

    Parameters
    ----------
    patient : Patient
        Fine ``volume`` plus coarser ``context`` volumes (empty inside the fine box).
    geometry : CArmGeometry
    patient_roll_deg : float
        Patient rotation about the long axis (a true AP then needs orbital = roll).
    fine_pool : int
        Pool the fine volume by this factor for rendering (2: 0.5 mm -> 1 mm).
    cu_mm : float
        Added copper filtration of the beam (FACTS.md 5.2 default 0.1 mm).
    cache_size : int
        How many (pose, kVp) line-integral images to keep.
    """

    def __init__(self, patient, geometry: CArmGeometry, patient_roll_deg: float = 0.0, fine_pool: int = 2,
                 cu_mm: float = 0.1, cache_size: int = 8):
        self.patient = patient
        self.geometry = geometry
        self.patient_roll_deg = float(patient_roll_deg)
        self.cu_mm = float(cu_mm)
        self._cache: OrderedDict = OrderedDict()          # (pose, kVp) -> effective line integrals
        self._basis: OrderedDict = OrderedDict()          # pose -> (water_mm, bone_mm)
        self._cache_size = int(cache_size)
        self._projectors: tuple[list[SlabProjector], list[SlabProjector]] | None = None
        self.fine_grid = patient.volume.grid
        f = max(1, int(fine_pool))
        self._hu: np.ndarray
        self.detail_grid: Grid
        self._context: list[tuple[Grid, np.ndarray, np.ndarray]]
        self._detail: tuple[np.ndarray, np.ndarray]
        self._sharp: list[tuple[Grid, np.ndarray, np.ndarray]]
        self._texture: list[tuple[Grid, np.ndarray]]
        key = _volumes_key(patient, f)
        kept = _VOLUMES.pop(key, None)
        drawers = _drawers()
        if kept is None or any(a is not b for a, b in zip(kept[0], drawers)):
            self._build_volumes(f)
            kept = (drawers, (self._hu, self.detail_grid, self._context, self._detail, self._sharp, self._texture))
        else:
            self._hu, self.detail_grid, self._context, self._detail, self._sharp, self._texture = kept[1]
        _VOLUMES[key] = kept                              # the most recent last
        while len(_VOLUMES) > _KEEP_VOLUMES:
            _VOLUMES.pop(next(iter(_VOLUMES)))
        self._lock = threading.RLock()
        self._last_shot: tuple | None = None               # (key, image, metal) of the last render with overlays
        self._marrow: tuple | None = None                  # (origin, marrow field, cancellous mask), on first cement
        self._drawn: tuple | None = None                   # (digest, deposit as drawn) of the last cement

    def _build_volumes(self, f: int) -> None:
        """The patient's volumes as drawn (they do not depend on the geometry; :data:`_VOLUMES` keeps them)."""
        lo, hi = fine_box_mm(self.fine_grid)
        patient = self.patient
        fine = patient.volume
        # The fine HU as drawn (vertical trabeculae, regional shell; the flow reads fine.hu itself),
        # downsampled for rendering (the detail volume's base).
        self._hu = radiographic_hu(patient)
        pa, pb = _pooled_channels(self._hu, f)
        self.detail_grid = Grid(int3(pa.shape), float3(float(v) * f for v in fine.grid.spacing_xyz_mm), fine.grid.origin_mm)
        # Context volumes with the fine box filled by the fine channels averaged to their grid.
        self._context = []
        for vol in patient.context:
            ca, cb = hu_channels(radiographic_context_hu(patient, vol))
            g = vol.grid
            pts = self._inside_points(g, lo, hi)
            if pts[0].size:
                k, j, i = pts
                centres = g.index_to_mm(np.stack([k, j, i], axis=-1))
                size = np.maximum(1, np.rint(np.asarray(g.spacing_xyz_mm) / np.asarray(self.detail_grid.spacing_xyz_mm)))
                size = tuple(int(s) for s in size[::-1])
                for src, dst in ((pa, ca), (pb, cb)):
                    sm = ndimage.uniform_filter(src, size=size, mode="nearest") if max(size) > 1 else src
                    dst[k, j, i] = _sample(sm, self.detail_grid, centres, mode="nearest")
            self._context.append((g, ca, cb))
        # Detail volume: pooled fine minus the filled context interpolated at its voxel centres.
        for g, ca, cb in self._context:
            pa -= _resample_aligned(ca, g, self.detail_grid)
            pb -= _resample_aligned(cb, g, self.detail_grid)
        self._detail = (pa, pb)
        # The vertebral bodies at the fine grid's own resolution: the fine HU minus what the context,
        # the pooled detail and the boxes before already draw there (overlapping boxes count once)
        self._sharp = self._sharp_bodies(f)
        # Rod texture of the vertebral bodies beyond the fine grid (two and more levels away), on the
        # detail grid's lattice: HU added outside the fine box (zero mean, so no mass moves)
        self._texture = []
        for g, delta in outer_rod_texture(patient):
            tb = _pool(delta, f)
            self._texture.append((Grid(int3(tb.shape), float3(float(v) * f for v in g.spacing_xyz_mm), g.origin_mm), tb))

    def _sharp_bodies(self, f: int) -> list[tuple[Grid, np.ndarray, np.ndarray]]:
        """``(grid, A, B)`` per vertebral body on the fine grid (the target's, and each neighbour's in
        front of the posterior wall): the residual channels that draw the body's box (grown by
        :data:`SHARP_MARGIN_MM`) at the fine grid's resolution on top of the pooled detail.

        Pooled to 1 mm, a 1 mm cortex projected at a tangent (a concave endplate's deepest line,
        the posterior wall) lost about half its peak, and the sunken endplate of a biconcave fracture
        vanished from the lateral (docs/imaging.md, "Lateral endplates").  Empty when nothing is
        pooled or the patient has no body segmentation.
        """
        if f <= 1:
            return []
        fine = self.patient.volume
        masks = []
        target = np.isin(fine.labels, _SHARP_LABELS)
        tbox = mask_box(target)
        if tbox is not None:
            masks.append(target)
            lm = getattr(self.patient, "landmarks", None)
            neigh = fine.labels == Label.ADJACENT_VERTEBRA
            if lm is not None and neigh.any():
                j_post = int(np.searchsorted(fine.grid.axis_mm("y"), float(lm.posterior_wall_y_mm) + 2.0))
                neigh[:, j_post:, :] = False                 # their bodies only
                kmid = (tbox[0].start + tbox[0].stop) // 2
                for part in (slice(kmid, None), slice(0, kmid)):   # above, below the target
                    m = np.zeros_like(neigh)
                    m[part] = neigh[part]
                    masks.append(m)
        out: list[tuple[Grid, np.ndarray, np.ndarray]] = []
        sp = np.asarray(fine.grid.spacing_xyz_mm)        # x, y, z
        pad = np.ceil(SHARP_MARGIN_MM / sp[::-1]).astype(int)     # z, y, x
        for m in masks:
            box = mask_box(m)
            if box is None:
                continue
            box = tuple(slice(max(0, b.start - int(q)), min(n, b.stop + int(q))) for b, q, n in zip(box, pad, fine.hu.shape))
            start = np.array([b.start for b in box])[::-1]              # x, y, z
            grid = Grid(int3(tuple(b.stop - b.start for b in box)), fine.grid.spacing_xyz_mm,
                        float3(np.asarray(fine.grid.origin_mm) + start * sp))
            sa, sb = hu_channels(self._hu[box])
            for g, ca, cb in self._context + [(self.detail_grid, *self._detail)] + out:
                sub, sg = _crop_to(g, grid)
                sa -= _resample_aligned(ca[sub], sg, grid)
                sb -= _resample_aligned(cb[sub], sg, grid)
            out.append((grid, sa, sb))
        return out

    def _marrow_field(self) -> tuple:
        """The target body's marrow field (positive between trabeculae, unit SD) and its cancellous
        mask on the body's box, with the box's fine-grid origin (:func:`cement_look.interdigitate`).

        The trabeculae are the drawn bone's fine structure: the drawn HU minus its 1.5 mm local mean.
        A CT patient's fields come from its own HU (:func:`cement_look.ct_marrow_fields`), with a
        lobe field of their own (fourth item; None for a synthetic patient).
        """
        if self._marrow is None:
            vol = self.patient.volume
            canc = vol.labels == Label.CANCELLOUS
            box = mask_box(canc)
            if box is None:
                self._marrow = ((0, 0, 0), np.zeros((1, 1, 1), np.float32), np.zeros((1, 1, 1), bool), None)
                return self._marrow
            sp = float(min(vol.grid.spacing_xyz_mm))
            h = self._hu[box].astype(np.float32)
            c = canc[box]
            if getattr(self.patient, "from_ct", False):          # a patient CT: its own bone
                tile = rod_texture_tile(sp, np.random.default_rng(CT_ROD_SEED))
                tz, ty, tx = tile.shape
                kk, jj, ii = (np.arange(b.start, b.stop) for b in box)
                rods = tile[np.ix_(kk % tz, jj % ty, ii % tx)]
                marrow, lobe = ct_marrow_fields(h, c, sp, rods)
                self._marrow = (tuple(int(s.start) for s in box), marrow, c, lobe)
                return self._marrow
            hc = np.where(c, h, np.float32(float(h[c].mean())))
            fine = hc - ndimage.gaussian_filter(hc, 1.5 / sp, truncate=2.5)
            sd = float(fine[c].std()) or 1.0
            marrow = (-(fine - float(fine[c].mean())) / sd).astype(np.float32)
            self._marrow = (tuple(int(s.start) for s in box), marrow, c, None)
        return self._marrow

    def drawn_cement(self, cement: CementDeposit) -> CementDeposit:
        """The deposit as drawn: its margin interdigitated with the trabeculae (:mod:`cement_look`)."""
        key = _digest(cement)
        with self._lock:
            if self._drawn is not None and self._drawn[0] == key:
                return self._drawn[1]
        origin, marrow, canc, lobe = self._marrow_field()
        drawn = interdigitate(cement, marrow, canc, float(min(self.fine_grid.spacing_xyz_mm)), origin, lobe)
        with self._lock:
            self._drawn = (key, drawn)
        return drawn

    @staticmethod
    def _inside_points(g: Grid, lo, hi):
        """Context voxels (k, j, i) refilled from the fine box: centres in the closed box, with a
        micrometre to spare (every voxel the context builders empty, ``builder._clear_box`` and
        ``ct_patient._context``: those wholly inside the box).  A voxel emptied but not refilled is a
        slab of air across the body: a real CT's slice centred on the box's face drew a bright band
        (the 3 mm abdominal CT)."""
        ax = [g.axis_mm(c) for c in "xyz"]
        sel = [np.nonzero((a >= low - _FACE_TOL_MM) & (a <= high + _FACE_TOL_MM))[0] for a, low, high in zip(ax, lo, hi)]
        if any(s.size == 0 for s in sel):
            return (np.array([], int),) * 3
        k, j, i = np.meshgrid(sel[2], sel[1], sel[0], indexing="ij")
        return k.ravel(), j.ravel(), i.ravel()

    # -- materials -------------------------------------------------------------------------
    def beam(self, kvp: float) -> Beam:
        return Beam(float(kvp), self.cu_mm)

    def energy_kev(self, kvp: float) -> float:
        """Mean photon energy of the beam (keV); the image itself is polyenergetic."""
        return self.beam(kvp).effective_kev

    def lookup(self, kvp: float) -> spectrum.PolyLookup:
        """The beam-hardening lookup ``-ln T(water_mm, bone_mm)`` of this beam."""
        return spectrum.poly_lookup(float(kvp), self.cu_mm)

    @property
    def bone_ratio(self) -> float:
        """``rho``: extra attenuation of 1 mm of cortical bone over water, in mm of water.

        Detector-weighted for the 85 kVp beam behind 200 mm of water, so the split of the
        combined projection into water and bone (see :meth:`_project_basis`) is first-order
        insensitive to the coarse bone estimate.
        """
        w = spectrum.detector_weights(85.0, self.cu_mm) * np.exp(-spectrum.linear_mu_per_mm("water") * 200.0)
        mw = spectrum.linear_mu_per_mm("water")
        mb = spectrum.linear_mu_per_mm("cortical_bone") - mw
        return float((w * mb).sum() / (w * mw).sum())

    def _basis_projectors(self) -> tuple[list[SlabProjector], list[SlabProjector]]:
        """Full-resolution projectors of the combined channel ``A + rho B / HU_BONE`` (water-equivalent
        mm) and coarse (2x pooled) projectors of the bone channel ``B / HU_BONE`` (mm of cortical bone)."""
        if self._projectors is None:
            k = np.float32(1.0 / spectrum.HU_BONE)
            rho = np.float32(self.bone_ratio)
            vols = [(g, ca, cb) for g, ca, cb in self._context] + [(self.detail_grid, *self._detail)]
            full = [SlabProjector(ca + (rho * k) * cb, g) for g, ca, cb in vols]
            # the outer bodies' texture only in the combined projection: zero mean, it averages out of
            # the coarse bone path (2 mm) and so counts as water-equivalent path (5 ms a pose less per volume)
            full += [SlabProjector((rho * k) * tb, g) for g, tb in self._texture]
            # the sharp body residual likewise (it is the fine part only: the pooled bone path keeps
            # the body's bone, so the beam hardening is unchanged to first order)
            full += [SlabProjector(sa + (rho * k) * sb, g) for g, sa, sb in self._sharp]
            coarse = []
            for g, _, cb in vols:
                pooled = _pool(cb * k, 2)
                coarse.append(SlabProjector(pooled, Grid(int3(pooled.shape), float3(2.0 * v for v in g.spacing_xyz_mm),
                                                         g.origin_mm)))
            self._projectors = (full, coarse)
        return self._projectors

    def mu_volumes(self, kvp: float) -> dict:
        """The continuous model's volumes at the beam's mean energy (1/mm): ``'fine'`` and ``'context'``.

        A mono-energetic view used by comparisons with other ray casters (ITK); the
        fine volume is the unpooled one.
        """
        m = materials.hu_model(self.energy_kev(kvp))
        w, s = np.float32(m.water_per_mm), np.float32(m.bone_slope_per_mm_hu)
        fa, fb = hu_channels(self._hu)
        return {"fine": (self.fine_grid, w * fa + s * fb),
                "context": [(g, w * ca + s * cb) for g, ca, cb in self._context]
                + [(g, s * tb) for g, tb in self._texture]}

    def basis_volumes(self) -> dict:
        """The continuous model's basis volumes ``{'water': ..., 'bone': ...}``, each like :meth:`mu_volumes`.

        ``water`` is channel A (dimensionless), ``bone`` is ``max(HU, 0) / HU_BONE``; their line
        integrals are the water and cortical-bone path lengths (mm) of :meth:`basis_integrals`.
        """
        fa, fb = hu_channels(self._hu)
        k = np.float32(1.0 / spectrum.HU_BONE)
        return {"water": {"fine": (self.fine_grid, fa), "context": [(g, ca) for g, ca, _ in self._context]},
                "bone": {"fine": (self.fine_grid, fb * k), "context": [(g, cb * k) for g, _, cb in self._context]
                         + [(g, tb * k) for g, tb in self._texture]}}

    # -- projection ------------------------------------------------------------------------
    def frame(self, pose: Pose) -> Frame:
        """The C-arm frame for ``pose`` with this patient's roll."""
        return frame_for(self.geometry, pose, self.patient_roll_deg)

    def _project_basis(self, frame: Frame, rays) -> tuple[np.ndarray, np.ndarray]:
        """Water and bone path lengths (mm): the combined water-equivalent projection ``M`` at full
        resolution, the bone path ``L_b`` from the coarse volumes, and ``L_w = M - rho L_b``."""
        full, coarse = self._basis_projectors()
        water = np.zeros(rays.path.shape, np.float32)
        bone = np.zeros(rays.path.shape, np.float32)
        for proj in full:
            water += proj.project(frame, rays, with_path=False)
        for proj in coarse:
            bone += proj.project(frame, rays, with_path=False)
        water *= rays.path
        bone *= rays.path
        np.maximum(bone, 0.0, out=bone)
        water -= np.float32(self.bone_ratio) * bone
        np.maximum(water, 0.0, out=water)
        return water, bone

    def basis_integrals(self, pose: Pose) -> tuple[np.ndarray, np.ndarray]:
        """Water-equivalent and cortical-bone path lengths (mm, float32 (N, N), read-only) for ``pose``.

        Independent of the beam; cached per pose (least recently used first out).
        """
        with self._lock:
            if pose in self._basis:
                self._basis.move_to_end(pose)
                return self._basis[pose]
            frame = self.frame(pose)
            water, bone = self._project_basis(frame, frame_rays(frame))
            water.flags.writeable = False
            bone.flags.writeable = False
            self._basis[pose] = (water, bone)
            while len(self._basis) > self._cache_size:
                self._basis.popitem(last=False)
            return water, bone

    def line_integrals(self, pose: Pose, kvp: float) -> np.ndarray:
        """Static-anatomy effective line integrals ``-ln T`` of the polyenergetic beam.

        Dimensionless, float32 (N, N), read-only; cached per ``(pose, kvp)``.
        """
        key = (pose, round(float(kvp), 3))
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            water, bone = self.basis_integrals(pose)
            img = self.lookup(kvp)(water, bone)
            img.flags.writeable = False
            self._cache[key] = img
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
            return img

    def line_integrals_at(self, pose: Pose, kvp: float, rows, cols) -> np.ndarray:
        """Static-anatomy line integrals at the detector pixels ``rows`` x ``cols`` only.

        The same values as ``line_integrals(pose, kvp)[np.ix_(rows, cols)]`` (every step
        after the per-volume intermediate images is per pixel) without resampling the rest
        of the detector: what a shot's dose needs when no image is made.  Not cached.
        """
        key = (pose, round(float(kvp), 3))
        with self._lock:
            if key in self._cache:
                return np.array(self._cache[key][np.ix_(np.asarray(rows), np.asarray(cols))])
            if pose in self._basis:
                water, bone = (b[np.ix_(np.asarray(rows), np.asarray(cols))] for b in self._basis[pose])
            else:
                frame = self.frame(pose)
                water, bone = self._project_basis(frame, frame_rays(frame, rows, cols))
            return self.lookup(kvp)(water, bone)

    def render(self, pose: Pose, kvp: float, trocar: TrocarShape | tuple | None = None,
               cement: CementDeposit | None = None, as_drawn: bool = False) -> np.ndarray:
        """Effective line integrals of the anatomy plus the trocar (steel) and cement (PMMA + BaSO4).

        Where the trocar or cement lies, ``-ln T`` is summed over the spectrum's energy bins
        with the anatomy's water and bone path lengths, the steel chord and the cement
        path (which displaces the anatomy it fills), so the metal and the barium harden the
        beam as they do.  ``as_drawn``: the cement is already as drawn (:meth:`drawn_cement`), so its
        margin is not interdigitated again.  Returns a new float32 (N, N) array (dimensionless).
        """
        return self.render_shot(pose, kvp, trocar, cement, as_drawn)[0]

    def render_shot(self, pose: Pose, kvp: float, trocar: TrocarShape | tuple | None = None,
                    cement: CementDeposit | None = None, as_drawn: bool = False
                    ) -> tuple[np.ndarray, np.ndarray | None]:
        """:meth:`render` and the pixels the trocar or cement darken by more than
        :data:`METAL_MASK_LOG` (uint8 (N, N), None without either): :data:`~trainer.core.xray.shapes.MARK_STEEL`
        where the steel crosses at least :data:`_STEEL_MARK_MM` of the ray, else
        :data:`~trainer.core.xray.shapes.MARK_CEMENT`, 0 elsewhere.  What the display keeps apart from
        the anatomy and grades (:func:`trainer.core.xray.display.present`).
        """
        if isinstance(trocar, tuple) and not trocar:
            trocar = None
        has_cement = cement is not None and bool(cement.voxels)
        if trocar is None and not has_cement:
            return np.array(self.line_integrals(pose, kvp), np.float32), None
        # a repeat shot with nothing moved (same pose, beam, trocar and cement) reuses the last sum
        key = (pose, round(float(kvp), 3), trocar, _digest(cement) if cement is not None and has_cement else None,
               bool(as_drawn))
        with self._lock:
            last = self._last_shot
        if last is not None and last[0] == key:
            return last[1].copy(), last[2].copy()
        img, steel = self._render_overlays(pose, kvp, trocar, cement if has_cement else None, as_drawn)
        marked = (img - self.line_integrals(pose, kvp)) > np.float32(METAL_MASK_LOG)
        metal = np.where(marked, np.where(steel >= np.float32(_STEEL_MARK_MM), MARK_STEEL, MARK_CEMENT), 0)
        metal = metal.astype(np.uint8)
        img.flags.writeable = False
        metal.flags.writeable = False
        with self._lock:
            self._last_shot = (key, img, metal)
        return img.copy(), metal.copy()

    def _render_overlays(self, pose: Pose, kvp: float, trocar, cement: CementDeposit | None,
                         as_drawn: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """The shot's ``-ln T`` with the overlays, and the steel chord per pixel (mm)."""
        img = np.array(self.line_integrals(pose, kvp), np.float32)
        has_cement = cement is not None
        frame = self.frame(pose)
        n = self.geometry.pixels
        steel = np.zeros((n, n), np.float32)
        paste = np.zeros((n, n), np.float32)
        if trocar is not None:            # one shape, or a tuple of them (bipedicular: both trocars)
            for shape in (trocar if isinstance(trocar, tuple) else (trocar,)):
                add_trocar(steel, frame, shape, 1.0)
        disp_w = disp_b = 0.0
        if cement is not None and has_cement:
            lo_ok = cement.ijk.min(axis=0) >= 0
            hi_ok = cement.ijk.max(axis=0) < np.asarray(self.fine_grid.shape)
            if not (np.all(lo_ok) and np.all(hi_ok)):
                raise ParameterError("cement.ijk", f"indices {cement.ijk.min(axis=0)}..{cement.ijk.max(axis=0)}",
                                     f"indices inside the fine grid {self.fine_grid.shape}")
            if not as_drawn:
                cement = self.drawn_cement(cement)
            hu = self._hu[cement.ijk[:, 0], cement.ijk[:, 1], cement.ijk[:, 2]]
            add_cement(paste, frame, self.fine_grid, cement, np.ones(len(hu), np.float32))
            a, b = hu_channels(hu)
            wts = np.asarray(cement.fraction, float)
            disp_w = float((a * wts).sum() / max(wts.sum(), 1e-9))        # displaced anatomy per mm of cement
            disp_b = float((b * wts).sum() / max(wts.sum(), 1e-9)) / spectrum.HU_BONE
        rows, cols = np.nonzero((steel > 1e-4) | (paste > 1e-4))
        if rows.size:
            water, bone = self.basis_integrals(pose)
            lp = paste[rows, cols].astype(float)
            lw = np.maximum(water[rows, cols] - disp_w * lp, 0.0)
            lb = np.maximum(bone[rows, cols] - disp_b * lp, 0.0)
            img[rows, cols] = spectrum.effective_line_integral(
                kvp, self.cu_mm, lw, lb, [spectrum.linear_mu_per_mm("stainless_steel"), spectrum.cement_mu_per_mm()],
                [steel[rows, cols], lp])
        return img, steel
