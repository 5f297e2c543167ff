"""The issuer's signing keys: generated here, sealed at rest, rotated by the certificate office (ADR 0021).

A key's did:key is the issuer identifier on what it signed, so anyone can check a credential's signature without
asking us; whether that DID is ours is answered by the issuer profile we publish, which lists every key, retired
ones included (a rotation must not invalidate certificates already in people's hands). A key whose secret may have
leaked is withdrawn instead: it verifies nothing any more, and what it signed is signed again with the active key.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext

from aigcert.core.api import DomainError, audit_record, now
from aigcert.credentials import openbadges
from aigcert.credentials.models import IssuerKey


def _fernet_of(secret: str) -> Fernet:
    digest = hashlib.sha256(b"aigcert issuer key seal|" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _fernet() -> MultiFernet:
    """Seals with SECRET_KEY; unseals with it or any of SECRET_KEY_FALLBACKS, so the secret can change (keys sealed
    with the old one keep working until `issuer_key_rotate` seals a new key with the new one)."""
    return MultiFernet([_fernet_of(settings.SECRET_KEY), *(_fernet_of(s) for s in settings.SECRET_KEY_FALLBACKS)])


def _seal(secret: Ed25519PrivateKey) -> str:
    return _fernet().encrypt(openbadges.secret_key_multibase(secret).encode()).decode()


@cache
def _secret_of(did: str, sealed: str) -> Ed25519PrivateKey:
    return openbadges.secret_key_from_multibase(_fernet().decrypt(sealed.encode()).decode())


def issuer_key_rotate(*, actor) -> IssuerKey:
    """A new signing key; the old one retires (it still verifies what it signed). Audited."""
    secret = Ed25519PrivateKey.generate()
    did = openbadges.did_key_of(secret.public_key())
    with transaction.atomic():
        retired = list(IssuerKey.objects.select_for_update().filter(active=True))
        IssuerKey.objects.filter(pk__in=[k.pk for k in retired]).update(active=False, retired_at=now())
        key = IssuerKey.objects.create(did=did, public_key_multibase=openbadges.public_key_multibase(
            secret.public_key()), secret_key_sealed=_seal(secret), active=True)
        audit_record(actor=actor, action="credentials.issuer_key_rotated", target=key,
                     data={"did": did, "retired": [k.did for k in retired]})
    return key


@transaction.atomic
def issuer_key_withdraw(*, did: str, reason: str, actor) -> IssuerKey:
    """Stop trusting a key whose secret leaked or may have: from now on nothing it signed verifies (a thief could
    sign anything, with any date). If it was the signing key, a new one takes over. Audited; withdrawing a key
    withdrawn already changes nothing. What it signed must then be signed again (services.credentials_resign)."""
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise DomainError(gettext("Give the reason (at least 4 characters)."), field="reason")
    did = did_of(did.strip())  # a verificationMethod pasted from a file names the key too
    # FOR UPDATE waits for signers that share-locked this key (issuer_key_for_signing) to commit, so the re-signing
    # pass that follows sees everything they signed with it.
    key = IssuerKey.objects.select_for_update().filter(did=did).first()
    if key is None:
        raise DomainError(gettext("There is no issuer key %(did)s.") % {"did": did}, field="did")
    if key.withdrawn_at is not None:
        return key
    if key.active:
        issuer_key_rotate(actor=actor)
        key.refresh_from_db()
    # The secret goes too: nothing can sign with a withdrawn key again, by mistake or otherwise.
    key.withdrawn_at, key.withdrawn_reason, key.secret_key_sealed = now(), reason[:300], ""
    key.save(update_fields=["withdrawn_at", "withdrawn_reason", "secret_key_sealed", "updated_at"])
    audit_record(actor=actor, action="credentials.issuer_key_withdrawn", target=key,
                 data={"did": did, "reason": key.withdrawn_reason})
    return key


def issuer_key_active() -> IssuerKey:
    """The key that signs now; the first call on a new installation makes one."""
    key = IssuerKey.objects.filter(active=True).first()
    if key is not None:
        return key
    try:
        return issuer_key_rotate(actor=None)
    except IntegrityError:  # another process made the first key at the same moment
        return IssuerKey.objects.get(active=True)


def issuer_key_for_signing() -> IssuerKey:
    """The active key, share-locked (on PostgreSQL) until the caller's transaction ends: a withdrawal locks the key
    for update, so it waits for signatures in flight instead of missing them. SQLite lets one writer at a time."""
    for _attempt in range(3):
        key = issuer_key_active()
        if connection.vendor != "postgresql":
            return key
        with connection.cursor() as cursor:
            cursor.execute("SELECT active FROM credentials_issuerkey WHERE id = %s FOR SHARE", [key.pk])
            row = cursor.fetchone()
        if row and row[0]:
            return key
        # Rotated or withdrawn while we waited for the lock: the new active key signs.
    raise DomainError(gettext("The signing key is changing; try again in a moment."))


def signing_key(key: IssuerKey) -> Ed25519PrivateKey:
    return _secret_of(key.did, key.secret_key_sealed)


def did_of(verification_method: str) -> str:
    return verification_method.split("#", 1)[0]


def issuer_public_key(verification_method: str) -> Ed25519PublicKey | None:
    """The public key behind a verification method, if the DID is one of our trusted keys (active or retired)."""
    if not IssuerKey.objects.filter(did=did_of(verification_method), withdrawn_at__isnull=True).exists():
        return None
    return openbadges.public_key_from_did_key(verification_method)


def issuer_public_key_any(verification_method: str) -> Ed25519PublicKey | None:
    """As :func:`issuer_public_key`, withdrawn keys included: to tell "signed by a key we withdrew" from "not ours"."""
    if not IssuerKey.objects.filter(did=did_of(verification_method)).exists():
        return None
    return openbadges.public_key_from_did_key(verification_method)


def issuer_key_withdrawn(verification_method: str) -> bool:
    return IssuerKey.objects.filter(did=did_of(verification_method), withdrawn_at__isnull=False).exists()


def issuer_dids() -> list[str]:
    return list(IssuerKey.objects.order_by("created_at", "id").values_list("did", flat=True))
