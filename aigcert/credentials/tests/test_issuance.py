"""The certificate's life: prepared when the balance is paid, issued, printed, mailed, delivered; revoked or
reissued. Each step is audited; bulk actions are all or nothing."""

from datetime import timedelta

import pytest
from django.apps import apps

from aigcert.core.api import DomainError, NotFound, audit_events, today
from aigcert.credentials import rules, selectors, services
from aigcert.credentials.api import holdings_of
from aigcert.credentials.models import Certificate
from aigcert.enrolment import api as enrolment

pytestmark = pytest.mark.django_db


def actions(certificate) -> list[str]:
    return [e.action for e in reversed(audit_events(target=certificate))]


def test_paying_the_balance_prepares_a_pending_certificate(passed):
    holder, code = passed("王小明", score=85)
    certificate = Certificate.objects.get(enrolment_code=code)
    assert certificate.state == rules.PENDING and certificate.number is None
    assert certificate.candidate == holder and certificate.legal_name == "王小明"
    assert certificate.score == 85 and certificate.score_band == ""  # 通用级 shows no band
    assert certificate.pass_notice_on == today()
    assert "中关村大街1号" in certificate.mailing_address
    assert actions(certificate) == ["credentials.certificate_pending"]
    assert holdings_of(holder.pk) == []  # pending is not held


def test_no_certificate_without_the_balance(passed, office):
    _holder, code = passed(pay=False)
    assert not Certificate.objects.filter(enrolment_code=code).exists()
    assert services.certificate_prepare(enrolment_code=code) is None


def test_issuing_without_the_balance_is_refused(passed, office):
    """A pending certificate whose enrolment is no longer 'balance paid' (e.g. made by hand) is not issued."""
    holder, code = passed(pay=False)
    forged = Certificate.objects.create(candidate=holder, enrolment_code=code, program_code="aigc-general",
                                        legal_name="张小三", pass_notice_on=today())
    with pytest.raises(DomainError, match="not passed and paid"):
        services.certificates_issue(codes=[forged.code], actor=office)
    forged.refresh_from_db()
    assert forged.state == rules.PENDING and forged.number is None
    assert enrolment.enrolment_get(code).state == "passed"


