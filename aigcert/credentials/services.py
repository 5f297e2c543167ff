"""Writes of the certificate office: prepare, issue, print, mail, deliver, revoke, reissue; the holder's settings.

Every change is one transaction with its audit event. Bulk actions are all-or-nothing: one certificate that may not
move refuses the whole batch with its number, so an office never has to work out which half went through.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy

from aigcert.accounts import api as accounts
from aigcert.catalog import api as catalog
from aigcert.core.api import DomainError, NotFound, audit_record, notify, now, outbox_publish, today
from aigcert.credentials import documents, keys, openbadges, rules
from aigcert.credentials.models import Certificate, IssuerKey, SerialCounter, StatusList
from aigcert.credentials.policy import credentials_policy
from aigcert.credentials.rules import CERTIFICATE_CHANGED
from aigcert.enrolment import api as enrolment
from aigcert.results import api as results

logger = logging.getLogger(__name__)
TRACKING_NUMBER = re.compile(r"[A-Za-z0-9]{8,30}")


_program_name_lazy = lazy(catalog.program_name, str)


def _tell(certificate: Certificate, kind: str, subject, body, params: dict | None = None) -> None:
    user = certificate.candidate
    notify(user_id=user.pk, language=user.language, email=user.email, kind=kind, subject=subject, body=body,
           # Lazy: the program's name is read inside notify's switch to the holder's language.
           params={"program": _program_name_lazy(certificate.program_code), "number": certificate.number or "",
                   **(params or {})},
           link=f"/me/certificates/{certificate.code}/")


def _changed(certificate: Certificate) -> None:
    outbox_publish(topic=CERTIFICATE_CHANGED, payload={
        "user_id": certificate.candidate_id, "certificate": str(certificate.code),
        "program_code": certificate.program_code, "state": certificate.state})


def _check(certificate: Certificate, target: str) -> None:
    if not rules.can_transition(certificate.state, target):
        raise DomainError(gettext("Certificate %(number)s is %(state)s and cannot become %(target)s.") % {
            "number": certificate.number or certificate.legal_name, "state": certificate.get_state_display(),
            "target": Certificate.State(target).label})


def _move(certificate: Certificate, target: str, *, actor, data: dict | None = None) -> None:
    _check(certificate, target)
    before = certificate.state
    certificate.state = target
    audit_record(actor=actor, action=f"credentials.certificate_{target}", target=certificate,
                 data={"from": before, "to": target, "number": certificate.number, **(data or {})})


def _locked(codes: Iterable[str]) -> list[Certificate]:
    codes = list(dict.fromkeys(str(c) for c in codes))
    if not codes:
        raise DomainError(gettext("Choose at least one certificate."))
    found = list(Certificate.objects.select_for_update(of=("self",)).select_related("candidate")
                 .filter(code__in=codes).order_by("number", "id"))
    if len(found) != len(codes):
        raise NotFound()
    return found


# Preparing: the balance is paid ---------------------------------------------------------------------------------


def _legal_name(holder) -> str:
    """The profile's legal name only: never the account's fallback (its phone number or e-mail address)."""
    found = accounts.profile_legal_name_and_id(holder)
    return (found[0] if found else "").strip()


def _pass_session(candidate_id: int, program_code: str) -> str:
    passed = [r for r in results.results_of(candidate_id) if r.program_code == program_code and r.passed]
    return passed[0].session_code if passed else ""


@transaction.atomic
def certificate_prepare(*, enrolment_code: str, actor=None) -> Certificate | None:
    """A pending certificate for an enrolment whose holder passed and paid the balance; None when they haven't.
    Asking again returns the same certificate."""
    existing = Certificate.objects.filter(enrolment_code=enrolment_code).exclude(state=rules.REPLACED).first()
    if existing is not None:
        return existing
    try:
        if not enrolment.enrolment_can_be_certified(enrolment_code):
            return None
        data = enrolment.enrolment_get(enrolment_code)
    except NotFound:
        return None
    holder = get_user_model().objects.get(pk=data.candidate_id)
    notice = timezone.localdate(data.result_at or now())
    program = catalog.program_get(data.program_code)
    policy = credentials_policy()
    band = ""
    if data.program_code in policy.band_programs and program.exam is not None:
        band = rules.score_band_code(data.result_score, program.exam.total_score,
                                     [(b.code, b.min) for b in policy.bands])
    certificate = Certificate.objects.create(
        candidate_id=data.candidate_id, enrolment_code=enrolment_code, program_code=data.program_code,
        session_code=_pass_session(data.candidate_id, data.program_code), legal_name=_legal_name(holder)[:60],
        score=data.result_score, score_band=band, pass_notice_on=notice,
        mailing_address=accounts.mailing_address_of(holder))
    audit_record(actor=actor, action="credentials.certificate_pending", target=certificate,
                 data={"enrolment": enrolment_code, "program": data.program_code})
    return certificate


def certificates_prepare_due() -> int:
    """Prepare the certificates of balance-paid enrolments that have none (a listener that failed); returns how many.
    Each in its own transaction, so one that still fails doesn't hold back the others."""
    codes = enrolment.enrolments_awaiting_certificate()
    have = set(Certificate.objects.filter(enrolment_code__in=codes).values_list("enrolment_code", flat=True))
    made = 0
    for code in codes:
        if code in have:
            continue
        try:
            made += certificate_prepare(enrolment_code=code) is not None
        except Exception:
            logger.exception("certificate not prepared for enrolment %s", code)
    return made


