"""Benchmark: ct_load.py's 300 x 512 x 512 series stored JPEG Lossless (the PACS default), round 34.

The same synthesised series as ``ct_load.py``, each slice compressed in place by DCMTK's ``dcmcjpeg`` (JPEG
Lossless process 14, selection value 1: what a PACS export or CD usually holds; apt package ``dcmtk``), then
``ct_load.py --keep`` times the load on it in fresh processes (read, detect, estimate, label) against the same
5 s / 2 GB budget: what GDCM's decoding adds to the read.  ``--codec dcmcjpeg-12bit`` stores it lossy in JPEG
extended with 12-bit samples instead (``dcmcjpeg +ee``, IJG quality 90; decoded by imagecodecs, round 36).
``--codec gdcm-j2k`` stores it in JPEG 2000 lossless by GDCM's own encoder (DCMTK's free codecs have none) and
``--codec htj2k`` in High-Throughput JPEG 2000 lossless by OpenJPH (imagecodecs' ``htj2k_encode``; decoded by
imagecodecs' OpenJPEG since round 40).
Prints ct_load.py's JSON lines, the first renamed ``ct_load_300x512x512_<codec>``, and one line with the
series' size on disk (MB) before and after.

Usage: .venv/bin/python benchmarks/ct_load_compressed.py [--n 3]
       [--codec dcmcjpeg|dcmcjpeg-12bit|dcmcjpls|dcmcrle|gdcm-j2k|htj2k]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import ct_load  # noqa: E402 (the sibling benchmark: its series and its timed load)

#: --codec: the DCMTK command that compresses one slice
COMMANDS = {"dcmcjpeg": ["dcmcjpeg"], "dcmcjpeg-12bit": ["dcmcjpeg", "+ee", "+q", "90"], "dcmcjpls": ["dcmcjpls"],
            "dcmcrle": ["dcmcrle"]}
#: --codec: encoders run in this process (no command-line tool writes them here)
IN_PROCESS = ("gdcm-j2k", "htj2k")


def _encode(codec: str, src: Path, out: Path) -> None:
    """``src`` written to ``out`` by an in-process encoder (:data:`IN_PROCESS`)."""
    if codec == "gdcm-j2k":
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "realct"))
        import realct_sources

        realct_sources.write_j2k_slice(src, out)
        return
    import pydicom
    from imagecodecs import htj2k_encode
    from pydicom.encaps import encapsulate
    from pydicom.uid import HTJ2KLossless

    ds = pydicom.dcmread(src)
    ds.PixelData = encapsulate([bytes(htj2k_encode(ds.pixel_array))])
    ds["PixelData"].VR = "OB"
    ds.file_meta.TransferSyntaxUID = HTJ2KLossless
    ds.save_as(out, enforce_file_format=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=3)
    ap.add_argument("--codec", default="dcmcjpeg", choices=sorted(COMMANDS) + list(IN_PROCESS))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ct_load.synthesise(folder)
        slices = sorted(p for p in folder.rglob("*.dcm"))
        before = sum(p.stat().st_size for p in slices)
        for p in slices:
            packed = p.with_suffix(".packed")
            if args.codec in IN_PROCESS:
                _encode(args.codec, p, packed)
            else:
                subprocess.run([*COMMANDS[args.codec], str(p), str(packed)], check=True, capture_output=True)
            packed.replace(p)
        after = sum(p.stat().st_size for p in slices)
        out = subprocess.run([sys.executable, ct_load.__file__, "--keep", str(folder), "--n", str(args.n)],
                             capture_output=True, text=True, check=True)
        for line in out.stdout.strip().splitlines():
            row = json.loads(line)
            if row.get("name") == "ct_load_300x512x512":
                row["name"] = f"ct_load_300x512x512_{args.codec}"
            print(json.dumps(row))
        print(json.dumps({"name": "series_size_mb", "slices": len(slices), "uncompressed": round(before / 2**20, 1),
                          "compressed": round(after / 2**20, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
