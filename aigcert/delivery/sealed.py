"""The paper sealed in the waiting room: delivered during check-in, readable from the unlock.

Thousands of candidates unlock in the same minute. If each of them then fetched and rendered a 100-item player,
that minute would cost tens of CPU-milliseconds per candidate; two cores can't do that for 5,000 people. So the
waiting room already holds the candidate's items, in their own order, encrypted with AES-256-GCM under a key of
their own, derived from SECRET_KEY, the session, the candidate and the check-in's seed (nothing to store, nothing
to rotate mid-session). The start
returns the key to the one candidate it started, and the browser decrypts with WebCrypto: the unlock is one small
request. Before it the page holds only ciphertext; a refused or late candidate never gets the key. See ADR 0010.
"""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.utils.crypto import salted_hmac

_SALT = "aigcert.delivery.sealed-paper"


def candidate_key(*, session_code: str, candidate_id: int, seed: int) -> bytes:
    """The 256-bit key of one candidate's sealed copy: the same in every worker, known to no one without
    SECRET_KEY. One key per candidate (not per paper), so a key passed on by someone who unlocked earlier opens
    nothing but their own copy."""
    return salted_hmac(_SALT, f"{session_code}:{candidate_id}:{seed}", algorithm="sha256").digest()


def key_text(*, session_code: str, candidate_id: int, seed: int) -> str:
    key = candidate_key(session_code=session_code, candidate_id=candidate_id, seed=seed)
    return base64.b64encode(key).decode("ascii")


def seal(text: str, *, session_code: str, candidate_id: int, seed: int) -> str:
    """base64(nonce ‖ ciphertext ‖ tag), the layout WebCrypto's AES-GCM decrypt takes (tag at the end)."""
    nonce = os.urandom(12)
    key = candidate_key(session_code=session_code, candidate_id=candidate_id, seed=seed)
    sealed = AESGCM(key).encrypt(nonce, text.encode("utf-8"), None)
    return base64.b64encode(nonce + sealed).decode("ascii")


def unseal(blob: str, *, key: str) -> str:
    """What the browser does (used by tests and the load client)."""
    raw = base64.b64decode(blob)
    return AESGCM(base64.b64decode(key)).decrypt(raw[:12], raw[12:], None).decode("utf-8")