# Issuing --------------------------------------------------------------------------------------------------------


def _next_serial(prefix: str, year: int) -> int:
    # The UPDATE takes the row's lock (PostgreSQL) or the database's write lock (SQLite) before the read, so two
    # transactions issuing at once are serialized here and never read the same value.
    if not SerialCounter.objects.filter(prefix=prefix, year=year).update(last=F("last") + 1):
        SerialCounter.objects.get_or_create(prefix=prefix, year=year)
        SerialCounter.objects.filter(prefix=prefix, year=year).update(last=F("last") + 1)
    return SerialCounter.objects.get(prefix=prefix, year=year).last


def _number_new(program_code: str, year: int) -> str:
    policy = credentials_policy()
    prefix = policy.prefixes.get(program_code)
    if prefix is None:
        raise DomainError(gettext("No certificate number prefix is configured for %(program)s.")
                          % {"program": program_code})
    return rules.certificate_number(prefix, year, _next_serial(prefix, year), policy.serial_digits)


def _verification_code_new() -> str:
    policy = credentials_policy()
    while True:
        code = rules.verification_code_new(policy.code_alphabet, policy.code_length)
        if not Certificate.objects.filter(verification_code=code).exists():
            return code


def _status_entry_new() -> tuple[StatusList, int]:
    length = credentials_policy().status_list_length
    for status_list in StatusList.objects.filter(allocated__lt=F("length")).order_by("id"):
        if StatusList.objects.filter(pk=status_list.pk, allocated__lt=F("length")).update(
                allocated=F("allocated") + 1):
            status_list.refresh_from_db(fields=["allocated"])
            return status_list, status_list.allocated - 1
    status_list = StatusList.objects.create(length=length, allocated=1)
    _status_list_sign(status_list)
    return status_list, 0


def _status_list_sign(status_list: StatusList) -> None:
    key = keys.issuer_key_for_signing()
    revoked = list(Certificate.objects.filter(status_list=status_list, state__in=[rules.REVOKED, rules.REPLACED])
                   .values_list("status_index", flat=True))
    moment = now()
    document = documents.status_list_document(status_list, key, revoked, moment)
    status_list.credential = openbadges.proof_add(
        document, secret_key=keys.signing_key(key), verification_method=openbadges.verification_method_of(key.did),
        created=documents.iso_instant(moment))
    status_list.save(update_fields=["credential", "updated_at"])


def _sign(certificate: Certificate, facts=None) -> None:
    key = keys.issuer_key_for_signing()
    document = documents.open_badge(certificate, key, facts)
    certificate.credential = openbadges.proof_add(
        document, secret_key=keys.signing_key(key), verification_method=openbadges.verification_method_of(key.did),
        created=documents.iso_instant(now()))


def _signed_by(document: object, did: str) -> bool:
    proof = document.get("proof") if isinstance(document, dict) else None
    return isinstance(proof, dict) and keys.did_of(str(proof.get("verificationMethod", ""))) == did


RESIGN_CHUNK = 200


@dataclass(frozen=True)
class Resigned:
    certificates: int
    failed: tuple[str, ...]  # numbers of certificates that could not be signed again (logged; a rerun retries)


