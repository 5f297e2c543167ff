"""The course pages: courses, lessons (read, complete, edit), the learning path, practice, human tutoring."""

from __future__ import annotations

import json
import re
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aigcert.accounts import api as accounts
from aigcert.catalog import api as catalog
from aigcert.core.api import DomainError, NotFound, today
from aigcert.itembank import api as itembank
from aigcert.learning import access, rules, selectors, services
from aigcert.learning.forms import LessonEditForm, LessonFileForm
from aigcert.learning.models import LessonFile, LessonPage
from aigcert.learning.policy import learning_paths


def _closed_during_exam(request: HttpRequest) -> HttpResponse | None:
    if access.in_formal_exam(request.user):
        return render(request, "learning/closed_during_exam.html", status=409)
    return None


def _lesson_or_404(program_code: str, lesson_code: str) -> catalog.LessonData:
    try:
        lessons = catalog.lessons_of(program_code)
    except NotFound:
        raise Http404 from None
    lesson = next((x for x in lessons if x.code == lesson_code), None)
    if lesson is None:
        raise Http404
    return lesson


@login_required
def courses(request: HttpRequest) -> HttpResponse:
    rows = []
    for program in catalog.program_list_open():
        outline = selectors.outline(request.user, program.code)
        if outline.total:
            rows.append(outline)
    return render(request, "learning/courses.html", {"outlines": rows})


@login_required
def course(request: HttpRequest, program_code: str) -> HttpResponse:
    try:
        outline = selectors.outline(request.user, program_code)
    except NotFound:
        raise Http404 from None
    areas = {}
    for item in catalog.standard_items(program_code):
        areas.setdefault(item.area_code, item.area_title)
    return render(request, "learning/course.html", {
        "outline": outline, "areas": areas.items(), "sets": selectors.practice_sets_of(request.user, program_code),
        "can_edit": access.can_edit(request.user)})


@login_required
def lesson(request: HttpRequest, program_code: str, lesson_code: str) -> HttpResponse:
    if closed := _closed_during_exam(request):
        return closed
    lesson = _lesson_or_404(program_code, lesson_code)
    page = selectors.lesson_page(program_code, lesson_code)
    unlocked = access.full_access(request.user, program_code)
    if not (unlocked or access.lesson_readable(request.user, program_code, page)):
        program = catalog.program_get(program_code)
        return render(request, "learning/locked.html", {"lesson": lesson, "program": program}, status=403)
    services.lesson_open(user=request.user, program_code=program_code, lesson_code=lesson_code)
    lessons = catalog.lessons_of(program_code)
    position = [x.code for x in lessons].index(lesson_code)
    program = catalog.program_get(program_code)
    return render(request, "learning/lesson.html", {
        "lesson": lesson, "page": page, "program": program,
        "progress": selectors.lesson_progress(request.user, program_code, lesson_code),
        "previous": lessons[position - 1] if position else None,
        "next": lessons[position + 1] if position + 1 < len(lessons) else None,
        "files": list(page.files.all()) if page else [],
        "questions": selectors.lesson_questions(request.user, program_code, lesson_code),
        "human_tutoring": program.human_tutoring and unlocked,
        "can_edit": access.can_edit(request.user)})


@login_required
@require_POST
def lesson_complete(request: HttpRequest, program_code: str, lesson_code: str) -> HttpResponse:
    if closed := _closed_during_exam(request):
        return closed
    _lesson_or_404(program_code, lesson_code)
    page = selectors.lesson_page(program_code, lesson_code)
    if not access.lesson_readable(request.user, program_code, page):
        raise Http404
    services.lesson_complete(user=request.user, program_code=program_code, lesson_code=lesson_code)
    messages.success(request, _("Lesson completed."))
    lessons = catalog.lessons_of(program_code)
    position = [x.code for x in lessons].index(lesson_code)
    if position + 1 < len(lessons) and request.POST.get("next"):
        return redirect(lessons[position + 1].url)
    return redirect("learning:lesson", program_code=program_code, lesson_code=lesson_code)


