"""Sealing session lines with a key the instructor holds (docs/session-format.md, threat model).

The hash chain proves that nobody edited a line *without recomputing the chain*; anyone can
recompute it.  A seal adds a key: every line carries ``seal``, a keyed signature of the
line's canonical body (everything but ``hash`` and ``seal``, ``prev`` included), written as
the line is written, so a crash loses no sealed line.  The header names the method in
``sealed_with`` (``{"alg": ..., "key_id": ...}``).

Two methods, chosen by the key file:

* **HMAC-SHA256** (:mod:`hmac`): a file of at least 16 random bytes (any content that is not
  a PEM key).  The same file seals and verifies, so the assessor needs the secret.
* **Ed25519** (the ``cryptography`` package): a PEM private key seals; the matching PEM
  public key (or the private key) verifies, so assessors need no secret.

The key file is named by an option (``--seal-key FILE``) or the environment variable
:data:`ENV_VAR`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

from trainer.core.errors import SessionError
from trainer.core.parse_limits import not_a_regular_file
from trainer.core.session.log import canonical_json

__all__ = ["ENV_VAR", "Sealer", "SealCheck", "SealScan", "load_key", "sealer_from_env", "seal_body", "check_seals",
           "generate_ed25519_key", "generate_hmac_key"]

ENV_VAR = "VPTRAINER_SEAL_KEY"
MIN_HMAC_KEY_BYTES = 16
#: Largest key file read (a PEM key is a few hundred bytes).
MAX_KEY_FILE_BYTES = 65_536
_EXCLUDED = ("hash", "seal")


def seal_body(line: dict, prev: str | None = None) -> bytes:
    """The bytes a seal signs: canonical JSON of ``line`` without ``hash``/``seal`` (with ``prev``)."""
    body = {k: v for k, v in line.items() if k not in _EXCLUDED}
    if prev is not None:
        body["prev"] = prev
    return canonical_json(body).encode("utf-8")


@dataclass
class Sealer:
    """Signs and verifies line bodies with one key.

    Attributes
    ----------
    alg : str
        ``'hmac-sha256'`` or ``'ed25519'``.
    key_id : str
        First 16 hex digits of SHA-256 of the secret (HMAC) or of the raw public key (Ed25519).
    can_sign : bool
    """

    alg: str
    key_id: str
    _secret: bytes | None = None
    _private: object = None
    _public: object = None

    @property
    def can_sign(self) -> bool:
        return self._secret is not None or self._private is not None

    @property
    def declaration(self) -> dict:
        """What the header's ``sealed_with`` says."""
        return {"alg": self.alg, "key_id": self.key_id}

    def sign(self, data: bytes) -> str:
        if self._secret is not None:
            return hmac.new(self._secret, data, hashlib.sha256).hexdigest()
        if self._private is None:
            raise SessionError(f"the {self.alg} key {self.key_id} can verify but not seal (a public key)")
        return base64.b64encode(self._private.sign(data)).decode("ascii")  # type: ignore[attr-defined]

    def seal_line(self, line: dict, prev: str) -> str:
        """The seal of a session line about to be chained to ``prev``."""
        return self.sign(seal_body(line, prev))

    def verify(self, data: bytes, seal) -> bool:
        if not isinstance(seal, str):
            return False
        if self._secret is not None:
            return hmac.compare_digest(self.sign(data), seal)
        from cryptography.exceptions import InvalidSignature

        try:
            self._public.verify(base64.b64decode(seal, validate=True), data)  # type: ignore[attr-defined]
        except (InvalidSignature, ValueError):
            return False
        return True


def load_key(path) -> Sealer:
    """The sealer for the key file at ``path`` (PEM Ed25519 private/public key, or raw HMAC bytes).

    Raises
    ------
    SessionError
        Unreadable file, a PEM key that is not Ed25519, or an HMAC key shorter than 16 bytes.
    """
    p = Path(path)
    bad = not_a_regular_file(p)
    if bad:
        raise SessionError(f"{p}: cannot read the seal key: it {bad}")
    try:
        with open(p, "rb") as fh:
            raw = fh.read(MAX_KEY_FILE_BYTES + 1)
    except OSError as exc:
        raise SessionError(f"{p}: cannot read the seal key: {exc.strerror}") from None
    if len(raw) > MAX_KEY_FILE_BYTES:
        raise SessionError(f"{p}: seal key = a file of more than {MAX_KEY_FILE_BYTES} bytes is not allowed; "
                           "expected a key file (32 random bytes or a PEM Ed25519 key)")
    if raw.lstrip().startswith(b"-----BEGIN"):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

        try:
            if b"PRIVATE KEY" in raw:
                priv = serialization.load_pem_private_key(raw, password=None)
                pub = priv.public_key()
            else:
                priv, pub = None, serialization.load_pem_public_key(raw)
        except (ValueError, TypeError) as exc:
            raise SessionError(f"{p}: seal key = unreadable PEM ({exc}); expected an unencrypted Ed25519 key") from None
        if not isinstance(pub, Ed25519PublicKey) or (priv is not None and not isinstance(priv, Ed25519PrivateKey)):
            raise SessionError(f"{p}: seal key = {type(pub).__name__} is not allowed; expected an Ed25519 key")
        pub_raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return Sealer("ed25519", hashlib.sha256(pub_raw).hexdigest()[:16], None, priv, pub)
    if len(raw) < MIN_HMAC_KEY_BYTES:
        raise SessionError(f"{p}: seal key = {len(raw)} bytes is not allowed; expected at least "
                           f"{MIN_HMAC_KEY_BYTES} random bytes (HMAC-SHA256) or a PEM Ed25519 key")
    return Sealer("hmac-sha256", hashlib.sha256(raw).hexdigest()[:16], raw)