def _resign_one(pk: int, did: str, facts: dict[str, catalog.CertificateFactsData]) -> bool:
    with transaction.atomic():
        certificate = (Certificate.objects.select_for_update(of=("self",)).select_related("status_list", "candidate")
                       .get(pk=pk))
        if not _signed_by(certificate.credential, did):  # signed again meanwhile (a second run)
            return False
        program = certificate.program_code
        if program not in facts:
            facts[program] = catalog.certificate_facts(program)
        _sign(certificate, facts[program])
        certificate.save(update_fields=["credential", "updated_at"])
        if certificate.state in rules.HELD_STATES:
            _tell(certificate, "certificate", gettext_lazy("Download your credential again"),
                  gettext_lazy("The digital credential of your certificate %(number)s for %(program)s was signed "
                               "again with a new key. Copies downloaded earlier no longer verify: download it "
                               "again and replace any copy you have shared."))
    return True


def credentials_resign(*, did: str, actor=None, progress: Callable[[int, int], None] | None = None) -> Resigned:
    """Sign again, with the active key, the status lists and certificate credentials that ``did`` signed: after a
    withdrawal, so that holders' fresh downloads and the served lists verify; holders are told to download again.
    One short transaction per credential, so the office can issue and revoke meanwhile; one that fails is logged and
    left for a rerun, which finishes what a cut-off run left. Audited."""
    key = IssuerKey.objects.filter(did=did).first()
    if key is None or key.active:
        raise DomainError(gettext("Only a key that no longer signs can have its credentials signed again."),
                          field="did")
    for list_id in StatusList.objects.order_by("id").values_list("id", flat=True):
        with transaction.atomic():
            status_list = StatusList.objects.select_for_update().get(pk=list_id)
            if _signed_by(status_list.credential, did):
                _status_list_sign(status_list)
    ids = list(Certificate.objects.exclude(state=rules.PENDING).order_by("id").values_list("id", flat=True))
    facts: dict[str, catalog.CertificateFactsData] = {}
    resigned, failed = 0, []
    for start in range(0, len(ids), RESIGN_CHUNK):
        chunk = ids[start:start + RESIGN_CHUNK]
        for pk, number, credential in (Certificate.objects.filter(pk__in=chunk)
                                       .values_list("id", "number", "credential")):
            if not _signed_by(credential, did):
                continue
            try:
                resigned += _resign_one(pk, did, facts)
            except Exception:  # one certificate must not stop the rest; the log and the result name it
                logger.exception("certificate %s could not be signed again", number)
                failed.append(number or str(pk))
        if progress is not None:
            progress(min(start + RESIGN_CHUNK, len(ids)), len(ids))
    audit_record(actor=actor, action="credentials.resigned", target=key,
                 data={"did": did, "certificates": resigned, "failed": failed})
    return Resigned(certificates=resigned, failed=tuple(failed))


def issuer_key_withdraw(*, did: str, reason: str, actor=None,
                        progress: Callable[[int, int], None] | None = None) -> tuple[IssuerKey, Resigned]:
    """Withdraw a key that may have leaked (a new one signs from now on if it was the signing key), then sign again
    everything it signed. Returns the withdrawn key and what was signed again."""
    key = keys.issuer_key_withdraw(did=did, reason=reason, actor=actor)
    return key, credentials_resign(did=key.did, actor=actor, progress=progress)


def _issue(certificate: Certificate, *, actor, on: date, facts=None) -> None:
    # A replacement follows a certificate already issued (the enrolment is certified by then).
    if certificate.replaces_id is None and not enrolment.enrolment_can_be_certified(certificate.enrolment_code):
        raise DomainError(gettext("%(name)s has not passed and paid the balance for this program: the certificate "
                                  "cannot be issued.") % {"name": certificate.legal_name})
    # The name as the profile has it now: a correction made while the certificate waited is printed.
    certificate.legal_name = _legal_name(certificate.candidate)[:60] or certificate.legal_name
    if not certificate.legal_name:
        raise DomainError(gettext("The holder of enrolment %(enrolment)s has no legal name on their profile: the "
                                  "certificate cannot be issued until they add it.")
                          % {"enrolment": certificate.enrolment_code})
    _move(certificate, rules.ISSUED, actor=actor)
    certificate.issued_on = on
    certificate.number = _number_new(certificate.program_code, on.year)
    certificate.verification_code = _verification_code_new()
    certificate.status_list, certificate.status_index = _status_entry_new()
    _sign(certificate, facts)
    certificate.save()
    if certificate.replaces_id is None:
        enrolment.enrolment_mark_certified(enrolment_code=certificate.enrolment_code, actor=actor)
    _changed(certificate)
    _tell(certificate, "certificate", gettext_lazy("Your certificate is issued"),
          gettext_lazy("Your certificate for %(program)s is issued, number %(number)s. You can download it and its "
                       "digital credential now; the stamped paper certificate follows by post."))


