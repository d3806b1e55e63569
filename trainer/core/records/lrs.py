"""Sending queued xAPI statements to a Learning Record Store and pulling a site's statements back.

Plain HTTP with the standard library (``urllib``): ``POST {endpoint}/statements`` with a JSON
array, HTTP basic authentication and ``X-Experience-API-Version: 1.0.3`` (xAPI 1.0.3,
Part Three).  Offline first: statements wait in the store's outbox; a push sends them in
batches, marks each batch sent only when the LRS answered 200 with their ids, and stops at
the first connection failure after ``retries`` tries with a doubling back-off, leaving the
rest queued for the next push.  A 409 Conflict for a batch (the LRS already holds one of the
ids) is resolved statement by statement: a statement the LRS already holds is marked sent,
so a second push never sends a statement twice and never stores it twice.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from trainer.core.errors import ParameterError, VPTrainerError
from trainer.core.records.store import AttemptRecord
from trainer.core.records.xapi import VERBS, attempt_fields_from_statement

__all__ = ["LrsError", "LrsClient", "PushResult", "push", "pull"]

XAPI_VERSION = "1.0.3"


class LrsError(VPTrainerError):
    """The LRS refused a request (not a connection failure)."""


@dataclass
class PushResult:
    sent: int = 0
    already_there: int = 0
    pending: int = 0
    rejected: list = field(default_factory=list)     #: (statement id, reason) the LRS refused
    error: str = ""                                  #: why the push stopped early ('' = it did not)


class LrsClient:
    """A Learning Record Store at ``endpoint`` (the xAPI base URL, e.g. ``http://host:8100/xAPI``)."""

    def __init__(self, endpoint: str, key: str = "", secret: str = "", timeout_s: float = 10.0):
        parts = urllib.parse.urlparse(endpoint or "")
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ParameterError("--endpoint", endpoint, "an http:// or https:// URL of the LRS's xAPI base")
        self.endpoint = endpoint.rstrip("/")
        self.timeout_s = float(timeout_s)
        self._auth = "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode() if key or secret else None

    def _request(self, method: str, url: str, body=None) -> tuple[int, bytes]:
        headers = {"X-Experience-API-Version": XAPI_VERSION, "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if self._auth:
            headers["Authorization"] = self._auth
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:     # noqa: S310 (http(s) checked)
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def post_statements(self, statements: list[dict]) -> tuple[int, bytes]:
        return self._request("POST", f"{self.endpoint}/statements", statements)

    def get_statement(self, statement_id: str) -> dict | None:
        status, body = self._request("GET", f"{self.endpoint}/statements?" +
                                     urllib.parse.urlencode({"statementId": statement_id}))
        if status == 404:
            return None
        if status != 200:
            raise LrsError(f"{self.endpoint}: GET statement {statement_id}: HTTP {status} {body[:200]!r}")
        return json.loads(body)

    def statements(self, **params) -> list[dict]:
        """All statements matching the xAPI query ``params``, following ``more`` links."""
        url = f"{self.endpoint}/statements?" + urllib.parse.urlencode(params)
        out: list[dict] = []
        base = urllib.parse.urlparse(self.endpoint)
        for _page in range(10000):
            status, body = self._request("GET", url)
            if status != 200:
                raise LrsError(f"{self.endpoint}: GET statements: HTTP {status} {body[:200]!r}")
            res = json.loads(body)
            out += res.get("statements", [])
            more = res.get("more")
            if not more:
                break
            url = more if "://" in more else f"{base.scheme}://{base.netloc}{more}"
        return out


def push(store, client: LrsClient, batch: int = 25, retries: int = 3, backoff_s: float = 0.5,
         on_batch=None) -> PushResult:
    """Send every queued statement of ``store`` to ``client``; see the module notes.

    ``on_batch(result)`` is called after each batch the LRS accepted (progress display).
    """
    result = PushResult()
    while True:
        todo = store.pending_statements(limit=batch)
        todo = [st for st in todo if st["id"] not in {r[0] for r in result.rejected}]
        if not todo:
            break
        status, body, error = None, b"", ""
        for attempt in range(retries):
            try:
                status, body = client.post_statements(todo)
                break
            except (urllib.error.URLError, OSError) as exc:        # refused, reset, timed out
                error = str(getattr(exc, "reason", exc))
                if attempt + 1 < retries:
                    time.sleep(backoff_s * 2 ** attempt)
        if status is None:
            store.mark_failed([st["id"] for st in todo], error)
            result.error = f"{client.endpoint} unreachable: {error}"
            break
        if status == 200:
            ids = [i for i in json.loads(body) if i in {st["id"] for st in todo}]
            store.mark_sent(ids)
            result.sent += len(ids)
            rest = [st for st in todo if st["id"] not in set(ids)]
            if rest:               # the LRS stored only some: the others it held already (or refused silently)
                _verify(store, client, rest, result)
            if on_batch is not None:
                on_batch(result)
            continue
        if status == 204:          # nothing new: the LRS holds every one of these ids (Ralph answers so)
            _verify(store, client, todo, result)
            continue
        if status in (401, 403):
            raise LrsError(f"{client.endpoint}: the LRS refused the credentials (HTTP {status})")
        if status == 409 or len(todo) > 1:
            # one by one: a conflict means the LRS holds that id already
            stop = False
            for st in todo:
                try:
                    s1, b1 = client.post_statements([st])
                except (urllib.error.URLError, OSError) as exc:
                    result.error = f"{client.endpoint} unreachable: {getattr(exc, 'reason', exc)}"
                    store.mark_failed([st["id"]], result.error)
                    stop = True
                    break
                if s1 == 200:
                    store.mark_sent([st["id"]])
                    result.sent += 1
                elif s1 == 409 and client.get_statement(st["id"]) is not None:
                    store.mark_sent([st["id"]])
                    result.already_there += 1
                else:
                    reason = f"HTTP {s1} {b1[:300].decode('utf-8', 'replace')}"
                    store.mark_failed([st["id"]], reason)
                    result.rejected.append((st["id"], reason))
            if stop:
                break
            continue
        reason = f"HTTP {status} {body[:300].decode('utf-8', 'replace')}"
        store.mark_failed([todo[0]["id"]], reason)
        result.rejected.append((todo[0]["id"], reason))
    result.pending = store.outbox_counts()["pending"]
    return result


def _verify(store, client: LrsClient, statements: list[dict], result: PushResult) -> None:
    """Mark sent the statements the LRS holds; reject the others (so a push always ends)."""
    for st in statements:
        if client.get_statement(st["id"]) is not None:
            store.mark_sent([st["id"]])
            result.already_there += 1
        else:
            reason = "the LRS accepted the request but does not hold the statement"
            store.mark_failed([st["id"]], reason)
            result.rejected.append((st["id"], reason))


def pull(store, client: LrsClient, since: str | None = None) -> tuple[int, int]:
    """Import the attempts of every vptrainer ``passed``/``failed`` statement the LRS holds.

    Returns ``(statements read, attempts added)``; attempts already in the store (same
    session hash) are left as they are.
    """
    # every statement, filtered here: not every LRS filters by verb (Ralph's file-system backend does not)
    sts = client.statements(**({"since": since} if since else {}))
    found = []
    for st in sts:
        if (st.get("verb") or {}).get("id") not in (VERBS["passed"], VERBS["failed"]):
            continue
        fields = attempt_fields_from_statement(st)
        if fields is not None:
            found.append(AttemptRecord(origin=client.endpoint, **fields))
    return len(sts), store.import_attempts(found)
