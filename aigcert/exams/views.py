"""The exam office's pages for blueprints and the pre-assembly of session papers. Thin: forms in, the blueprint
and pre-assembly services do the work. Exam administrators and platform staff only, like the session calendar."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from aigcert.accounts import api as accounts
from aigcert.catalog import api as catalog
from aigcert.core.api import DomainError, today
from aigcert.exams import blueprint_services, blueprints, papers, preassembly, rules
from aigcert.exams.forms import PROGRAM_SWITCH_KEEPS, BlueprintForm, PrepareForm
from aigcert.exams.models import Blueprint, Paper, PaperBatch, Session

Role = accounts.Role
exam_office = accounts.roles_required(Role.EXAM_ADMIN, Role.STAFF)


# ── blueprints ──────────────────────────────────────────────────────────────────────────────────────────────
@exam_office
def blueprint_list(request):
    programs = catalog.program_choices()
    program_code = request.GET.get("program", "")
    if program_code not in dict(programs):
        program_code = ""
    return render(request, "exams/blueprint_list.html", {
        "groups": blueprint_services.blueprint_groups(program_code or None), "programs": programs,
        "program_code": program_code,
    })


def _form_for(program_code: str, programs, *args, **kwargs) -> BlueprintForm:
    return BlueprintForm(*args, programs=programs, item_types=blueprint_services.program_item_types(program_code),
                         areas=blueprint_services.program_areas(program_code), **kwargs)


@exam_office
def blueprint_new(request):
    programs = catalog.program_choices()
    codes = [code for code, _name in programs]
    source = None
    if request.GET.get("from"):
        source = blueprint_services.blueprint_by_code(request.GET["from"])
        if source is None:
            raise Http404
    if request.method == "POST":
        program_code = request.POST.get("program", "")
    elif source is not None:
        program_code = source.program_code
    else:
        program_code = request.GET.get("program", "")
    if source is not None and source.program_code not in codes:  # a closed program's blueprint, copied
        programs = [*programs, (source.program_code, blueprint_services.program_name(source.program_code))]
        codes.append(source.program_code)
    if program_code not in codes:
        program_code = codes[0] if codes else ""

    action = request.POST.get("action", "check")
    review = None
    reasons: list[str] = []
    if request.method == "POST" and action == "program":
        # The program changed (no JavaScript): show its item types and areas, keeping what still applies.
        initial = {key: request.POST.get(key) for key in PROGRAM_SWITCH_KEEPS if request.POST.get(key)}
        initial.update(program=program_code, shuffle_items="shuffle_items" in request.POST,
                       shuffle_options="shuffle_options" in request.POST)
        form = _form_for(program_code, programs, initial=initial)
    elif request.method == "POST":
        form = _form_for(program_code, programs, request.POST)
        if form.is_valid():
            if action == "save":
                try:
                    blueprint = blueprints.blueprint_save(**form.save_kwargs(), actor=request.user)
                except blueprints.BlueprintInvalid as exc:
                    reasons = exc.reasons
                except DomainError as exc:
                    reasons = [str(exc.message)]
                else:
                    messages.success(request, _("Blueprint “%(name)s” saved; it is now the one in use for %(mode)s.")
                                     % {"name": blueprint.name, "mode": blueprint.get_mode_display()})
                    return redirect(reverse("exams:blueprint_list") + f"?program={blueprint.program_code}")
            else:
                kwargs = form.save_kwargs()
                try:
                    spec = blueprints.blueprint_spec_from(
                        sections=kwargs["sections"], areas=kwargs["areas"], difficulty_mix=kwargs["difficulty_mix"],
                        exposure_cap=kwargs["exposure_cap"])
                except DomainError as exc:
                    reasons = [str(exc.message)]
                else:
                    review = blueprint_services.blueprint_review(program_code=kwargs["program_code"],
                                                                 mode=kwargs["mode"], spec=spec)
                    reasons = review.reasons
    else:
        if source is not None:
            initial = blueprint_services.blueprint_initial(source)
        else:
            mode = request.GET.get("mode")
            initial = {"program": program_code, "mode": mode if mode in Blueprint.Mode.values else Blueprint.Mode.MOCK,
                       "paper_mode": Blueprint.PaperMode.PER_CANDIDATE}
        form = _form_for(program_code, programs, initial=initial)
    return render(request, "exams/blueprint_form.html", {
        "form": form, "source": source, "reasons": reasons, "summary": review.summary if review else None,
        "program_code": program_code, "program_name": blueprint_services.program_name(program_code),
        "action": action if request.method == "POST" else "",
    })


# ── sessions and their papers ───────────────────────────────────────────────────────────────────────────────
@exam_office
def session_list(request):
    sessions = list(Session.objects.filter(start_at__date__gte=today(), cancelled_at__isnull=True)
                    .annotate(paper_count=Count("papers")).order_by("start_at", "program_code"))
    latest = {}
    for batch in PaperBatch.objects.filter(session__in=sessions).order_by("session_id", "-created_at", "-id"):
        latest.setdefault(batch.session_id, batch)
    names = {code: name for code, name in catalog.program_choices()}
    rows = [(s, names.get(s.program_code, s.program_code), latest.get(s.pk)) for s in sessions]
    return render(request, "exams/session_list.html", {"rows": rows})


def _batch_json(batch: PaperBatch | None) -> JsonResponse:
    # The shape core/job-progress.js polls: it keeps polling while the status is "checking", then reloads.
    if batch is None:
        return JsonResponse({"status": "none", "state": "none", "percent": 0, "processed": 0, "total": 0})
    return JsonResponse({"status": "checking" if batch.live else batch.status, "state": batch.status,
                         "percent": batch.percent, "processed": batch.done, "total": batch.requested})


@exam_office
def session_papers(request, code):
    session = preassembly.session_by_code(code)
    if session is None:
        raise Http404
    if request.method == "POST":
        form = PrepareForm(request.POST)
        if form.is_valid():
            try:
                batch = preassembly.session_papers_prepare(session_code=str(session.code),
                                                           count=form.cleaned_data["count"], actor=request.user)
            except DomainError as exc:
                (messages.info if exc.code == "complete" else messages.error)(request, exc.message)
            else:
                messages.success(request, _("Preparing %(count)s papers in the background.") % {
                    "count": batch.requested})
            return redirect("exams:session_papers", code=session.code)
    else:
        form = PrepareForm(initial={"count": session.capacity})
    batch = preassembly.batch_latest(session)
    if request.headers.get("Accept") == "application/json":
        return _batch_json(batch)
    blueprint = papers.blueprint_active(session.program_code, Blueprint.Mode.FORMAL)
    by_blueprint = list(Paper.objects.filter(session=session).values("blueprint__name", "blueprint__code")
                        .annotate(count=Count("id")).order_by("blueprint__name"))
    paper_count = sum(row["count"] for row in by_blueprint)
    wanted = preassembly.papers_wanted(blueprint, count=None, capacity=session.capacity) if blueprint else None
    return render(request, "exams/session_papers.html", {
        "session": session, "program_name": blueprint_services.program_name(session.program_code),
        "blueprint": blueprint, "paper_count": paper_count, "by_blueprint": by_blueprint, "wanted": wanted,
        "per_candidate": blueprint is not None and blueprint.paper_mode == Blueprint.PaperMode.PER_CANDIDATE,
        "form": form, "batch": batch, "finished": batch is None or not batch.live,
        "batches": PaperBatch.objects.filter(session=session).select_related("created_by", "blueprint")[:10],
        "can_prepare": session.cancelled_at is None and session.state != rules.FINISHED and blueprint is not None,
    })
