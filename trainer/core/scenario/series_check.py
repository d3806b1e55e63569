"""Whether a CT scenario's series can be read: the one check ``scenarios validate`` and the GUI's picker share.

A CT scenario names a folder of DICOM slices (its ``[ct]`` table).  Its TOML can be valid while a slice of that
folder is damaged; until round 39 ``validate`` said OK over such a case and ``render``, ``play`` and ``import-ct``
then refused it, and until round 40 the picker listed it as a case to start.  :func:`series_problem` reads the
series with the reader those commands use, so the command line and the window say the same line.
"""

from __future__ import annotations

from collections.abc import Callable

from trainer.core.anatomy.dicom_io import read_ct_series
from trainer.core.errors import DicomError

__all__ = ["series_problem"]


def series_problem(scenario, progress: Callable[[int, int], None] | None = None) -> str:
    """Why a CT scenario's series cannot be read, "" when it is read (or the scenario is synthetic).

    Parameters
    ----------
    scenario : Scenario
        A loaded scenario; only its ``ct`` (None for a synthetic case) is used: its ``folder`` and ``series``.
    progress : callable, optional
        ``progress(files_read, files)``, as the reader calls it after each file; what it raises (a cancelled GUI
        job's ``Cancelled``) stops the read and is raised here.

    Returns
    -------
    str
        The reader's one-line refusal (file, field, value, what is allowed), or "".

    Notes
    -----
    The series is read by :func:`~trainer.core.anatomy.dicom_io.read_ct_series`: every slice decoded and checked,
    so a damaged slice is named here and not first when the case is played.  Its labelling is not done (that is
    ``render``'s and ``import-ct``'s, seconds more).  The cost is the read's: 0.3 to 2 s for a real CT (realct-log
    pass 195), which is why the picker calls this off its GUI thread.
    """
    ct = getattr(scenario, "ct", None)
    if ct is None:
        return ""
    try:
        read_ct_series(ct.folder, progress=progress, series=ct.series)
    except DicomError as exc:
        return str(exc)
    return ""
