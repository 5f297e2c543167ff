"""The paper sealed in the waiting room: delivered during check-in, readable from the unlock.

Thousands of candidates unlock in the same minute. If each of them then fetched and rendered a 100-item player,
that minute would cost tens of CPU-milliseconds per candidate; two cores can't do that for 5,000 people. So the
waiting room already holds the candidate's items, in their own order, encrypted with AES-256-GCM under a key that
belongs to the paper and is derived from SECRET_KEY (nothing to store, nothing to rotate mid-session). The start
returns the key to the one candidate it started, and the browser decrypts with WebCrypto: the unlock is one small
request. Before it the page holds only ciphertext; a refused or late candidate never gets the key. See ADR 0010.
"""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.utils.crypto import salted_hmac

_SALT = "aigcert.delivery.sealed-paper"


def paper_key(paper_id: int) -> bytes:
    """The paper's 256-bit key: the same in every worker, known to no one without SECRET_KEY."""
    return salted_hmac(_SALT, f"paper:{paper_id}", algorithm="sha256").digest()


def key_text(paper_id: int) -> str:
    return base64.b64encode(paper_key(paper_id)).decode("ascii")


def seal(text: str, *, paper_id: int) -> str:
    """base64(nonce ‖ ciphertext ‖ tag), the layout WebCrypto's AES-GCM decrypt takes (tag at the end)."""
    nonce = os.urandom(12)
    sealed = AESGCM(paper_key(paper_id)).encrypt(nonce, text.encode("utf-8"), None)
    return base64.b64encode(nonce + sealed).decode("ascii")


def unseal(blob: str, *, key: str) -> str:
    """What the browser does (used by tests and the load client)."""
    raw = base64.b64decode(blob)
    return AESGCM(base64.b64decode(key)).decrypt(raw[:12], raw[12:], None).decode("utf-8")
