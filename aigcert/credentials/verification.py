"""Public verification: by number + name, by verification code (the QR link), or by the credential file itself.

A lookup answers only valid / revoked / replaced / not found; a wrong name and a missing number look the same, so
the lookup is no oracle for who holds which number. A file is checked the way any verifier would: its signature
against the issuer's did:key (which must be one of ours), then its status list entry.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils.translation import get_language, gettext

from aigcert.catalog import api as catalog
from aigcert.credentials import keys, openbadges, rules
from aigcert.credentials.models import Certificate, StatusList
from aigcert.credentials.policy import credentials_policy

VALID, REVOKED, REPLACED, NOT_FOUND, TAMPERED, NOT_A_CREDENTIAL, KEY_WITHDRAWN = (
    "valid", "revoked", "replaced", "not_found", "tampered", "not_a_credential", "key_withdrawn")
MAX_FILE_BYTES = 256 * 1024


@dataclass(frozen=True)
class PublicCertificate:
    """What the public page may show: the holder decides on the full name and the score band."""

    number: str
    name: str
    program: str
    level: str
    issuer: str
    issued_on: date
    score_band: str
    state: str
    state_label: str
    replaced_by: str
    ended_on: date | None


@dataclass(frozen=True)
class Verdict:
    outcome: str
    certificate: PublicCertificate | None = None

    @property
    def valid(self) -> bool:
        return self.outcome == VALID


def public_view(certificate: Certificate) -> PublicCertificate:
    program = catalog.program_get(certificate.program_code)
    facts = catalog.certificate_facts(certificate.program_code)
    name = certificate.legal_name
    if certificate.public_name != Certificate.NameShown.FULL:
        name = rules.name_masked(name)
    band = credentials_policy().band(certificate.score_band) if certificate.public_score_band else None
    successor = getattr(certificate, "replaced_by", None) if certificate.state == rules.REPLACED else None
    return PublicCertificate(
        number=certificate.number or "", name=name, program=program.name, level=program.level,
        issuer=facts.issuer_en if _english() else facts.issuer_zh, issued_on=certificate.issued_on,
        score_band=band.name if band else "", state=certificate.state,
        # The public sees whether it holds, not where the paper is in the post.
        state_label=gettext("Valid") if certificate.state in rules.HELD_STATES else certificate.get_state_display(),
        replaced_by=successor.number if successor and successor.number else "",
        ended_on=certificate.revoked_at.date() if certificate.revoked_at else None)


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _verdict(certificate: Certificate | None) -> Verdict:
    if certificate is None or certificate.state == rules.PENDING:
        return Verdict(NOT_FOUND)
    outcome = {rules.REVOKED: REVOKED, rules.REPLACED: REPLACED}.get(certificate.state, VALID)
    return Verdict(outcome, public_view(certificate))


def _issued() -> object:
    return Certificate.objects.select_related("replaced_by").exclude(state=rules.PENDING)


def _client_key(client: str) -> str:
    # An IPv6 client usually holds a whole /64: counting single addresses would let it rotate through them.
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return client
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return client


def lookup_allowed(client: str) -> bool:
    """Count a lookup against the client's per-minute and per-day allowance; False once either is spent."""
    client = _client_key(client)
    policy = credentials_policy()
    for window, limit, seconds in (("m", policy.lookups_per_minute, 60), ("d", policy.lookups_per_day, 86400)):
        key = f"verify:{window}:{client}"
        cache.add(key, 0, timeout=seconds)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=seconds)
            count = 1
        if count > limit:
            return False
    return True


def verify_number(number: str, name: str) -> Verdict:
    number = rules.number_normalize(number)
    if not rules.number_well_formed(number, credentials_policy().serial_digits) or not name.strip():
        return Verdict(NOT_FOUND)
    certificate = _issued().filter(number=number).first()
    if certificate is None or rules.name_normalize(certificate.legal_name) != rules.name_normalize(name):
        return Verdict(NOT_FOUND)
    return _verdict(certificate)


def verify_code(code: str) -> Verdict:
    code = rules.verification_code_normalize(code)
    policy = credentials_policy()
    if len(code) != policy.code_length or set(code) - set(policy.code_alphabet):
        return Verdict(NOT_FOUND)
    return _verdict(_issued().filter(verification_code=code).first())


def _status_list_of(url: str) -> StatusList | None:
    """Our status list behind a statusListCredential URL, by its path: the credential is already known to be ours
    (signed with our key), and a site that moved to another host name or to https must still find its lists.
    Nothing is fetched."""
    path = urlsplit(url or "").path
    prefix = reverse("credentials:status_list", args=[0])[:-1]
    site_path = urlsplit(settings.SITE_URL).path.rstrip("/")
    if site_path and path.startswith(site_path):
        path = path[len(site_path):]
    if not path.startswith(prefix) or not path[len(prefix):].isdigit():
        return None
    return StatusList.objects.filter(pk=int(path[len(prefix):])).first()


def _revoked_in_list(document: dict) -> bool | None:
    """Whether the credential's status entry is set in our (signed) list; None when the entry is unusable."""
    entry = document.get("credentialStatus")
    if isinstance(entry, list):
        entry = next((e for e in entry if isinstance(e, dict) and e.get("statusPurpose") == "revocation"), None)
    if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
        return None
    status_list = _status_list_of(entry.get("statusListCredential", ""))
    if status_list is None or not status_list.credential:
        return None
    if openbadges.proof_verify(status_list.credential, public_key_for=keys.issuer_public_key) != openbadges.VALID:
        return None
    try:
        index = int(entry.get("statusListIndex", ""))
        return openbadges.status_list_is_set(status_list.credential["credentialSubject"]["encodedList"], index)
    except (KeyError, TypeError, ValueError):
        return None


def verify_document(raw: bytes | str | dict) -> Verdict:
    """The verdict on a credential file: tampered unless its signature holds with one of our keys."""
    if isinstance(raw, dict):
        document = raw
    else:
        if isinstance(raw, bytes) and len(raw) > MAX_FILE_BYTES:
            return Verdict(NOT_A_CREDENTIAL)
        try:
            document = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return Verdict(NOT_A_CREDENTIAL)
    if not isinstance(document, dict) or "proof" not in document or "credentialSubject" not in document:
        return Verdict(NOT_A_CREDENTIAL)
    checked = openbadges.proof_verify(document, public_key_for=keys.issuer_public_key_any)
    if checked == openbadges.UNKNOWN_KEY:
        return Verdict(NOT_FOUND)  # signed, but not by this platform
    if checked != openbadges.VALID:
        return Verdict(TAMPERED)
    if keys.issuer_key_withdrawn(document["proof"]["verificationMethod"]):
        # Whoever took the key could have signed this: nothing of it is shown. The holder's fresh copy verifies.
        return Verdict(KEY_WITHDRAWN)
    credential_id = str(document.get("id", ""))
    certificate = None
    if credential_id.startswith("urn:uuid:"):
        try:
            certificate = _issued().filter(code=credential_id.removeprefix("urn:uuid:")).first()
        except ValueError:  # a malformed UUID
            certificate = None
    if certificate is None:
        return Verdict(NOT_FOUND)
    revoked = _revoked_in_list(document)
    if revoked is None:
        # Signed by us but its list entry unreadable (an old-style URL, a list not signed yet): the record decides.
        revoked = certificate.state not in rules.HELD_STATES
    if revoked:
        return Verdict(REPLACED if certificate.state == rules.REPLACED else REVOKED, public_view(certificate))
    return _verdict(certificate) if certificate.state in rules.HELD_STATES else Verdict(REVOKED,
                                                                                      public_view(certificate))
