"""A DICOM slice re-encoded in place by GDCM's JPEG 2000 encoder (an encoder the project does not write itself):
the oracle-side writer of the JPEG 2000 reader tests."""

from __future__ import annotations

from pathlib import Path


def gdcm_j2k_in_place(p: Path, lossless_syntax: bool = True, rate: float | None = None) -> None:
    """Re-encode the slice ``p`` with GDCM's JPEG 2000 codec, in place.

    ``lossless_syntax``: written under JPEG 2000 Lossless Only (GDCM's default codec); otherwise under JPEG 2000
    with a codec of our own, reversible (the 5-3 wavelet) when ``rate`` is None, else irreversible (the 9-7) at
    that compression rate."""
    import gdcm

    r = gdcm.ImageReader()
    r.SetFileName(str(p))
    assert r.Read()
    change = gdcm.ImageChangeTransferSyntax()
    if lossless_syntax:
        change.SetTransferSyntax(gdcm.TransferSyntax(gdcm.TransferSyntax.JPEG2000Lossless))
    else:
        change.SetTransferSyntax(gdcm.TransferSyntax(gdcm.TransferSyntax.JPEG2000))
        codec = gdcm.JPEG2000Codec()
        codec.SetReversible(rate is None)
        if rate is not None:
            codec.SetRate(0, rate)
        change.SetUserCodec(codec)
    change.SetInput(r.GetImage())
    assert change.Change()
    w = gdcm.ImageWriter()
    w.SetFileName(str(p))
    w.SetFile(r.GetFile())
    w.SetImage(change.GetOutput())
    assert w.Write()