@transaction.atomic
def certificates_issue(*, codes: Iterable[str], actor) -> list[Certificate]:
    """Number, sign and issue pending certificates (all or none)."""
    found = _locked(codes)
    for certificate in found:
        if certificate.state != rules.PENDING:
            raise DomainError(gettext("Certificate of %(name)s is already %(state)s.") % {
                "name": certificate.legal_name, "state": certificate.get_state_display()})
    day = today()
    facts = {code: catalog.certificate_facts(code) for code in {c.program_code for c in found}}
    for certificate in found:
        _issue(certificate, actor=actor, on=day, facts=facts[certificate.program_code])
    return found


# The paper's way ------------------------------------------------------------------------------------------------


@transaction.atomic
def certificates_mark_printed(*, codes: Iterable[str], actor) -> list[Certificate]:
    found = _locked(codes)
    moment = now()
    for certificate in found:
        _move(certificate, rules.PRINTED, actor=actor)
        certificate.printed_at = moment
        certificate.save(update_fields=["state", "printed_at", "updated_at"])
    return found


def tracking_problems(rows: list[tuple[str, str, str]]) -> list[str]:
    """What is wrong with each (certificate, carrier, tracking number) row, numbered from 1; [] when nothing."""
    problems = []
    policy = credentials_policy()
    seen: set[str] = set()
    for position, (_code, carrier, tracking) in enumerate(rows, start=1):
        if policy.carrier(carrier) is None:
            problems.append(gettext("Row %(row)s: choose a carrier.") % {"row": position})
        if not TRACKING_NUMBER.fullmatch(tracking or ""):
            problems.append(gettext("Row %(row)s: a tracking number is 8 to 30 letters and digits.")
                            % {"row": position})
        elif tracking.upper() in seen:
            problems.append(gettext("Row %(row)s: tracking number %(tracking)s is used twice.")
                            % {"row": position, "tracking": tracking})
        seen.add((tracking or "").upper())
    return problems


@transaction.atomic
def certificates_mail(*, rows: list[tuple[str, str, str]], actor) -> list[Certificate]:
    """Record the posting of printed certificates: rows of (certificate code, carrier code, tracking number)."""
    problems = tracking_problems(rows)
    if problems:
        raise DomainError(" ".join(problems))
    found = {str(c.code): c for c in _locked(code for code, _carrier, _tracking in rows)}
    moment = now()
    mailed = []
    for code, carrier, tracking in rows:
        certificate = found[code]
        if not certificate.mailing_address:
            raise DomainError(gettext("%(number)s has no mailing address: the holder must add one first.")
                              % {"number": certificate.number})
        _move(certificate, rules.MAILED, actor=actor, data={"carrier": carrier, "tracking": tracking.upper()})
        certificate.carrier, certificate.tracking_number, certificate.mailed_at = carrier, tracking.upper(), moment
        certificate.save(update_fields=["state", "carrier", "tracking_number", "mailed_at", "updated_at"])
        named = credentials_policy().carrier(carrier)
        _tell(certificate, "certificate", gettext_lazy("Your certificate is in the post"),
              gettext_lazy("Your certificate %(number)s was sent by %(carrier)s, tracking number %(tracking)s."),
              {"carrier": lazy(lambda named=named: named.name, str)(), "tracking": certificate.tracking_number})
        mailed.append(certificate)
    return mailed


