"""The JSON documents a certificate is published as: its OpenBadgeCredential and the revocation status list.

Text is Chinese (the certificate's language); identifiers are URLs of this installation (SITE_URL), so a verifier
who holds the file knows where the status list and the issuer profile are.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from django.conf import settings
from django.urls import reverse

from aigcert.catalog import api as catalog
from aigcert.credentials import openbadges
from aigcert.credentials.models import Certificate, IssuerKey, StatusList
from aigcert.credentials.policy import credentials_policy


def site_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def iso_instant(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_day(day: date) -> str:
    return iso_instant(datetime.combine(day, time(0, 0), tzinfo=UTC))


def credential_id(certificate: Certificate) -> str:
    return f"urn:uuid:{certificate.code}"


def status_list_url(status_list: StatusList) -> str:
    return site_url(reverse("credentials:status_list", args=[status_list.pk]))


def issuer_profile(key: IssuerKey, facts: catalog.CertificateFactsData) -> dict:
    return {"id": key.did, "type": ["Profile"], "name": facts.issuer_zh,
            "url": site_url(reverse("credentials:issuer"))}


def _criteria(facts: catalog.CertificateFactsData) -> str:
    areas = "、".join(facts.standard_areas_zh)
    passing = ""
    if facts.pass_mark is not None and facts.total_score:
        passing = f"评测满分{facts.total_score}分，{facts.pass_mark}分及以上为合格。"
    return f"参加{facts.program_name_zh}培训并通过评测。{passing}" + (f"评测内容：{areas}。" if areas else "")


def open_badge(certificate: Certificate, key: IssuerKey, facts: catalog.CertificateFactsData | None = None) -> dict:
    """The unsigned OpenBadgeCredential of an issued certificate."""
    facts = facts or catalog.certificate_facts(certificate.program_code)
    achievement = {
        "id": site_url(reverse("catalog:program_detail", args=[certificate.program_code])) + "#achievement",
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": facts.program_name_zh,
        "description": facts.summary_zh or facts.title_zh,
        "criteria": {"narrative": _criteria(facts)},
        "humanCode": certificate.number,
    }
    status_entry = None
    if certificate.status_list_id is not None:
        list_url = status_list_url(certificate.status_list)
        status_entry = {"id": f"{list_url}#{certificate.status_index}", "type": "BitstringStatusListEntry",
                        "statusPurpose": "revocation", "statusListIndex": str(certificate.status_index),
                        "statusListCredential": list_url}
    band = credentials_policy().band(certificate.score_band) if certificate.score_band else None
    if band is not None:
        achievement["resultDescription"] = [{
            "id": achievement["id"] + "-band", "type": ["ResultDescription"], "name": "成绩等级",
            "resultType": "LetterGrade", "allowedValue": [b.name_zh for b in credentials_policy().bands]}]
    document = openbadges.open_badge_credential(
        credential_id=credential_id(certificate), issuer=issuer_profile(key, facts),
        valid_from=iso_day(certificate.issued_on), subject_id=None, subject_name=certificate.legal_name,
        achievement=achievement, status_entry=status_entry)
    document["name"] = facts.title_zh
    if band is not None:
        document["credentialSubject"]["result"] = [
            {"type": ["Result"], "resultDescription": achievement["id"] + "-band", "value": band.name_zh}]
    return document


def status_list_document(status_list: StatusList, key: IssuerKey, revoked: list[int], moment: datetime) -> dict:
    encoded = openbadges.status_list_encode(revoked, status_list.length)
    return openbadges.status_list_credential(
        list_url=status_list_url(status_list), issuer=key.did,
        valid_from=iso_instant(moment), encoded=encoded, purpose=status_list.purpose)
