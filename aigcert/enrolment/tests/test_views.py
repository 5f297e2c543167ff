"""Enrolment pages over HTTP: who may open what (anonymous → log in, someone else's object → 404 exactly like a
missing one, signed in without the role → 403), registration, eligibility claims, booking, tickets and the exam
office's session calendar. Every refusal is checked to have created nothing."""

import html
import io
import re
import uuid
from datetime import timedelta

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from aigcert.accounts.api import Role
from aigcert.billing import api as billing
from aigcert.core.api import inbox, now
from aigcert.enrolment import services
from aigcert.enrolment.models import Booking, EligibilityClaim, Enrolment
from aigcert.exams import api as exams
from aigcert.orgs import api as orgs

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(scope="module")
def _catalog_once(django_db_setup, django_db_blocker):
    """The shipped catalog, loaded once per module inside a transaction rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_catalog", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def catalog(_catalog_once, db):
    """Overrides the root `catalog` fixture (same data) to keep the module fast."""


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


# ── helpers ─────────────────────────────────────────────────────────────────────────────────────────────────
def signed_in(user=None, language="en") -> Client:
    browser = Client()
    browser.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    if user is not None:
        browser.force_login(user)
    return browser


def page_messages(response) -> list[tuple[str, str]]:
    return [(level, html.unescape(text)) for level, text in
            re.findall(r'<p class="message message-(\w+)">(.*?)</p>', response.content.decode())]


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def day(ahead: int):
    """A local calendar day (the exam office plans in Beijing time)."""
    return timezone.localdate(now()) + timedelta(days=ahead)


def pay_deposit(enrolment, finance) -> None:
    order = billing.order_for_subject(str(enrolment.code), billing.DEPOSIT)
    billing.offline_payment_confirm(order_code=order.code, bank_ref=f"B-{enrolment.code}", amount_fen=order.total_fen,
                                    actor=finance)


def paid_enrolment(user, finance, program_code="aigc-general") -> Enrolment:
    enrolment = services.enrolment_register(candidate=user, program_code=program_code)
    pay_deposit(enrolment, finance)
    return Enrolment.objects.get(pk=enrolment.pk)


def order_count() -> int:
    # Billing's public API has no "all orders"; a read-only count through the app registry keeps the boundary.
    return apps.get_model("billing", "Order").objects.count()


def live_booking(enrolment) -> Booking | None:
    return Booking.objects.filter(enrolment=enrolment, status__in=["held", "confirmed"]).first()


def in_language(language: str, message: str) -> str:
    with translation.override(language):
        return gettext(message)


class World:
    """A booked candidate, a stranger, two partner organizations and an eligibility claim with its proof."""

    def __init__(self, make_user, make_profile, staff_user):
        self.exam_admin = make_user(Role.EXAM_ADMIN)
        self.finance = make_user(Role.FINANCE)
        self.staff = staff_user
        self.owner = make_user(Role.CANDIDATE)
        make_profile(self.owner, legal_name="王小明", id_number="11010519491231002X")
        self.other = make_user(Role.CANDIDATE)
        # Five days ahead: booking is still open (closes 3 days before) and the ticket (7 days before) is ready.
        self.am, self.pm = exams.sessions_generate(program_code="aigc-general", days=[day(5)], actor=self.exam_admin)
        self.enrolment = paid_enrolment(self.owner, self.finance)
        self.booking = services.booking_create(enrolment=self.enrolment, session_code=self.am.code, actor=self.owner)
        self.org_a = orgs.org_create(slug="org-a", name="甲培训", actor=self.exam_admin)
        self.org_b = orgs.org_create(slug="org-b", name="乙培训", actor=self.exam_admin)
        self.admin_a, self.admin_b = make_user(Role.ORG_ADMIN), make_user(Role.ORG_ADMIN)
        orgs.org_admin_add(org_pk=self.org_a.pk, user=self.admin_a, actor=self.exam_admin)
        orgs.org_admin_add(org_pk=self.org_b.pk, user=self.admin_b, actor=self.exam_admin)
        self.claim = services.eligibility_claim_submit(
            candidate=self.owner, program_code="aigc-engineer-intermediate", work_years=2, employer="某科技公司",
            description="两年AIGC应用开发", proof=SimpleUploadedFile("在职证明.pdf", PDF), proof_name="在职证明.pdf")

    def actor(self, who):
        return None if who == "anon" else getattr(self, who)


@pytest.fixture
def world(catalog, make_user, make_profile, staff_user) -> World:
    return World(make_user, make_profile, staff_user)


# ── the authorization matrix ────────────────────────────────────────────────────────────────────────────────
# url template, method, {who: expected}; "login" = 302 to the login page, "missing" = the rightful user asking
# for a random uuid in place of the object (must be the same 404 as someone else's object).
CANDIDATE_SIDE = {"anon": "login", "other": 404, "exam_admin": 404, "admin_a": 404, "owner": 200, "missing": 404}
ORG_SIDE = {"anon": "login", "owner": 403, "exam_admin": 403, "finance": 403, "admin_b": 404, "admin_a": 200,
            "missing": 404}
OFFICE_SIDE = {"anon": "login", "owner": 403, "admin_a": 403, "finance": 403, "exam_admin": 200, "staff": 200}
MATRIX = {
    "detail": ("/me/enrolments/{enrolment}/", "get", "owner", CANDIDATE_SIDE),
    "book": ("/me/enrolments/{enrolment}/book/", "post", "owner", {**CANDIDATE_SIDE, "owner": 302}),
    "order_reissue": ("/me/enrolments/{enrolment}/reissue/", "post", "owner", {**CANDIDATE_SIDE, "owner": 302}),
    "ticket": ("/me/tickets/{booking}.pdf", "get", "owner", CANDIDATE_SIDE),
    "org_dashboard": ("/org/{org_a}/", "get", "admin_a", ORG_SIDE),
    "org_prices": ("/org/{org_a}/prices/", "get", "admin_a", ORG_SIDE),
    "org_import": ("/org/{org_a}/import/", "get", "admin_a", ORG_SIDE),
    "org_import_template": ("/org/{org_a}/import/template.xlsx", "get", "admin_a", ORG_SIDE),
    "org_vouchers": ("/org/{org_a}/vouchers/", "get", "admin_a", ORG_SIDE),
    "org_home": ("/org/", "get", "admin_a", {**ORG_SIDE, "admin_a": 302, "admin_b": 302, "missing": None}),
    "sessions": ("/staff/sessions/", "get", "exam_admin", OFFICE_SIDE),
    "session_cancel": ("/staff/sessions/{pm}/cancel/", "get", "exam_admin", {**OFFICE_SIDE, "missing": 404}),
    "claims": ("/staff/eligibility/", "get", "exam_admin", OFFICE_SIDE),
    "claim_proof": ("/staff/eligibility/{claim}/proof/", "get", "exam_admin", {**OFFICE_SIDE, "missing": 404}),
}


def _url(template: str, world: World, missing: bool = False) -> str:
    values = {"enrolment": world.enrolment.code, "booking": world.booking.code, "org_a": world.org_a.code,
              "pm": world.pm.code, "claim": world.claim.code}
    if missing:
        values = {key: uuid.uuid4() for key in values}
    return template.format(**values)


def _outcome(response, url: str):
    if response.status_code == 302 and response.url == f"/accounts/login/?next={url}":
        return "login"
    return response.status_code


@pytest.mark.parametrize("name", MATRIX)
def test_authorization_matrix(world, name):
    template, method, rightful, expected = MATRIX[name]
    expected = {who: outcome for who, outcome in expected.items() if outcome is not None}
    before = (list(Booking.objects.order_by("pk").values_list("pk", "status", "session_id")),
              Enrolment.objects.count(), list(EligibilityClaim.objects.values_list("status", flat=True)))

    actual = {}
    for who in expected:
        url = _url(template, world, missing=who == "missing")
        browser = signed_in(world.actor(rightful if who == "missing" else who))
        actual[who] = _outcome(getattr(browser, method)(url), url)

    assert actual == expected
    after = (list(Booking.objects.order_by("pk").values_list("pk", "status", "session_id")),
             Enrolment.objects.count(), list(EligibilityClaim.objects.values_list("status", flat=True)))
    assert after == before


def test_someone_elses_enrolment_looks_exactly_like_a_missing_one(world):
    browser = signed_in(world.other)

    theirs = browser.get(f"/me/enrolments/{world.enrolment.code}/")
    missing = browser.get(f"/me/enrolments/{uuid.uuid4()}/")

    assert theirs.status_code == missing.status_code == 404
    assert [t.name for t in theirs.templates] == [t.name for t in missing.templates]


def test_org_admin_of_one_org_cannot_see_another(world):
    response = signed_in(world.admin_a).get(f"/org/{world.org_b.code}/")

    assert response.status_code == 404
    own = signed_in(world.admin_a).get(f"/org/{world.org_a.code}/")
    assert own.status_code == 200
    assert "乙培训" not in own.content.decode()


def test_claim_proof_download_is_the_uploaded_file(world):
    response = signed_in(world.exam_admin).get(f"/staff/eligibility/{world.claim.code}/proof/")

    assert response.status_code == 200
    assert response.content == PDF
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == f'attachment; filename="proof-{world.claim.code}.pdf"'


# ── registration ────────────────────────────────────────────────────────────────────────────────────────────
def test_register_creates_the_enrolment_and_the_deposit_order(world, make_user):
    user = make_user(Role.CANDIDATE)
    browser = signed_in(user)

    response = browser.post("/enrol/aigc-general/", {"session": ""})

    [enrolment] = Enrolment.objects.filter(candidate=user)
    order = billing.order_for_subject(str(enrolment.code), billing.DEPOSIT)
    assert response.status_code == 302
    assert response.url == f"/orders/{order.code}/"
    assert (enrolment.state, enrolment.program_code, enrolment.organization_id) == ("registered", "aigc-general", None)
    assert (order.total_fen, order.status, order.user_id, order.purpose) == (49800, "pending", user.pk, "deposit")
    assert live_booking(enrolment) is None
    page = browser.get(response.url)
    assert page_messages(page) == [
        ("success", "You are registered. Pay the deposit to open the courses and confirm your seat.")]

    # Registering again leads to the existing enrolment and creates nothing.
    for again in (browser.post("/enrol/aigc-general/", {"session": ""}), browser.get("/enrol/aigc-general/")):
        assert again.status_code == 302
        assert again.url == f"/me/enrolments/{enrolment.code}/"
    assert Enrolment.objects.filter(candidate=user).count() == 1
    assert len(billing.orders_for_subjects([str(enrolment.code)])) == 1


def test_register_with_a_session_holds_the_seat_until_paid(world, make_user):
    user = make_user(Role.CANDIDATE)

    response = signed_in(user).post("/enrol/aigc-general/", {"session": world.pm.code})

    enrolment = Enrolment.objects.get(candidate=user)
    order = billing.order_for_subject(str(enrolment.code), billing.DEPOSIT)
    assert response.url == f"/orders/{order.code}/"
    booking = live_booking(enrolment)
    assert (booking.session_id, booking.status, booking.order_code) == (world.pm.pk, "held", order.code)

    pay_deposit(enrolment, world.finance)
    enrolment.refresh_from_db()
    assert enrolment.state == "booked"
    assert live_booking(enrolment).status == "confirmed"


def test_register_for_a_program_that_is_not_open_creates_nothing(world, make_user):
    user = make_user(Role.CANDIDATE)

    orders = order_count()

    response = signed_in(user).post("/enrol/aigc-expert/", {"session": ""})

    assert order_count() == orders
    assert response.status_code == 200
    assert page_messages(response) == [("error", "Registration for AIGC Skills (Expert) is not open.")]
    assert 'id="not-open"' in response.content.decode()
    assert not Enrolment.objects.filter(candidate=user).exists()


def test_register_for_an_unknown_program_is_404(world):
    assert signed_in(world.other).post("/enrol/no-such-program/").status_code == 404
    assert not Enrolment.objects.filter(candidate=world.other).exists()


def test_program_with_prerequisites_shows_the_requirements_and_the_claim_link(world, make_user):
    user = make_user(Role.CANDIDATE)
    browser = signed_in(user)

    page = browser.get("/enrol/aigc-engineer-intermediate/")

    assert page.status_code == 200
    section = re.search(r'<section class="card" id="eligibility">.*?</section>', page.content.decode(), re.S).group(0)
    options = [html.unescape(li) for li in re.findall(r"<li>(.*?)</li>", section)]
    assert len(options) == 2
    assert "aigc-engineer-junior" in options[0] or "AIGC Application Engineer (Junior)" in options[0]
    assert options[1] == "at least 1 year of AIGC work, approved by the exam office"
    assert 'href="/enrol/aigc-engineer-intermediate/eligibility/"' in section
    assert 'id="register-form"' not in page.content.decode()

    orders = order_count()
    refused = browser.post("/enrol/aigc-engineer-intermediate/", {"session": ""})
    assert order_count() == orders

    assert refused.status_code == 200
    assert page_messages(refused) == [("error", "You do not meet the requirements for AIGC Application Engineer "
                                                "(Intermediate) yet: hold the lower certificate, or have your years of "
                                                "AIGC work approved.")]
    assert not Enrolment.objects.filter(candidate=user).exists()


# ── eligibility claims ──────────────────────────────────────────────────────────────────────────────────────
def claim_form(proof: SimpleUploadedFile) -> dict:
    return {"work_years": "2", "employer": "某科技公司", "description": "两年AIGC应用开发", "proof": proof}


@pytest.mark.parametrize(("name", "content", "error"), [
    ("proof.pdf", b"just some text pretending", "The file's content is not a PDF, JPG or PNG."),
    ("proof.exe", PDF, "Upload a PDF, JPG or PNG file."),
])
def test_claim_with_a_file_that_is_not_a_pdf_is_refused(world, make_user, name, content, error):
    user = make_user(Role.CANDIDATE)

    response = signed_in(user).post("/enrol/aigc-engineer-intermediate/eligibility/",
                                    claim_form(SimpleUploadedFile(name, content, content_type="application/pdf")))

    assert response.status_code == 200
    assert error in text_of(response)
    assert not EligibilityClaim.objects.filter(candidate=user).exists()


def test_claim_with_a_real_pdf_is_accepted(world, make_user):
    user = make_user(Role.CANDIDATE)
    browser = signed_in(user)

    response = browser.post("/enrol/aigc-engineer-intermediate/eligibility/",
                            claim_form(SimpleUploadedFile("证明.pdf", PDF, content_type="application/pdf")),
                            follow=True)

    assert response.redirect_chain == [("/enrol/aigc-engineer-intermediate/", 302)]
    assert page_messages(response) == [
        ("success", "Your claim was sent. You will be told when it has been reviewed.")]
    claim = EligibilityClaim.objects.get(candidate=user)
    assert (claim.status, claim.work_years, claim.proof_name, claim.program_code) == (
        "pending", 2, "证明.pdf", "aigc-engineer-intermediate")
    assert claim.proof.open("rb").read() == PDF
    assert "Your claim of" in text_of(response)
    assert 'href="/enrol/aigc-engineer-intermediate/eligibility/"' not in response.content.decode()  # one at a time

    # A second claim while one waits is refused.
    again = browser.post("/enrol/aigc-engineer-intermediate/eligibility/",
                         claim_form(SimpleUploadedFile("b.pdf", PDF, content_type="application/pdf")))
    assert page_messages(again) == [("error", "You already have a claim waiting for review for this program.")]
    assert EligibilityClaim.objects.filter(candidate=user).count() == 1


def decide(world, claim, decision, reason=""):
    return signed_in(world.exam_admin).post("/staff/eligibility/", {"claim": str(claim.code), "decision": decision,
                                                                     "reason": reason}, follow=True)


def test_reject_without_a_reason_is_refused(world):
    response = decide(world, world.claim, "reject", "   ")

    assert response.redirect_chain == [("/staff/eligibility/", 302)]
    assert page_messages(response) == [("error", "Give the candidate a reason for the rejection.")]
    claim = EligibilityClaim.objects.get(pk=world.claim.pk)
    assert (claim.status, claim.reviewer_id) == ("pending", None)
    assert [n.kind for n in inbox(world.owner.pk) if n.kind == "eligibility"] == []


def test_reject_with_a_reason_tells_the_candidate(world):
    response = decide(world, world.claim, "reject", "证明材料不清晰")

    assert page_messages(response) == [("success", "Decision saved; the candidate has been told.")]
    assert EligibilityClaim.objects.get(pk=world.claim.pk).status == "rejected"
    [message] = [n for n in inbox(world.owner.pk) if n.kind == "eligibility"]
    assert message.subject == in_language(world.owner.language, "Your work experience was not approved")
    assert "证明材料不清晰" in message.body


def test_approve_tells_the_candidate_who_can_then_register(world):
    response = decide(world, world.claim, "approve")

    assert page_messages(response) == [("success", "Decision saved; the candidate has been told.")]
    claim = EligibilityClaim.objects.get(pk=world.claim.pk)
    assert (claim.status, claim.reviewer_id) == ("approved", world.exam_admin.pk)
    [message] = [n for n in inbox(world.owner.pk) if n.kind == "eligibility"]
    assert message.subject == "您的工作经历申报已通过" == in_language(world.owner.language,
                                                                   "Your work experience was approved")
    assert message.link == "/enrol/aigc-engineer-intermediate/"

    registered = signed_in(world.owner).post("/enrol/aigc-engineer-intermediate/", {"session": ""})
    assert registered.status_code == 302
    enrolment = Enrolment.objects.get(candidate=world.owner, program_code="aigc-engineer-intermediate")
    assert enrolment.eligibility_basis == "work_years:1"


def test_deciding_an_unknown_claim_is_404(world):
    response = signed_in(world.exam_admin).post("/staff/eligibility/", {"claim": str(uuid.uuid4()),
                                                                         "decision": "approve"})

    assert response.status_code == 404
    assert EligibilityClaim.objects.get(pk=world.claim.pk).status == "pending"


# ── booking ─────────────────────────────────────────────────────────────────────────────────────────────────
def test_booking_a_full_session_is_refused_and_creates_nothing(world, make_user):
    am, _pm = exams.sessions_generate(program_code="aigc-general", days=[day(12)], actor=world.exam_admin, capacity=1)
    first = paid_enrolment(world.other, world.finance)
    services.booking_create(enrolment=first, session_code=am.code, actor=world.other)
    late = paid_enrolment(make_user(Role.CANDIDATE), world.finance)
    browser = signed_in(late.candidate)
    page = browser.get(f"/me/enrolments/{late.code}/").content.decode()
    radio = re.search(rf'<input type="radio" name="session" value="{am.code}"[^>]*>[^<]*', page).group(0)
    assert " disabled" in radio and "0 seats left" in radio
    bookings = Booking.objects.count()

    response = browser.post(f"/me/enrolments/{late.code}/book/", {"session": am.code}, follow=True)

    assert response.redirect_chain == [(f"/me/enrolments/{late.code}/", 302)]
    assert page_messages(response) == [
        ("error", "Sorry, that session has just been fully booked. Please choose another one.")]
    assert Booking.objects.count() == bookings
    assert live_booking(late) is None
    assert Enrolment.objects.get(pk=late.pk).state == "deposit_paid"


def test_registering_with_a_full_session_creates_nothing(world, make_user):
    am, _pm = exams.sessions_generate(program_code="aigc-general", days=[day(13)], actor=world.exam_admin, capacity=1)
    services.booking_create(enrolment=paid_enrolment(world.other, world.finance), session_code=am.code,
                            actor=world.other)
    user = make_user(Role.CANDIDATE)
    bookings, orders = Booking.objects.count(), order_count()

    response = signed_in(user).post("/enrol/aigc-general/", {"session": am.code})

    assert response.status_code == 200
    assert page_messages(response) == [
        ("error", "Sorry, that session has just been fully booked. Please choose another one.")]
    assert not Enrolment.objects.filter(candidate=user).exists()
    assert (Booking.objects.count(), order_count()) == (bookings, orders)


def test_booking_a_free_session(world, make_user):
    enrolment = paid_enrolment(make_user(Role.CANDIDATE), world.finance)

    response = signed_in(enrolment.candidate).post(f"/me/enrolments/{enrolment.code}/book/",
                                                   {"session": world.pm.code}, follow=True)

    assert page_messages(response) == [("success", "Your seat is booked.")]
    assert live_booking(enrolment).session_id == world.pm.pk
    assert Enrolment.objects.get(pk=enrolment.pk).state == "booked"


def test_ticket_pdf_for_the_owner_within_the_ticket_window(world):
    response = signed_in(world.owner).get(f"/me/tickets/{world.booking.code}.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="ticket-{world.booking.ticket_number}.pdf"'
    assert response.content.startswith(b"%PDF")
    detail = signed_in(world.owner).get(f"/me/enrolments/{world.enrolment.code}/").content.decode()
    assert f'id="ticket-download" href="/me/tickets/{world.booking.code}.pdf"' in detail


def test_ticket_too_early_redirects_with_the_date(world, make_user):
    am, _pm = exams.sessions_generate(program_code="aigc-general", days=[day(20)], actor=world.exam_admin)
    enrolment = paid_enrolment(make_user(Role.CANDIDATE), world.finance)
    booking = services.booking_create(enrolment=enrolment, session_code=am.code, actor=enrolment.candidate)
    opens = timezone.localtime(am.start_at).date() - timedelta(days=7)

    response = signed_in(enrolment.candidate).get(f"/me/tickets/{booking.code}.pdf", follow=True)

    assert response.redirect_chain == [(f"/me/enrolments/{enrolment.code}/", 302)]
    assert page_messages(response) == [("error", f"The admission ticket can be downloaded from {opens.isoformat()}.")]
    assert 'id="ticket-download"' not in response.content.decode()


def test_ticket_of_a_released_booking_is_404(world):
    services.booking_change(enrolment=world.enrolment, session_code=world.pm.code, actor=world.owner)

    assert signed_in(world.owner).get(f"/me/tickets/{world.booking.code}.pdf").status_code == 404


# ── the exam office's calendar ──────────────────────────────────────────────────────────────────────────────
def test_exam_admin_generates_sessions_with_the_form(world):
    exam_day = day(25)

    response = signed_in(world.exam_admin).post("/staff/sessions/", {"program": "aigc-general",
                                                                     "day": exam_day.isoformat(), "capacity": ""},
                                                follow=True)

    assert response.redirect_chain == [("/staff/sessions/", 302)]
    assert page_messages(response) == [("success", "2 sessions created.")]
    created = [s for s in exams.sessions_upcoming(program_code="aigc-general")
               if timezone.localtime(s.start_at).date() == exam_day]
    assert sorted((s.sitting_code, s.capacity, f"{timezone.localtime(s.start_at):%H:%M}") for s in created) == [
        ("am", 200, "09:00"), ("pm", 200, "14:00")]


def test_session_generation_in_the_past_is_refused(world):
    count = len(exams.sessions_upcoming(since=day(-400)))

    response = signed_in(world.exam_admin).post("/staff/sessions/", {"program": "aigc-general",
                                                                     "day": day(-3).isoformat()})

    assert response.status_code == 200
    assert page_messages(response) == [("error", f"{day(-3).isoformat()} is in the past.")]
    assert len(exams.sessions_upcoming(since=day(-400))) == count


def test_candidate_cannot_generate_sessions(world):
    count = len(exams.sessions_upcoming())

    response = signed_in(world.owner).post("/staff/sessions/", {"program": "aigc-general",
                                                                "day": day(25).isoformat()})

    assert response.status_code == 403
    assert len(exams.sessions_upcoming()) == count


def cancel_am_moving_to_pm(world):
    return signed_in(world.exam_admin).post(f"/staff/sessions/{world.am.code}/cancel/", {
        "replacement": world.pm.code, "reason": "考场维护"}, follow=True)


def test_cancel_with_a_replacement_cancels_and_tells_the_candidate(world):
    response = cancel_am_moving_to_pm(world)

    assert response.redirect_chain == [("/staff/sessions/", 302)]
    assert page_messages(response) == [("success", "Session cancelled; 1 candidates moved and notified.")]
    assert exams.session_get(world.am.code).cancelled is True
    released = Booking.objects.get(pk=world.booking.pk)
    assert (released.status, released.released_reason) == ("released", "session_cancelled")
    [message] = [n for n in inbox(world.owner.pk) if n.kind == "session_changed"]
    assert world.owner.language == "zh-hans"  # told in their own language, not the exam admin's
    assert message.subject == "您的考试场次已调整" == in_language("zh-hans", "Your exam session was moved")
    assert "考场维护" in message.body
    [moved] = Booking.objects.filter(enrolment=world.enrolment, session_id=world.pm.pk)
    assert moved.ticket_number in message.body and moved.ticket_number != world.booking.ticket_number


def test_cancel_with_a_replacement_moves_the_seat_to_the_replacement(world):
    cancel_am_moving_to_pm(world)

    moved = live_booking(world.enrolment)
    assert moved is not None
    assert (moved.session_id, moved.status) == (world.pm.pk, "confirmed")
    assert Enrolment.objects.get(pk=world.enrolment.pk).state == "booked"
    assert signed_in(world.owner).get(f"/me/tickets/{moved.code}.pdf").status_code == 200
    # The seat counts on the replacement.
    assert services.seats_taken(world.pm.pk) == 1


def test_cancel_without_a_replacement_while_seats_are_booked_is_refused(world):
    response = signed_in(world.exam_admin).post(f"/staff/sessions/{world.am.code}/cancel/", {
        "replacement": "", "reason": "考场维护"})

    assert response.status_code == 200
    assert page_messages(response) == [
        ("error", "Candidates are booked on this session: choose a replacement session for them.")]
    assert exams.session_get(world.am.code).cancelled is False
    booking = live_booking(world.enrolment)
    assert (booking.pk, booking.session_id, booking.status) == (world.booking.pk, world.am.pk, "confirmed")
    assert [n for n in inbox(world.owner.pk) if n.kind == "session_changed"] == []


def test_cancel_an_empty_session_without_a_replacement(world):
    response = signed_in(world.exam_admin).post(f"/staff/sessions/{world.pm.code}/cancel/", {
        "replacement": "", "reason": "合并场次"}, follow=True)

    assert page_messages(response) == [("success", "Session cancelled; 0 candidates moved and notified.")]
    assert exams.session_get(world.pm.code).cancelled is True
    assert live_booking(world.enrolment).session_id == world.am.pk