@transaction.atomic
def certificate_mark_delivered(*, code: str, actor, holder=None) -> Certificate:
    """The office records delivery, or the holder confirms receipt (``holder``: only their own certificate)."""
    certificate = _locked([code])[0]
    if holder is not None and certificate.candidate_id != holder.pk:
        raise NotFound()
    _move(certificate, rules.DELIVERED, actor=actor)
    certificate.delivered_at = now()
    certificate.save(update_fields=["state", "delivered_at", "updated_at"])
    return certificate


@transaction.atomic
def certificate_mailing_address_set(*, code: str, holder, address: str) -> Certificate:
    certificate = _locked([code])[0]
    if certificate.candidate_id != holder.pk:
        raise NotFound()
    if certificate.state not in (rules.PENDING, rules.ISSUED, rules.PRINTED):
        raise DomainError(gettext("The certificate has been posted; the address can no longer change."))
    address = (address or "").strip()
    if len(address) < 10 or len(address) > 300:
        raise DomainError(gettext("Enter the full postal address: recipient, phone and street (10 to 300 "
                                  "characters)."), field="address")
    certificate.mailing_address = address
    certificate.save(update_fields=["mailing_address", "updated_at"])
    audit_record(actor=holder, action="credentials.mailing_address_set", target=certificate)
    return certificate


# Ending a certificate's life ------------------------------------------------------------------------------------


def _reason_clean(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise DomainError(gettext("Give the reason (at least 4 characters)."), field="reason")
    return reason[:300]


def _end(certificate: Certificate, target: str, *, actor, reason: str) -> None:
    _check(certificate, target)
    # Lock the status list first: two revocations at once must not each re-sign a list missing the other's bit.
    status_list = StatusList.objects.select_for_update().get(pk=certificate.status_list_id)
    _move(certificate, target, actor=actor, data={"reason": reason})
    # A revocation's time and reason stay when the certificate is later replaced (the audit trail has both).
    certificate.revoked_at = certificate.revoked_at or now()
    certificate.revoked_reason = certificate.revoked_reason or reason
    certificate.save(update_fields=["state", "revoked_at", "revoked_reason", "updated_at"])
    _status_list_sign(status_list)
    _changed(certificate)


@transaction.atomic
def certificate_revoke(*, code: str, reason: str, actor) -> Certificate:
    reason = _reason_clean(reason)
    certificate = _locked([code])[0]
    _end(certificate, rules.REVOKED, actor=actor, reason=reason)
    _tell(certificate, "certificate", gettext_lazy("Your certificate was revoked"),
          gettext_lazy("Your certificate %(number)s for %(program)s was revoked: %(reason)s"), {"reason": reason})
    return certificate


@transaction.atomic
def certificate_reissue(*, code: str, reason: str, actor) -> Certificate:
    """A new certificate (new number, code and credential) in place of an issued one, e.g. after a name
    correction or a loss; the old one is marked replaced and its credential no longer verifies as valid."""
    reason = _reason_clean(reason)
    old = _locked([code])[0]
    _end(old, rules.REPLACED, actor=actor, reason=reason)
    holder = old.candidate
    new = Certificate.objects.create(
        candidate=holder, enrolment_code=old.enrolment_code, program_code=old.program_code,
        session_code=old.session_code, legal_name=_legal_name(holder)[:60] or old.legal_name,
        score=old.score, score_band=old.score_band, pass_notice_on=old.pass_notice_on, replaces=old,
        mailing_address=accounts.mailing_address_of(holder) or old.mailing_address,
        public_name=old.public_name, public_score_band=old.public_score_band)
    _issue(new, actor=actor, on=today())
    return new


# The holder's choices -------------------------------------------------------------------------------------------


@transaction.atomic
def certificate_public_settings_set(*, code: str, holder, public_name: str, public_score_band: bool) -> Certificate:
    certificate = _locked([code])[0]
    if certificate.candidate_id != holder.pk:
        raise NotFound()
    if public_name not in Certificate.NameShown.values:
        raise DomainError(gettext("Choose how your name is shown."), field="public_name")
    before = {"public_name": certificate.public_name, "public_score_band": certificate.public_score_band}
    certificate.public_name, certificate.public_score_band = public_name, bool(public_score_band)
    certificate.save(update_fields=["public_name", "public_score_band", "updated_at"])
    audit_record(actor=holder, action="credentials.public_settings_set", target=certificate,
                 data={"before": before, "after": {"public_name": public_name,
                                                   "public_score_band": bool(public_score_band)}})
    return certificate
