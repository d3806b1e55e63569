"""The trainee store's schema, as numbered migrations applied in order.

Why a migration table and not Alembic: the store is one SQLite file with five tables and
no ORM; Alembic needs SQLAlchemy (a 3 MB dependency) for what is here a list of SQL
scripts.  Each migration runs inside the write transaction that also records it in
``schema_migrations``, so a crash leaves either the old or the new schema, and two
processes opening an old store at once migrate it once (the second waits for the write
lock, then finds the version already applied).  Migrations are never edited once
released; a change is a new migration.  ``tests/core/records/test_store.py`` builds a
store with migration 1 only, fills it and checks the upgrade keeps every row.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable

__all__ = ["ATTEMPT_NAMESPACE", "LATEST_VERSION", "MIGRATIONS", "attempt_uuid"]

#: uuid5 namespace of attempt ids (the xAPI registration of an attempt).
ATTEMPT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:vptrainer:attempt")


def attempt_uuid(session_sha256: str) -> str:
    """The stable id of the attempt that a session file (by content hash) records."""
    return str(uuid.uuid5(ATTEMPT_NAMESPACE, session_sha256))


_V1 = """
CREATE TABLE trainees (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);
CREATE TABLE attempts (
    id                INTEGER PRIMARY KEY,
    trainee_id        INTEGER NOT NULL REFERENCES trainees(id),
    scenario_id       TEXT NOT NULL,
    scenario_sha256   TEXT NOT NULL,
    started_at        TEXT,
    session_path      TEXT NOT NULL,
    session_sha256    TEXT NOT NULL UNIQUE,
    seal_status       TEXT NOT NULL,
    complete          INTEGER NOT NULL,
    passed            INTEGER NOT NULL,
    score             REAL NOT NULL,
    software_version  TEXT NOT NULL,
    assessed_at       TEXT NOT NULL,
    report_json       TEXT NOT NULL
);
CREATE INDEX attempts_trainee ON attempts(trainee_id, started_at);
CREATE INDEX attempts_scenario ON attempts(scenario_id, started_at);
CREATE TABLE metric_values (
    attempt_id  INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
    metric_id   TEXT NOT NULL,
    value,
    unit        TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL,
    PRIMARY KEY (attempt_id, metric_id)
);
"""

_V2 = """
ALTER TABLE attempts ADD COLUMN attempt_uuid TEXT;
ALTER TABLE attempts ADD COLUMN origin TEXT NOT NULL DEFAULT 'local';
CREATE TABLE xapi_outbox (
    statement_id    TEXT PRIMARY KEY,
    attempt_id      INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
    statement_json  TEXT NOT NULL,
    queued_at       TEXT NOT NULL,
    sent_at         TEXT,
    tries           INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT
);
CREATE INDEX xapi_outbox_pending ON xapi_outbox(sent_at);
"""


def _v1(conn: sqlite3.Connection) -> None:
    for stmt in _V1.split(";"):
        if stmt.strip():
            conn.execute(stmt)


def _v2(conn: sqlite3.Connection) -> None:
    """Attempt uuids (xAPI registration), origin (local or an LRS) and the xAPI outbox."""
    for stmt in _V2.split(";"):
        if stmt.strip():
            conn.execute(stmt)
    rows = conn.execute("SELECT id, session_sha256 FROM attempts").fetchall()
    conn.executemany("UPDATE attempts SET attempt_uuid = ? WHERE id = ?",
                     [(attempt_uuid(sha), i) for i, sha in rows])
    conn.execute("CREATE UNIQUE INDEX attempts_uuid ON attempts(attempt_uuid)")


#: (version, name, apply) in order; never edit a released entry.
MIGRATIONS: tuple[tuple[int, str, Callable[[sqlite3.Connection], None]], ...] = (
    (1, "trainees, attempts, metric values", _v1),
    (2, "attempt uuid and origin; xAPI outbox", _v2),
)
LATEST_VERSION = MIGRATIONS[-1][0]