def sealer_from_env() -> Sealer | None:
    """The sealer of the key file named by :data:`ENV_VAR`, or None when it is not set."""
    path = os.environ.get(ENV_VAR)
    return load_key(path) if path else None


def generate_hmac_key(path) -> None:
    """Write 32 random bytes to a new file ``path`` (readable by its owner only)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(os.urandom(32))


def generate_ed25519_key(private_path, public_path) -> None:
    """Write a new Ed25519 key pair as PEM files (the private one readable by its owner only)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    Path(public_path).write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                                serialization.PublicFormat.SubjectPublicKeyInfo))


@dataclass(frozen=True)
class SealCheck:
    """The outcome of checking a session's seals.

    ``state``: ``'verified'`` (every line sealed and verified), ``'broken'`` (``line`` is the
    first line, 1-based, whose seal is missing or wrong), ``'unsealed'`` (no seal: hash
    chain only) or ``'unverified'`` (sealed, but no key was given).
    """

    state: str
    line: int | None = None
    alg: str | None = None
    key_id: str | None = None

    @property
    def message(self) -> str:
        if self.state == "verified":
            return f"sealed and verified ({self.alg}, key {self.key_id})"
        if self.state == "broken":
            return f"seal broken at line {self.line}"
        if self.state == "unverified":
            return f"sealed ({self.alg}, key {self.key_id}) but not verified: no key given (--seal-key or {ENV_VAR})"
        return "not sealed: hash chain only"


class SealScan:
    """Checks the seals of a session line by line, as the lines are read (one pass, no list).

    Feed the header first, then every action line (parsed dicts with ``prev``), then read
    :attr:`result`.  The verdict is exactly that of :func:`check_seals` on the same lines.

    Parameters
    ----------
    verifier : Sealer or None
    """

    def __init__(self, verifier: Sealer | None):
        self.verifier = verifier
        self._n = 0
        self._done: SealCheck | None = None    # the verdict, once no later line can change it
        self._declared = False
        self._any_seal = False
        self._alg: str | None = None
        self._kid: str | None = None

    def feed(self, line: dict) -> None:
        """The next line (1-based order: the header first)."""
        self._n += 1
        n = self._n
        if self._done is not None:
            return
        if n == 1:
            decl = line.get("sealed_with")
            self._any_seal = "seal" in line
            if not isinstance(decl, dict):
                return
            self._declared = True
            self._alg, self._kid = str(decl.get("alg")), str(decl.get("key_id"))
            v = self.verifier
            if v is None:
                self._done = SealCheck("unverified", None, self._alg, self._kid)
            elif v.alg != self._alg or v.key_id != self._kid or not v.verify(seal_body(line), line.get("seal")):
                self._done = SealCheck("broken", 1, self._alg, self._kid)
            return
        if not self._declared:
            if "seal" in line:
                self._done = SealCheck("broken", n)          # seals without a declaration: something was cut
            return
        assert self.verifier is not None
        if not self.verifier.verify(seal_body(line), line.get("seal")):
            self._done = SealCheck("broken", n, self._alg, self._kid)

    @property
    def result(self) -> SealCheck:
        """The verdict for the lines fed so far (at least the header)."""
        if self._n == 0:
            raise ValueError("no header line was checked for seals")
        if self._done is not None:
            return self._done
        if not self._declared:
            return SealCheck("broken", 1) if self._any_seal else SealCheck("unsealed")
        return SealCheck("verified", None, self._alg, self._kid)


def check_seals(lines, verifier: Sealer | None) -> SealCheck:
    """Check the seals of a session's lines (header first, as parsed dicts with ``prev``).

    Parameters
    ----------
    lines : iterable of dict
    verifier : Sealer or None
    """
    scan = SealScan(verifier)
    for line in lines:
        scan.feed(line)
    return scan.result