@login_required
def lesson_edit(request: HttpRequest, program_code: str, lesson_code: str) -> HttpResponse:
    if not access.can_edit(request.user):
        raise Http404
    lesson = _lesson_or_404(program_code, lesson_code)
    page = selectors.lesson_page(program_code, lesson_code)
    form = LessonEditForm(initial={"body_md": page.body_md, "preview": page.preview,
                                   "video_embed_url": page.video_embed_url} if page else None)
    file_form = LessonFileForm()
    if request.method == "POST" and request.POST.get("action") == "file":
        file_form = LessonFileForm(request.POST, request.FILES)
        if page is None:
            messages.error(request, _("Save the lesson's text before adding files."))
        elif file_form.is_valid():
            try:
                record = services.lesson_file_add(actor=request.user, page=page, **file_form.cleaned_data)
            except DomainError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, _("File added. Show an image in the text with ![description](%(url)s).")
                                 % {"url": record_url(record)})
                return redirect("learning:lesson_edit", program_code=program_code, lesson_code=lesson_code)
    elif request.method == "POST":
        form = LessonEditForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.lesson_page_save(actor=request.user, program_code=program_code, lesson_code=lesson_code,
                                          body_md=data["body_md"], preview=data["preview"],
                                          video_embed_url=data["video_embed_url"] or "", video=data["video"],
                                          clear_video=data["clear_video"])
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Lesson saved."))
                return redirect("learning:lesson", program_code=program_code, lesson_code=lesson_code)
    return render(request, "learning/lesson_edit.html", {"lesson": lesson, "page": page, "form": form,
                                                         "file_form": file_form,
                                                         "files": list(page.files.all()) if page else []})


def record_url(record: LessonFile) -> str:
    return f"/learn/files/{record.code}/"


@login_required
def lesson_file(request: HttpRequest, code) -> HttpResponse:
    record = LessonFile.objects.filter(code=code).select_related("page").first()
    if record is None:
        raise Http404
    page = record.page
    if not access.lesson_readable(request.user, page.program_code, page) or access.in_formal_exam(request.user):
        raise Http404
    return _file_response(record.file, record.content_type if record.kind == LessonFile.Kind.IMAGE else "",
                          record.file.name.rsplit("/", 1)[-1])


@login_required
def lesson_video(request: HttpRequest, code) -> HttpResponse:
    """A lesson's uploaded video, served only to people who may read the lesson (media files are not public)."""
    page = LessonPage.objects.filter(code=code).exclude(video="").first()
    if page is None or access.in_formal_exam(request.user):
        raise Http404
    if not access.lesson_readable(request.user, page.program_code, page):
        raise Http404
    return _file_response(page.video, page.video_type or "application/octet-stream",
                          page.video.name.rsplit("/", 1)[-1], request)


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_RANGE_CHUNK = 4 * 1024 * 1024


