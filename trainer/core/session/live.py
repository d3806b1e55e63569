"""A live session: apply each action to the procedure, then append it to the session file.

``LiveSession.resume(path)`` replays an unfinished session and keeps appending to the
same file, so a crash or a closed window never loses a session.
"""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path

from trainer.core.errors import SessionError
from trainer.core.numbers import check_number
from trainer.core.procedure.machine import Procedure
from trainer.core.session.log import SessionWriter, make_header
from trainer.core.session.reader import read_session
from trainer.core.session.replay import replay
from trainer.core.session.seal import ENV_VAR, sealer_from_env

__all__ = ["LiveSession"]


class LiveSession:
    """A procedure recorded as it is performed.

    Parameters
    ----------
    scenario : Scenario
    path : str or Path
        New session file (must not exist).
    seed : int, optional
        Default: the scenario's seed.
    trainee : str
    patient : Patient, optional
        An already-built patient of this scenario.
    render : bool
    pixels : int, optional
        Detector size override; recorded in the header options so replays match.
    started_at : str, optional
        ISO-8601 start time for the header (default: now, UTC).
    sync_every : int
        fsync the session file every this many actions (1 = each; see
        :class:`~trainer.core.session.log.SessionWriter` for the crash guarantee).
    sealer : trainer.core.session.seal.Sealer, optional
        Seal every line (default: the key file named by ``$VPTRAINER_SEAL_KEY``, if set).
    keep_events : bool
        Keep the procedure's event history (default; the GUI and :meth:`Procedure.snapshot`
        need it).  ``vptrainer play`` passes False so that memory does not grow with the
        number of actions.
    """

    def __init__(self, scenario, path, seed: int | None = None, trainee: str = "anonymous", *, patient=None,
                 render: bool = True, pixels: int | None = None, started_at: str | None = None,
                 sync_every: int = 1, sealer=None, keep_events: bool = True, _procedure: Procedure | None = None,
                 _writer: SessionWriter | None = None):
        self.path = Path(path)
        if _procedure is not None:
            self.procedure, self.writer = _procedure, _writer
            return
        if seed is not None:               # the header's range (session/header.py): else unassessable
            seed = int(check_number("seed", seed, 0, 2**32 - 1, integer=True))
        self.procedure = Procedure(scenario, seed=seed, patient=patient, render=render, pixels=pixels,
                                   keep_events=keep_events)
        if started_at is None:
            started_at = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        opts = {} if pixels is None else {"pixels": int(pixels)}
        ct_series = (getattr(self.procedure.patient.volume, "meta", None) or {}).get("ct_series")
        header = make_header(scenario, self.procedure.seed, trainee, started_at, opts, ct_series=ct_series)
        if sealer is None:                        # an exam workstation names its key in the environment
            sealer = sealer_from_env()
        self.writer = SessionWriter(self.path, header=header, sync_every=sync_every, sealer=sealer)

    @property
    def finished(self) -> bool:
        return self.procedure.finished

    def apply(self, action):
        """Apply ``action`` and append its line (flushed and fsynced) to the session file."""
        t0 = self.procedure.t_s
        res = self.procedure.apply(action)
        self.writer.append(t0, res)
        return res

    def close(self):
        self.writer.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @classmethod
    def resume(cls, path, *, patient=None, render: bool = True, allowed_roots=()) -> LiveSession:
        """Reopen an unfinished session: verify it, replay it, and append to the same file.

        A last line cut off by a crash is removed from the file before appending.  A CT
        scenario's folder is found next to the session or in ``allowed_roots``
        (:meth:`~trainer.core.session.reader.SessionRecord.scenario_roots`).

        Raises
        ------
        SessionError
            If the session is already finished (or unreadable); TamperError if tampered.
        """
        rec = read_session(path)
        if rec.complete:
            raise SessionError(f"{path}: the session is finished; there is nothing to resume")
        proc = replay(rec, render=render, patient=patient, scenario=rec.scenario(allowed_roots=allowed_roots))
        if rec.truncated:
            with open(path, "r+b") as f:
                f.truncate(rec.good_bytes)
                f.flush()
                os.fsync(f.fileno())
        seq = rec.last_entry["seq"] if rec.last_entry else 0
        sealer = sealer_from_env()
        if isinstance(rec.header.get("sealed_with"), dict):
            if sealer is None or sealer.declaration != rec.header["sealed_with"]:
                raise SessionError(f"{path}: the session is sealed with key {rec.header['sealed_with'].get('key_id')}; "
                                   f"set {ENV_VAR} to that key file to resume it")
        else:
            sealer = None                         # an unsealed session stays unsealed
        writer = SessionWriter(path, resume_from=(rec.last_hash, seq), version=rec.version, sealer=sealer)
        return cls(None, path, _procedure=proc, _writer=writer)