def test_issue_print_mail_deliver_each_audited(passed, office):
    holder, code = passed("李雷")
    pending = Certificate.objects.get(enrolment_code=code)
    [certificate] = services.certificates_issue(codes=[pending.code], actor=office)
    assert certificate.state == rules.ISSUED and certificate.issued_on == today()
    assert rules.number_well_formed(certificate.number, 6) and certificate.number.startswith(f"GA{today().year}")
    assert len(certificate.verification_code) == 12
    assert certificate.credential["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert certificate.status_index is not None
    assert enrolment.enrolment_get(code).state == "certified"
    assert [h.number for h in holdings_of(holder.pk)] == [certificate.number]

    services.certificates_mark_printed(codes=[certificate.code], actor=office)
    services.certificates_mail(rows=[(str(certificate.code), "ems", "EA123456789CN")], actor=office)
    certificate.refresh_from_db()
    assert (certificate.state, certificate.carrier, certificate.tracking_number) == ("mailed", "ems", "EA123456789CN")
    services.certificate_mark_delivered(code=certificate.code, actor=office)
    certificate.refresh_from_db()
    assert certificate.state == rules.DELIVERED and certificate.delivered_at is not None
    assert actions(certificate) == ["credentials.certificate_pending", "credentials.certificate_issued",
                                    "credentials.certificate_printed", "credentials.certificate_mailed",
                                    "credentials.certificate_delivered"]
    events = {e.action: e for e in audit_events(target=certificate)}
    assert events["credentials.certificate_mailed"].data["tracking"] == "EA123456789CN"
    assert events["credentials.certificate_issued"].actor_id == office.pk
    Notification = apps.get_model("core", "Notification")
    subjects = list(Notification.objects.filter(user=holder, kind="certificate").values_list("subject", flat=True))
    assert len(subjects) == 2  # issued, posted


def test_a_holder_without_a_legal_name_is_not_issued_a_certificate(passed, office, make_user):
    """The account's fallback name (its phone number) must never be printed or signed as the holder's name."""
    holder, code = passed("")
    pending = Certificate.objects.get(enrolment_code=code)
    assert pending.legal_name == "" and holder.phone not in pending.legal_name
    with pytest.raises(DomainError, match=code):
        services.certificates_issue(codes=[pending.code], actor=office)
    pending.refresh_from_db()
    assert pending.state == rules.PENDING and pending.number is None


def test_the_name_is_read_again_at_issue(passed, office):
    holder, code = passed("张晓")
    holder.profile.legal_name = "张晓明"  # corrected while the certificate waited
    holder.profile.save()
    certificate = services.certificates_issue(codes=[Certificate.objects.get(enrolment_code=code).code],
                                              actor=office)[0]
    assert certificate.legal_name == "张晓明"
    assert certificate.credential["credentialSubject"]["identifier"][0]["identityHash"] == "张晓明"


def test_a_failing_certificate_listener_leaves_the_payment_whole(passed, monkeypatch):
    """The listener shares enrolment's savepoint: a failure to prepare must not undo "balance paid"; the tick
    prepares the certificate later."""
    def broken(**_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "certificate_prepare", broken)
    _holder, code = passed("监听失败")
    assert enrolment.enrolment_get(code).state == "balance_paid"
    assert not Certificate.objects.filter(enrolment_code=code).exists()
    monkeypatch.undo()
    assert services.certificates_prepare_due() == 1
    assert Certificate.objects.get(enrolment_code=code).state == rules.PENDING
    assert services.certificates_prepare_due() == 0


def test_a_revocation_made_in_error_can_be_undone_by_a_reissue(issued, office):
    certificate = issued()
    services.certificate_revoke(code=certificate.code, reason="误操作撤销", actor=office)
    new = services.certificate_reissue(code=certificate.code, reason="撤销有误，补发", actor=office)
    certificate.refresh_from_db()
    assert certificate.state == rules.REPLACED and certificate.revoked_reason == "误操作撤销"
    assert new.state == rules.ISSUED and new.number != certificate.number


def test_steps_out_of_order_are_refused(issued, office):
    certificate = issued()
    with pytest.raises(DomainError):
        services.certificates_mail(rows=[(str(certificate.code), "ems", "EA123456789CN")], actor=office)
    with pytest.raises(DomainError):
        services.certificate_mark_delivered(code=certificate.code, actor=office)
    with pytest.raises(DomainError):
        services.certificates_issue(codes=[certificate.code], actor=office)
    certificate.refresh_from_db()
    assert certificate.state == rules.ISSUED


def test_bulk_actions_are_all_or_nothing(issued, passed, office):
    first, second = issued("甲一"), issued("乙二")
    _holder, code = passed("丙三")
    pending = Certificate.objects.get(enrolment_code=code)
    with pytest.raises(DomainError):
        services.certificates_mark_printed(codes=[first.code, second.code, pending.code], actor=office)
    assert set(Certificate.objects.filter(pk__in=[first.pk, second.pk]).values_list("state", flat=True)) == {"issued"}
    services.certificates_mark_printed(codes=[first.code, second.code], actor=office)
    # One bad tracking number: nobody is marked mailed, and the message names the row.
    rows = [(str(first.code), "ems", "EA123456789CN"), (str(second.code), "ems", "short")]
    with pytest.raises(DomainError, match="Row 2"):
        services.certificates_mail(rows=rows, actor=office)
    with pytest.raises(DomainError, match="Row 2"):
        services.certificates_mail(rows=[(str(first.code), "ems", "EA1234567"), (str(second.code), "ems",
                                                                                 "ea1234567")], actor=office)
    with pytest.raises(DomainError, match="Row 1"):
        services.certificates_mail(rows=[(str(first.code), "pigeon", "EA123456789CN")], actor=office)
    assert set(Certificate.objects.filter(pk__in=[first.pk, second.pk]).values_list("state", flat=True)) == {
        "printed"}


def test_mailing_needs_an_address(passed, office):
    _holder, code = passed(address=False)
    certificate = services.certificates_issue(codes=[Certificate.objects.get(enrolment_code=code).code],
                                              actor=office)[0]
    services.certificates_mark_printed(codes=[certificate.code], actor=office)
    with pytest.raises(DomainError, match="no mailing address"):
        services.certificates_mail(rows=[(str(certificate.code), "sf", "SF1234567890")], actor=office)


def test_revoke_with_reason(issued, office):
    certificate = issued()
    with pytest.raises(DomainError):
        services.certificate_revoke(code=certificate.code, reason="", actor=office)
    services.certificate_revoke(code=certificate.code, reason="考试舞弊，经复核属实", actor=office)
    certificate.refresh_from_db()
    assert certificate.state == rules.REVOKED and certificate.revoked_reason == "考试舞弊，经复核属实"
    event = audit_events(action="credentials.certificate_revoked", target=certificate)[0]
    assert event.actor_id == office.pk and event.data["reason"] == "考试舞弊，经复核属实"
    assert holdings_of(certificate.candidate_id) == []
    with pytest.raises(DomainError):
        services.certificate_revoke(code=certificate.code, reason="again please", actor=office)


def test_pending_cannot_be_revoked(passed, office):
    _holder, code = passed()
    pending = Certificate.objects.get(enrolment_code=code)
    with pytest.raises(DomainError):
        services.certificate_revoke(code=pending.code, reason="no reason at all", actor=office)


def test_reissue_gives_a_new_number_and_marks_the_old_replaced(issued, office, make_profile):
    old = issued("张小三")
    holder = old.candidate
    holder.profile.legal_name = "张晓三"  # a name correction
    holder.profile.save()
    new = services.certificate_reissue(code=old.code, reason="姓名更正", actor=office)
    old.refresh_from_db()
    assert old.state == rules.REPLACED and old.replaced_by == new
    assert new.state == rules.ISSUED and new.number != old.number and new.legal_name == "张晓三"
    assert new.verification_code != old.verification_code and new.status_index != old.status_index
    assert new.replaces == old and new.enrolment_code == old.enrolment_code
    assert [h.number for h in holdings_of(holder.pk)] == [new.number]
    assert "credentials.certificate_replaced" in actions(old)
    assert actions(new) == ["credentials.certificate_issued"]


def test_numbers_are_sequential_per_prefix_and_year(issued):
    numbers = [issued(f"测试{i}").number for i in range(3)]
    serials = [int(n[6:12]) for n in numbers]
    assert serials == [serials[0], serials[0] + 1, serials[0] + 2]
    professional = issued("专业甲", program="aigc-professional", score=92)
    assert professional.number.startswith("GP") and int(professional.number[6:12]) == 1
    assert professional.score_band == "excellent"


def test_queues_and_the_risk_flag(passed, issued, office):
    _holder, code = passed("逾期者")
    late = Certificate.objects.get(enrolment_code=code)
    Certificate.objects.filter(pk=late.pk).update(pass_notice_on=today() - timedelta(days=41))
    _holder, code = passed("临期者")
    soon = Certificate.objects.get(enrolment_code=code)
    Certificate.objects.filter(pk=soon.pk).update(pass_notice_on=today() - timedelta(days=35))
    _holder, code = passed("正常者")
    fine = Certificate.objects.get(enrolment_code=code)
    printed = issued("已打印")
    services.certificates_mark_printed(codes=[printed.code], actor=office)

    pending = {row.certificate.pk: row.risk for row in selectors.queue("pending")}
    assert pending == {late.pk: "overdue", soon.pk: "at_risk", fine.pk: ""}
    assert [row.certificate.pk for row in selectors.queue("at_risk")] == [late.pk, soon.pk]
    assert [row.certificate.pk for row in selectors.queue("printed")] == [printed.pk]
    counts = selectors.queue_counts()
    assert counts["pending"] == 3 and counts["printed"] == 1 and counts["at_risk"] == 2
    assert [row.certificate.pk for row in selectors.queue("all", search="临期")] == [soon.pk]
    assert [row.certificate.pk for row in selectors.queue("all", search=printed.number.lower())] == [printed.pk]


def test_holder_settings_are_their_own(issued, make_user):
    certificate = issued()
    stranger = make_user()
    with pytest.raises(NotFound):
        services.certificate_public_settings_set(code=certificate.code, holder=stranger, public_name="full",
                                                 public_score_band=True)
    services.certificate_public_settings_set(code=certificate.code, holder=certificate.candidate,
                                             public_name="full", public_score_band=False)
    certificate.refresh_from_db()
    assert certificate.public_name == "full"
    event = audit_events(action="credentials.public_settings_set", target=certificate)[0]
    assert event.data["before"]["public_name"] == "masked" and event.data["after"]["public_name"] == "full"
