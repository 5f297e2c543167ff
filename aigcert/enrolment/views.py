"""Candidate, exam-office and partner pages of enrolment. Thin: forms in, services do the work."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aigcert.accounts import api as accounts
from aigcert.billing import api as billing
from aigcert.catalog import api as catalog
from aigcert.core.api import DomainError, NotFound, inbox, inbox_mark_read, today
from aigcert.enrolment import forms, rules, selectors, services
from aigcert.enrolment.importing import template_xlsx
from aigcert.enrolment.models import Booking, CandidateImport, EligibilityClaim, Enrolment
from aigcert.enrolment.tasks import candidate_import_task
from aigcert.exams import api as exams
from aigcert.orgs import api as orgs

Role = accounts.Role
exam_office = accounts.roles_required(Role.EXAM_ADMIN, Role.STAFF)
org_admin = accounts.roles_required(Role.ORG_ADMIN)


def _program_or_404(code: str):
    try:
        return catalog.program_get(code)
    except NotFound:
        raise Http404 from None


def _enrolment_or_404(request, code) -> Enrolment:
    try:
        return selectors.access_enrolment(request.user, code)
    except NotFound:
        raise Http404 from None


# ── candidate ────────────────────────────────────────────────────────────────────────────────────────────────
@login_required
def register(request, program_code):
    program = _program_or_404(program_code)
    existing = Enrolment.objects.filter(candidate=request.user, program_code=program_code).exclude(
        state="withdrawn").first()
    if existing is not None:
        return redirect("enrolment:detail", code=existing.code)
    eligibility = services.eligibility_of(request.user, program_code) if program.status == "open" else None
    sessions = exams.sessions_bookable(program_code, horizon_months=program.booking_horizon_months) \
        if program.status == "open" else []
    if request.method == "POST":
        try:
            enrolment = services.enrolment_register(candidate=request.user, program_code=program_code,
                                                    session_code=request.POST.get("session") or None)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            order = billing.order_for_subject(str(enrolment.code), billing.DEPOSIT)
            messages.success(request, _("You are registered. Pay the deposit to open the courses and confirm "
                                        "your seat."))
            return redirect("billing:order", code=order.code) if order and order.pending else \
                redirect("enrolment:detail", code=enrolment.code)
    price = billing.order_price_fen(purpose=billing.DEPOSIT, program_code=program_code) if program.fees else None
    claims = selectors.claims_of(request.user, program_code)
    options = [(option, _program_name(option.program_code)) for option in (eligibility.options if eligibility else ())]
    return render(request, "enrolment/register.html", {
        "options": options,
        "program": program, "eligibility": eligibility, "sessions": _with_seats(sessions), "deposit_fen": price,
        "claims": claims, "has_pending_claim": any(c.status == EligibilityClaim.Status.PENDING for c in claims),
    })


def _program_name(code: str | None) -> str:
    if not code:
        return ""
    try:
        return catalog.program_get(code).name
    except NotFound:
        return code


def _with_seats(sessions: list) -> list[tuple]:
    return [(s, rules.seats_free(s.capacity, services.seats_taken(s.pk))) for s in sessions]


@login_required
def claim(request, program_code):
    program = _program_or_404(program_code)
    form = forms.EligibilityClaimForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["proof"]
        try:
            services.eligibility_claim_submit(
                candidate=request.user, program_code=program_code, work_years=form.cleaned_data["work_years"],
                employer=form.cleaned_data["employer"], description=form.cleaned_data["description"],
                proof=upload, proof_name=upload.name)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Your claim was sent. You will be told when it has been reviewed."))
            return redirect("enrolment:register", program_code=program_code)
    return render(request, "enrolment/claim.html", {"program": program, "form": form})


@login_required
def detail(request, code):
    enrolment = _enrolment_or_404(request, code)
    view = selectors.enrolment_views([enrolment])[0]
    program = catalog.program_get(enrolment.program_code)
    choices = []
    can_change = view.booking is not None and view.booking.session.state == "open"
    if view.next_step in ("book", "book_retake") or can_change:
        current = view.booking.session.code if view.booking else None
        choices = [(s, free) for s, free in _with_seats(
            exams.sessions_bookable(enrolment.program_code, horizon_months=program.booking_horizon_months))
            if s.code != current]
    return render(request, "enrolment/detail.html", {
        "e": view, "program": program, "choices": choices, "can_change": can_change,
        "ticket_ready": view.booking is not None and view.booking.confirmed and today() >= view.booking.ticket_from,
        "unlocked": enrolment.state in rules.UNLOCKED_STATES,
    })


@login_required
@require_POST
def order_reissue(request, code):
    enrolment = _enrolment_or_404(request, code)
    try:
        services.enrolment_order_reissue(enrolment=enrolment, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("enrolment:detail", code=enrolment.code)


@login_required
@require_POST
def book(request, code):
    enrolment = _enrolment_or_404(request, code)
    session_code = request.POST.get("session", "")
    try:
        if request.POST.get("change"):
            services.booking_change(enrolment=enrolment, session_code=session_code, actor=request.user)
            messages.success(request, _("Your session was changed. Your new ticket number is on this page."))
        else:
            booking = services.booking_create(enrolment=enrolment, session_code=session_code, actor=request.user)
            if booking.status == Booking.Status.HELD:
                messages.success(request, _("Your seat is held. Pay the retake fee to confirm it."))
                return redirect("billing:order", code=booking.order_code)
            messages.success(request, _("Your seat is booked."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("enrolment:detail", code=enrolment.code)


@login_required
def ticket(request, booking_code):
    try:
        number, pdf = services.admission_ticket(user=request.user, booking_code=booking_code,
                                                exam_url=request.build_absolute_uri("/me/"))
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("enrolment:detail", code=exc.field)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="ticket-{number}.pdf"'
    return response


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


@login_required
def inbox_view(request):
    messages_list = inbox(request.user.pk)
    inbox_mark_read(request.user.pk)
    return render(request, "enrolment/inbox.html", {"notifications": messages_list})


# ── exam office ─────────────────────────────────────────────────────────────────────────────────────────────
def _open_programs() -> list[tuple[str, str]]:
    return [(p.code, p.name) for p in catalog.program_list_open() if p.exam is not None]


@exam_office
def sessions(request):
    form = forms.SessionGenerateForm(request.POST or None, programs=_open_programs())
    if request.method == "POST" and form.is_valid():
        try:
            created = exams.sessions_generate(program_code=form.cleaned_data["program"],
                                              days=[form.cleaned_data["day"]], actor=request.user,
                                              capacity=form.cleaned_data.get("capacity"))
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(count)s sessions created.") % {"count": len(created)})
            return redirect("enrolment:sessions")
    program_code = request.GET.get("program", "")
    upcoming = exams.sessions_upcoming(program_code=program_code or None, since=today() - timedelta(days=31))
    rows = [(s, services.seats_taken(s.pk)) for s in upcoming]
    return render(request, "enrolment/sessions.html", {"form": form, "rows": rows, "programs": _open_programs(),
                                                       "program_code": program_code})


@exam_office
def session_cancel(request, code):
    try:
        session = exams.session_get(str(code))
    except NotFound:
        raise Http404 from None
    others = [s for s in exams.sessions_upcoming(program_code=session.program_code)
              if s.code != session.code and not s.cancelled and s.state in ("scheduled", "open", "closed")]
    replacements = [(s.code, f"{timezone.localtime(s.start_at):%Y-%m-%d %H:%M} {s.sitting_label} "
                             f"({rules.seats_free(s.capacity, services.seats_taken(s.pk))})") for s in others]
    form = forms.SessionCancelForm(request.POST or None, replacements=replacements)
    booked = services.seats_taken(session.pk)
    if request.method == "POST" and form.is_valid():
        try:
            moved = services.session_cancel_and_move(session_code=session.code,
                                                     replacement_code=form.cleaned_data["replacement"] or None,
                                                     reason=form.cleaned_data["reason"], actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Session cancelled; %(count)s candidates moved and notified.") % {
                "count": moved})
            return redirect("enrolment:sessions")
    return render(request, "enrolment/session_cancel.html", {"session": session, "form": form, "booked": booked})


@accounts.roles_required(Role.EXAM_ADMIN, Role.STAFF)
def claims(request):
    if request.method == "POST":
        claim_obj = EligibilityClaim.objects.filter(code=request.POST.get("claim")).first() \
            if _is_uuid(request.POST.get("claim")) else None
        form = forms.ClaimDecisionForm(request.POST)
        if claim_obj is None:
            raise Http404
        if form.is_valid():
            try:
                services.eligibility_claim_decide(claim=claim_obj, approve=form.cleaned_data["decision"] == "approve",
                                                  reason=form.cleaned_data["reason"], actor=request.user)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Decision saved; the candidate has been told."))
        return redirect("enrolment:claims")
    return render(request, "enrolment/claims.html", {"claims": selectors.claims_pending()})


@accounts.roles_required(Role.EXAM_ADMIN, Role.STAFF)
def claim_proof(request, code):
    claim_obj = EligibilityClaim.objects.filter(code=code).first()
    if claim_obj is None:
        raise Http404
    response = HttpResponse(claim_obj.proof.open("rb").read(), content_type="application/octet-stream")
    response["Content-Disposition"] = "attachment; filename=\"proof-{}{}\"".format(
        claim_obj.code, "." + claim_obj.proof_name.rsplit(".", 1)[-1].lower() if "." in claim_obj.proof_name else "")
    return response


# ── partner organizations ──────────────────────────────────────────────────────────────────────────────────
def _org_or_404(request, org_code):
    try:
        return orgs.org_for_admin(request.user, str(org_code))
    except NotFound:
        raise Http404 from None


@org_admin
def org_home(request):
    mine = orgs.orgs_of_admin(request.user)
    if len(mine) == 1:
        return redirect("enrolment:org_dashboard", org_code=mine[0].code)
    return render(request, "enrolment/org_home.html", {"orgs": mine})


@org_admin
def org_dashboard(request, org_code):
    org = _org_or_404(request, org_code)
    program_code, state = request.GET.get("program", ""), request.GET.get("state", "")
    cohort = selectors.cohort(org.pk, program_code=program_code, state=state)
    views = selectors.enrolment_views(cohort)
    names = {e.candidate_id: (accounts.legal_name_of(e.candidate), accounts.mask_phone(e.candidate.phone or ""))
             for e in cohort}
    counts: dict[str, int] = {}
    for e in selectors.cohort(org.pk):
        counts[e.state] = counts.get(e.state, 0) + 1
    return render(request, "enrolment/org_dashboard.html", {
        "org": org, "rows": [(v, *names[v.candidate_id]) for v in views],
        "counts": [(Enrolment.State(k).label, v) for k, v in counts.items()], "total": sum(counts.values()),
        "programs": _open_programs(), "states": Enrolment.State.choices, "program_code": program_code,
        "state": state,
    })


@org_admin
def org_prices(request, org_code):
    org = _org_or_404(request, org_code)
    prices = orgs.org_prices(org.pk)
    programs = [p for p in catalog.program_list_open() if p.fees]
    if request.method == "POST":
        program_code = request.POST.get("program", "")
        form = forms.OrgPriceForm(request.POST)
        if program_code not in {p.code for p in programs}:
            raise Http404
        if form.is_valid():
            try:
                orgs.org_price_set(org_pk=org.pk, program_code=program_code,
                                   deposit_fen=forms.fen(form.cleaned_data["deposit"]),
                                   balance_fen=forms.fen(form.cleaned_data["balance"]),
                                   retake_fee_fen=forms.fen(form.cleaned_data["retake"]), actor=request.user)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Price saved. New orders of your candidates use it."))
                return redirect("enrolment:org_prices", org_code=org.code)
        else:
            messages.error(request, _("Enter amounts in yuan with at most two decimals."))
    rows = [(p, prices.get(p.code)) for p in programs]
    return render(request, "enrolment/org_prices.html", {"org": org, "rows": rows})


@org_admin
def org_import(request, org_code):
    org = _org_or_404(request, org_code)
    form = forms.CandidateImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = CandidateImport(organization_id=org.pk, uploaded_by=request.user, file_name=upload.name[:200],
                              language=translation.get_language())
        job.file.save(f"{job.code}.xlsx", ContentFile(upload.read()), save=False)
        job.save()
        transaction.on_commit(lambda: candidate_import_task.enqueue(job_id=job.pk))
        return redirect("enrolment:org_import_status", org_code=org.code, code=job.code)
    return render(request, "enrolment/org_import.html", {"org": org, "form": form})


@org_admin
def org_import_template(request, org_code):
    _org_or_404(request, org_code)
    response = HttpResponse(template_xlsx(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = 'attachment; filename="candidates-template.xlsx"'
    return response


@org_admin
def org_import_status(request, org_code, code):
    org = _org_or_404(request, org_code)
    job = CandidateImport.objects.filter(code=code, organization_id=org.pk).first()
    if job is None:
        raise Http404
    running = job.status in (CandidateImport.Status.QUEUED, CandidateImport.Status.RUNNING)
    percent = 100 if not running else int(100 * job.rows_done / job.rows_total) if job.rows_total else 0
    if request.headers.get("Accept") == "application/json":
        return JsonResponse({"status": "checking" if running else job.status, "percent": percent,
                             "processed": job.rows_done, "total": job.rows_total})
    return render(request, "enrolment/org_import_status.html", {"org": org, "job": job, "finished": not running,
                                                                "percent": percent})


@org_admin
def org_vouchers(request, org_code):
    org = _org_or_404(request, org_code)
    programs = [(p.code, p.name) for p in catalog.program_list_open() if p.fees]
    buy = forms.VoucherBuyForm(request.POST if request.POST.get("action") == "buy" else None, programs=programs)
    if request.method == "POST" and request.POST.get("action") == "buy" and buy.is_valid():
        try:
            order = billing.order_create(user=request.user, purpose=billing.VOUCHER_BATCH,
                                         program_code=buy.cleaned_data["program"], org_pk=org.pk,
                                         quantity=buy.cleaned_data["quantity"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            return redirect("billing:order", code=order.code)
    if request.method == "POST" and request.POST.get("action") == "assign":
        enrolment = Enrolment.objects.filter(code=request.POST.get("enrolment"), organization_id=org.pk).first() \
            if _is_uuid(request.POST.get("enrolment")) else None
        if enrolment is None:
            raise Http404
        try:
            services.org_voucher_assign(org_pk=org.pk, enrolment=enrolment,
                                        voucher_code=request.POST.get("voucher", ""), actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Seat code assigned; the candidate's deposit is paid."))
        return redirect("enrolment:org_vouchers", org_code=org.code)
    vouchers = billing.vouchers_of_org(org.pk)
    registered = selectors.cohort(org.pk, state="registered")
    waiting = [v for v in selectors.enrolment_views(registered) if v.pending_order is not None]
    by_code = {str(e.code): accounts.legal_name_of(e.candidate) for e in registered}
    return render(request, "enrolment/org_vouchers.html", {
        "org": org, "buy": buy, "vouchers": vouchers, "unused": [v for v in vouchers if v.redeemed_at is None],
        "waiting": [(v, by_code.get(v.code, "")) for v in waiting],
        "orders_url": reverse("billing:orders"),
    })
