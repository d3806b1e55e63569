"""Reveal slices for the debrief: axial and along-the-trocar sagittal cuts of the patient.

Display resampling only (NumPy, no Qt): the core's volume, trocar and cement deposit are
cut along two planes and composed into RGB pictures.

* **Axial**: the plane ``z = z_tip`` seen from the feet of the prone patient: posterior (the
  back, where the trocar enters) at the top and the patient's left on the picture's left, the
  same left/right convention as the AP monitor (:func:`trainer.core.xray.display.side_letter`),
  with the same burned-in ``L`` marker in the upper-left corner.
* **Sagittal along the path**: the vertical plane that contains the trocar axis
  (horizontal direction of the axis, and z); anterior on the left, head at the top, like
  the lateral fluoroscopy view.

Pedicle walls are drawn as the outline of the pedicle labels (yellow), cement in cyan and
leaked cement in red (the voxels the core's cement model counts as outside the body), all
from a +/-2 mm slab so thin fingers are not missed.  The trocar path (skin to tip) is returned as a polyline in
picture pixels.

When the in-body cement reached the posterior quarter of the body (the stop rule's line, FACTS.md 2 and 3),
the axial cut goes through the most posterior cement voxel instead of the tip, that voxel is ringed, and
both cuts draw the quarter's line (dashed orange, depth fraction 0.25 from the posterior wall): the picture
shows where and how far the cement went past it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trainer.core.anatomy.labels import Label
from trainer.core.xray.display import burn_marker

__all__ = ["RevealSlice", "reveal_slices"]
SLAB_MM = 2.0
BONE_WINDOW = (1500.0, 300.0)   # CT bone window: width, level (HU)
WALL_RGB = (250, 220, 40)
CEMENT_RGB = (90, 230, 255)
LEAK_RGB = (255, 50, 50)
QUARTER_RGB = (255, 150, 40)
BREACH_RGB = (255, 60, 60)
#: The stop rule's line: depth fraction from the posterior wall (FACTS.md 2 and 3; StopRule's default).
POSTERIOR_QUARTER = 0.25


@dataclass(frozen=True)
class RevealSlice:
    """One debrief cut.

    Attributes
    ----------
    rgb : ndarray of uint8 (rows, cols, 3)
    pixel_mm : float
        Size of one picture pixel (mm).
    path_px : ndarray (n, 2)
        The trocar, clipped to the picture, as (col, row) picture pixels; the last point is
        the tip (empty without a trocar).
    title : str
    labels : dict
        Edge letters, e.g. ``{'top': 'A', 'bottom': 'P', 'left': 'R', 'right': 'L'}``.
    leak_px : int
        Number of leak (red) pixels in the picture.
    cement_px : int
        Number of cement (cyan or red) pixels in the picture.
    posterior_cement_px : tuple of float or None
        (col, row) of the most posterior in-body cement voxel when it lies in the posterior quarter and in
        this cut (ringed); None otherwise.
    quarter_px : int
        Number of pixels of the posterior quarter's dashed line (0 when the cement stayed in front of it).
    """

    rgb: np.ndarray
    pixel_mm: float
    path_px: np.ndarray
    title: str
    labels: dict
    leak_px: int
    cement_px: int
    posterior_cement_px: tuple | None = None
    quarter_px: int = 0


def _mask_volume(grid, kji) -> np.ndarray:
    vol = np.zeros(grid.shape, dtype=bool)
    if kji is not None and len(kji):
        kji = np.asarray(kji, int)
        vol[kji[:, 0], kji[:, 1], kji[:, 2]] = True
    return vol


def _sample(volume: np.ndarray, grid, pts_mm: np.ndarray, fill) -> np.ndarray:
    kji = np.rint(grid.mm_to_index(pts_mm)).astype(int)
    inside = np.all((kji >= 0) & (kji < np.asarray(grid.shape)), axis=-1)
    kji = np.clip(kji, 0, np.asarray(grid.shape) - 1)
    out = volume[kji[..., 0], kji[..., 1], kji[..., 2]]
    return np.where(inside, out, fill)


def _compose(hu, labels, cement, leak) -> tuple[np.ndarray, int, int]:
    w, lv = BONE_WINDOW
    grey = np.clip((hu.astype(np.float32) - (lv - w / 2)) / w * 255.0, 0, 255).astype(np.uint8)
    rgb = np.repeat(grey[..., None], 3, axis=-1)
    ped = np.isin(labels, (Label.PEDICLE_LEFT, Label.PEDICLE_RIGHT))
    edge = np.zeros_like(ped)
    edge[1:-1, 1:-1] = ped[1:-1, 1:-1] & ~(ped[:-2, 1:-1] & ped[2:, 1:-1] & ped[1:-1, :-2] & ped[1:-1, 2:])
    rgb[edge] = WALL_RGB
    rgb[cement] = CEMENT_RGB
    rgb[leak] = LEAK_RGB
    return rgb, int(leak.sum()), int((cement | leak).sum())


def posterior_cement_mm(patient, cement_vol: np.ndarray, leak_vol: np.ndarray,
                        quarter: float = POSTERIOR_QUARTER) -> np.ndarray | None:
    """The most posterior in-body cement voxel's centre (x, y, z) mm when it lies within the posterior
    ``quarter`` of the body depth (0 = the posterior wall); None otherwise."""
    kji = np.argwhere(cement_vol & ~leak_vol)
    if not len(kji):
        return None
    pts = patient.volume.grid.index_to_mm(kji.astype(float))
    best = pts[np.argmax(pts[:, 1])]                 # LPS: +y is posterior
    return best if patient.landmarks.depth_fraction(float(best[1])) <= quarter else None


def _draw_quarter(rgb: np.ndarray, pts: np.ndarray, y_line_mm: float, step_mm: float) -> int:
    """Dash the pixels whose sample lies within half a pixel of ``y = y_line_mm`` in place; their count."""
    on = np.abs(pts[..., 1] - y_line_mm) <= 0.5 * step_mm
    rows, cols = np.indices(on.shape)
    on &= ((rows + cols) // 4) % 2 == 0
    rgb[on] = QUARTER_RGB
    return int(on.sum())


def _ring(rgb: np.ndarray, col: float, row: float, radius_px: float, colour=QUARTER_RGB) -> None:
    """Draw a 1-px ring of ``radius_px`` round (col, row) in place."""
    rows, cols = np.indices(rgb.shape[:2])
    d = np.hypot(cols - col, rows - row)
    rgb[np.abs(d - radius_px) <= 0.6] = colour


def _burn_side_marker(rgb: np.ndarray, letter: str) -> None:
    """Burn ``letter`` (white, dark rim) into the upper-left corner of ``rgb`` in place, like the monitors' marker."""
    ink = np.full(rgb.shape[:2], -1.0, np.float32)
    burn_marker(ink, letter, 1.0, scale=max(2, min(rgb.shape[:2]) // 64), margin=4, outline=0.0)
    rgb[ink == 1.0] = 255
    rgb[ink == 0.0] = 0


def _crop_offset(inside: np.ndarray) -> np.ndarray:
    """(col, row) of the first picture pixel :func:`_crop` keeps."""
    rows = np.flatnonzero(inside.any(axis=1))
    cols = np.flatnonzero(inside.any(axis=0))
    return np.array([cols[0] if len(cols) else 0, rows[0] if len(rows) else 0], float)


def _crop(rgb: np.ndarray, inside: np.ndarray, path: np.ndarray):
    """Crop the picture to the part covered by the volume; shift and clip the path to it."""
    rows = np.flatnonzero(inside.any(axis=1))
    cols = np.flatnonzero(inside.any(axis=0))
    if len(rows) == 0 or len(cols) == 0:
        return rgb, path
    r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    out = np.ascontiguousarray(rgb[r0:r1, c0:c1])
    if len(path) < 2:
        return out, path
    p = path - np.array([c0, r0], float)
    h, w = out.shape[:2]
    t = np.linspace(0.0, 1.0, 2001)[:, None]
    line = p[0] + t * (p[-1] - p[0])
    ok = (line[:, 0] >= 0) & (line[:, 0] <= w - 1) & (line[:, 1] >= 0) & (line[:, 1] <= h - 1)
    if not ok.any():
        return out, np.zeros((0, 2))
    return out, line[ok][[0, -1]]


def _slab_max(cement_vol, grid, pts, normal, step_mm):
    n = max(1, int(round(SLAB_MM / step_mm)))
    acc = np.zeros(pts.shape[:-1], dtype=bool)
    for k in range(-n, n + 1):
        acc |= _sample(cement_vol, grid, pts + normal * (k * step_mm), False)
    return acc


def reveal_slices(patient, trocar_skin_mm, trocar_dir, tip_mm, cement_kji=None, leak_kji=None, step_mm: float = 0.5,
                  half_width_mm: float = 45.0, withdrawn: bool = False, breach=None,
                  series_z0_mm: float | None = None) -> tuple[RevealSlice, RevealSlice]:
    """Axial and along-path sagittal cuts through the trocar tip (the axial one through the most posterior
    cement when the cement reached the posterior quarter of the body).

    Parameters
    ----------
    patient : Patient
    trocar_skin_mm, trocar_dir, tip_mm : array-like (3,) or None
        Skin puncture, unit axis and tip of the trocar (None: cut through the body centre).
    cement_kji, leak_kji : ndarray (n, 3) of int, optional
        Fine-grid voxels ``(k, j, i)`` holding cement, and those of them that leaked.
    step_mm : float
        Picture pixel size (mm).
    half_width_mm : float
        Half the side of each picture (mm).
    withdrawn : bool
        The trocar was withdrawn: ``tip_mm`` is its deepest tip (the titles say so).
    breach : (ndarray (3,), str), optional
        The tip (mm) at the worst graded wall breach and its words: ringed red in both cuts (projected onto
        each), the words in the axial title.
    series_z0_mm : float, optional
        A patient read from a CT series: the series' z (DICOM patient mm) of the model's z = 0 (its body
        centre, ``[ct] body_centre_mm``).  The axial title then gives the series' z, as the landmark editor
        and ``import-ct`` do (round 27: "+4.5 mm" where they said 317.2 mm); None: the model's z.
    """
    vol = patient.volume
    grid = vol.grid
    centre = np.asarray(tip_mm if tip_mm is not None else patient.landmarks.body_centre_mm, float)
    cement_vol = _mask_volume(grid, cement_kji)
    leak_vol = _mask_volume(grid, leak_kji)
    post = posterior_cement_mm(patient, cement_vol, leak_vol)
    lm = patient.landmarks
    y_quarter = lm.posterior_wall_y_mm - POSTERIOR_QUARTER * lm.body_depth_mm
    ring_px = 3.0 / step_mm
    n = int(round(2 * half_width_mm / step_mm))
    s = (np.arange(n) - (n - 1) / 2) * step_mm
    # axial: rows posterior (+y) to anterior, cols patient left (+x) to right (the AP monitor's sides)
    z_axial = float(centre[2] if post is None else post[2])
    yy, xx = np.meshgrid(centre[1] - s, centre[0] - s, indexing="ij")
    pts = np.stack([xx, yy, np.full_like(xx, z_axial)], axis=-1)
    hu = _sample(vol.hu, grid, pts, -1000)
    lab = _sample(vol.labels, grid, pts, 0)
    cem = _slab_max(cement_vol, grid, pts, np.array([0.0, 0.0, 1.0]), step_mm)
    lk = _slab_max(leak_vol, grid, pts, np.array([0.0, 0.0, 1.0]), step_mm)
    rgb, leak_px, cem_px = _compose(hu, lab, cem, lk)
    inside = grid.contains_mm(pts)

    def axial_px(p):
        p = np.atleast_2d(p)
        return np.stack([(centre[0] - p[:, 0]) / step_mm + (n - 1) / 2,
                         (centre[1] - p[:, 1]) / step_mm + (n - 1) / 2], axis=-1)

    path = np.zeros((0, 2))
    if trocar_skin_mm is not None:
        path = axial_px(np.stack([np.asarray(trocar_skin_mm, float), centre]))
    quarter_px = _draw_quarter(rgb, pts, y_quarter, step_mm) if post is not None else 0
    post_px = None
    if post is not None:
        post_px = tuple(float(v) for v in axial_px(post)[0] - _crop_offset(inside))
    rgb, path = _crop(rgb, inside, path)
    if post_px is not None:
        _ring(rgb, post_px[0], post_px[1], ring_px)
    breach_px = None
    if breach is not None:
        breach_px = axial_px(breach[0])[0] - _crop_offset(inside)
        _ring(rgb, breach_px[0], breach_px[1], ring_px, BREACH_RGB)
    _burn_side_marker(rgb, "L")
    where = ("through the deepest tip, trocar withdrawn" if withdrawn else "through the tip") if tip_mm is not None \
        else "through the body centre, no trocar"
    if post is not None:
        gap_mm = lm.posterior_wall_y_mm - float(post[1])
        where = (f"through the most posterior cement, ringed: {gap_mm:.1f} mm in front of the posterior wall, "
                 f"{lm.depth_fraction(float(post[1])):.2f} of the depth; the stop line (dashed) is the posterior "
                 f"quarter, {POSTERIOR_QUARTER:.2f}")
    if breach is not None:
        where += f"; {breach[1]}"
    at = f"z = {z_axial:+.1f} mm" if series_z0_mm is None else f"z = {z_axial + series_z0_mm:.1f} mm in the CT series"
    axial = RevealSlice(rgb, step_mm, path, f"Axial at {at} ({where})",
                        {"top": "P", "bottom": "A", "left": "L", "right": "R"}, leak_px, cem_px, post_px, quarter_px)

    # sagittal along the path: cols anterior-most first, rows superior first
    d = np.asarray(trocar_dir, float) if trocar_dir is not None else np.array([0.0, -1.0, 0.0])
    h = np.array([d[0], d[1], 0.0])
    h = h / np.linalg.norm(h) if np.linalg.norm(h) > 1e-6 else np.array([0.0, -1.0, 0.0])
    if h[1] > 0:                     # keep anterior on the left
        h = -h
    if trocar_dir is None and post is not None:      # no trocar: the sagittal through the posterior cement
        centre = np.array([post[0], centre[1], centre[2]])
    zz, uu = np.meshgrid(centre[2] - s, s[::-1], indexing="ij")   # cols: anterior first
    pts = centre + uu[..., None] * h + (zz - centre[2])[..., None] * np.array([0.0, 0.0, 1.0])
    hu = _sample(vol.hu, grid, pts, -1000)
    lab = _sample(vol.labels, grid, pts, 0)
    normal = np.cross(h, [0.0, 0.0, 1.0])
    cem = _slab_max(cement_vol, grid, pts, normal, step_mm)
    lk = _slab_max(leak_vol, grid, pts, normal, step_mm)
    rgb2, leak2, cem2 = _compose(hu, lab, cem, lk)
    inside2 = grid.contains_mm(pts)

    def sag_px(p):
        p = np.atleast_2d(p) - centre
        along = p @ h
        return np.stack([(n - 1) / 2 - along / step_mm, (n - 1) / 2 - p[:, 2] / step_mm], axis=-1)

    path2 = np.zeros((0, 2))
    if trocar_skin_mm is not None:
        path2 = sag_px(np.stack([np.asarray(trocar_skin_mm, float), centre]))
    quarter2 = _draw_quarter(rgb2, pts, y_quarter, step_mm) if post is not None else 0
    post2 = None
    if post is not None and abs(float((post - centre) @ normal)) <= SLAB_MM:
        post2 = tuple(float(v) for v in sag_px(post)[0] - _crop_offset(inside2))
    rgb2, path2 = _crop(rgb2, inside2, path2)
    if post2 is not None:
        _ring(rgb2, post2[0], post2[1], ring_px)
    if breach is not None:
        b2 = sag_px(breach[0])[0] - _crop_offset(inside2)
        _ring(rgb2, b2[0], b2[1], ring_px, BREACH_RGB)
    title = ("Sagittal along the withdrawn trocar's path" if withdrawn else "Sagittal along the trocar path") \
        if trocar_dir is not None else (
        "Mid-sagittal through the body centre (no trocar)" if post is None
        else "Sagittal through the most posterior cement (no trocar)")
    sag = RevealSlice(rgb2, step_mm, path2, title, {"top": "S", "bottom": "I", "left": "A", "right": "P"},
                      leak2, cem2, post2, quarter2)
    return axial, sag