def _file_response(file, inline_type: str, filename: str, request: HttpRequest | None = None) -> HttpResponse:
    """Staff uploads, served from our own address: inline only as the type checked on upload (a picture or a
    video), anything else as a download; never sniffed, and sandboxed should a browser render it anyway. A video
    answers single byte ranges, so players can seek (and Safari plays it at all)."""
    if request is not None and (match := _RANGE.match(request.headers.get("Range", ""))):
        size = file.size
        first, last = match.groups()
        start = int(first) if first else max(0, size - int(last or 0))
        end = min(int(last), size - 1) if first and last else size - 1
        end = min(end, start + _RANGE_CHUNK - 1)  # players ask for "0-" and take what comes, a piece at a time
        if start > end or start >= size:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        with file.open("rb") as handle:
            handle.seek(start)
            chunk = handle.read(end - start + 1)
        response = HttpResponse(chunk, status=206, content_type=inline_type)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Accept-Ranges"] = "bytes"
    elif inline_type:
        response = FileResponse(file.open("rb"), content_type=inline_type)
        response["Accept-Ranges"] = "bytes" if request is not None else "none"
    else:
        response = FileResponse(file.open("rb"), as_attachment=True, filename=filename,
                                content_type="application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@login_required
@require_POST
def lesson_ask(request: HttpRequest, program_code: str, lesson_code: str) -> HttpResponse:
    if closed := _closed_during_exam(request):
        return closed
    _lesson_or_404(program_code, lesson_code)
    if not access.full_access(request.user, program_code):
        raise Http404
    try:
        services.question_ask(user=request.user, program_code=program_code, lesson_code=lesson_code,
                              text=request.POST.get("text", ""))
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Your question is with the tutors. You will be notified of the answer."))
    return redirect(f"/learn/{program_code}/{lesson_code}/#questions")


@login_required
def path_home(request: HttpRequest) -> HttpResponse:
    paths = list(learning_paths().values())
    return render(request, "learning/paths.html", {
        "paths": [(p, selectors.plan_of(request.user, p.code)) for p in paths], "english": selectors.english()})


@login_required
def path_plan(request: HttpRequest, path_code: str) -> HttpResponse:
    path = selectors.path_get(path_code)
    if path is None:
        raise Http404
    plan = selectors.plan_of(request.user, path_code)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "start":
                start = date.fromisoformat(request.POST.get("start_date") or today().isoformat())
                plan = services.path_start(user=request.user, path_code=path_code, start_date=start)
                messages.success(request, _("Your plan starts on %(date)s.") % {"date": start.isoformat()})
            elif plan is not None:
                services.path_tick(plan=plan, step_code=request.POST.get("step", ""),
                                   done=request.POST.get("done") == "1")
        except (DomainError, ValueError) as error:
            messages.error(request, str(error) if isinstance(error, DomainError) else _("Enter a valid date."))
        return redirect("learning:path", path_code=path_code)
    context = {"path": path, "plan": plan, "english": selectors.english(), "today": today()}
    if plan is not None:
        steps = selectors.plan_steps(request.user, path, plan)
        schedule = [rules.ScheduledStep(code=s.code, stage_code=s.stage_code, due=s.due) for s in steps]
        standing = rules.plan_standing(schedule, {s.code for s in steps if s.done}, today())
        stages = [(stage, [s for s in steps if s.stage_code == stage.code]) for stage in path.stages]
        context.update(stages=stages, standing=standing,
                       percent=rules.completion_percent(standing.done, standing.total),
                       next_step=next((s for s in steps if not s.done), None))
    return render(request, "learning/path.html", context)


@login_required
@require_POST
def practice_start(request: HttpRequest, program_code: str) -> HttpResponse:
    if closed := _closed_during_exam(request):
        return closed
    if not access.full_access(request.user, program_code):
        raise Http404
    scope, _sep, code = request.POST.get("scope", "").partition(":")
    try:
        practice = services.practice_start(user=request.user, program_code=program_code, scope=scope, scope_code=code)
    except NotFound:
        raise Http404 from None
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("learning:course", program_code=program_code)
    return redirect("learning:practice", code=practice.code)


@login_required
def practice(request: HttpRequest, code) -> HttpResponse:
    if closed := _closed_during_exam(request):
        return closed
    practice_set = selectors.practice_of(request.user, code)
    if practice_set is None:
        raise Http404
    # An item reclassified for formal exams since the set was drawn is no longer shown, answered or explained.
    allowed = itembank.practice_allowed(practice_set.version_ids)
    version_ids = [v for v in practice_set.version_ids if v in allowed]
    answers = {a.version_id: a for a in practice_set.answers.all() if a.version_id in allowed}
    if request.method == "POST":
        try:
            version_id = int(request.POST.get("version", ""))
            payload = itembank.version_delivery_payload(version_id)
            services.practice_answer(practice=practice_set, version_id=version_id,
                                     value=itembank.posted_value(payload["type"], request.POST))
        except (ValueError, NotFound, DomainError):
            messages.error(request, _("That answer could not be recorded. Try again."))
            return redirect("learning:practice", code=code)
        return redirect(f"{request.path}?item={version_id}#item-{version_id}")
    payloads = itembank.versions_delivery_payloads(version_ids)
    reviews = itembank.versions_review([v for v in version_ids if v in answers])
    rows = []
    for number, version_id in enumerate(version_ids, start=1):
        answer = answers.get(version_id)
        review = reviews.get(version_id)
        rows.append({"number": number, "version_id": version_id, "payload": payloads.get(version_id),
                     "answer": answer, "review": review,
                     "value_json": json.dumps(answer.value if answer else None, ensure_ascii=False)})
    right = sum(1 for a in answers.values() if a.right)
    return render(request, "learning/practice.html", {
        "practice": practice_set, "rows": rows, "answered": len(answers), "right": right,
        "program_name": catalog.program_name(practice_set.program_code),
        "finished": len(answers) == len(version_ids)})


@login_required
def tutoring_queue(request: HttpRequest) -> HttpResponse:
    if not accounts.user_has_any_role(request.user, (accounts.Role.TUTOR,)):
        raise Http404
    return render(request, "learning/tutoring.html", {"questions": selectors.tutor_queue(request.user)})


@login_required
def tutoring_answer(request: HttpRequest, code) -> HttpResponse:
    if not accounts.user_has_any_role(request.user, (accounts.Role.TUTOR,)):
        raise Http404
    question = selectors.tutor_question(request.user, code)
    if question is None:
        raise Http404
    if request.method == "POST":
        try:
            services.question_answer(tutor=request.user, question=question, text=request.POST.get("answer", ""))
        except DomainError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Answer sent. The candidate has been notified."))
            return redirect("learning:tutoring")
    lesson = _lesson_or_404(question.program_code, question.lesson_code)
    return render(request, "learning/tutoring_answer.html", {"question": question, "lesson": lesson})
