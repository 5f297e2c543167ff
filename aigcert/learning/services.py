"""Learning writes: progress, lesson editing, plans, practice answers and questions for the tutors."""

from __future__ import annotations

from datetime import date
from typing import Any

import yaml
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy

from aigcert.catalog import api as catalog
from aigcert.core.api import DomainError, audit_record, notify, now, outbox_publish
from aigcert.itembank import api as itembank
from aigcert.learning import content, rules
from aigcert.learning.models import (
    LessonFile,
    LessonPage,
    LessonProgress,
    LessonQuestion,
    PathPlan,
    PracticeAnswer,
    PracticeSet,
    TutorAssignment,
    VideoHost,
)
from aigcert.learning.policy import demo_lesson_files, learning_paths, learning_policy

# Outbox topics (the tutor re-indexes a changed lesson; scoring keeps the wrong-answer notebook).
LESSON_CHANGED = "learning.lesson_changed"
PRACTICE_ANSWERED = "learning.practice_answered"


def _lesson_exists(program_code: str, lesson_code: str) -> catalog.LessonData:
    lesson = next((x for x in catalog.lessons_of(program_code) if x.code == lesson_code), None)
    if lesson is None:
        raise DomainError(gettext_lazy("There is no such lesson."))
    return lesson


def lesson_open(*, user, program_code: str, lesson_code: str) -> LessonProgress:
    """Record that the candidate opened the lesson (the first time, and the latest, for "continue")."""
    moment = now()
    updated = LessonProgress.objects.filter(candidate=user, program_code=program_code,
                                            lesson_code=lesson_code).update(last_opened_at=moment)
    if not updated:
        try:
            with transaction.atomic():
                LessonProgress.objects.create(candidate=user, program_code=program_code, lesson_code=lesson_code,
                                              first_opened_at=moment, last_opened_at=moment)
        except IntegrityError:  # the same lesson opened twice at once: the other request made the row
            pass
    return LessonProgress.objects.get(candidate=user, program_code=program_code, lesson_code=lesson_code)


def lesson_complete(*, user, program_code: str, lesson_code: str) -> LessonProgress:
    progress = lesson_open(user=user, program_code=program_code, lesson_code=lesson_code)
    if progress.completed_at is None:
        progress.completed_at = now()
        progress.save(update_fields=["completed_at", "updated_at"])
    return progress


def video_hosts() -> set[str]:
    return set(VideoHost.objects.values_list("host", flat=True))


@transaction.atomic
def lesson_page_save(*, actor, program_code: str, lesson_code: str, body_md: str, preview: bool,
                     video_embed_url: str = "", video=None, clear_video: bool = False) -> LessonPage:
    """Create or edit a lesson's material; audited, and the tutor told to re-index it after commit."""
    _lesson_exists(program_code, lesson_code)
    if video_embed_url and not content.embed_url_allowed(video_embed_url, video_hosts()):
        raise DomainError(gettext_lazy("Videos may only be embedded from the allowed hosts, over https."))
    video_type = video_type_check(video) if video is not None else None
    page, created = LessonPage.objects.select_for_update().get_or_create(
        program_code=program_code, lesson_code=lesson_code)
    before = {"preview": page.preview, "revision": page.revision, "length": len(page.body_md)}
    page.body_md = body_md
    page.body_html = content.markdown_render(body_md)
    page.preview = preview
    page.video_embed_url = video_embed_url
    if video is not None:
        page.video, page.video_type = video, video_type
    elif clear_video:
        page.video, page.video_type = "", ""
    page.revision = 1 if created else page.revision + 1
    page.updated_by = actor if getattr(actor, "is_authenticated", False) else None
    page.save()
    audit_record(actor=actor, action="learning.lesson_saved", target=page,
                 data={"program": program_code, "lesson": lesson_code, "before": None if created else before,
                       "revision": page.revision, "preview": preview, "length": len(body_md)})
    outbox_publish(topic=LESSON_CHANGED, payload={"program": program_code, "lesson": lesson_code,
                                                  "revision": page.revision})
    return page


@transaction.atomic
def lesson_file_add(*, actor, page: LessonPage, kind: str, title: str, upload) -> LessonFile:
    if upload.size > learning_policy().file_max_mb * 1024 * 1024:
        raise DomainError(gettext_lazy("The file is larger than %(mb)s MB.") % {"mb": learning_policy().file_max_mb})
    content_type = ""
    if kind == LessonFile.Kind.IMAGE:
        content_type = _picture_type(upload)
        if not content_type:
            raise DomainError(gettext_lazy("An image must be a picture file (PNG, JPEG, GIF or WebP)."))
    record = LessonFile.objects.create(page=page, kind=kind, title=title or upload.name, file=upload, size=upload.size,
                                       content_type=content_type)
    audit_record(actor=actor, action="learning.file_added", target=record,
                 data={"lesson": f"{page.program_code}/{page.lesson_code}", "title": record.title, "kind": kind})
    return record


_PICTURES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}


def _picture_type(upload) -> str:
    """The content type of a raster picture Pillow can read, else "". Images are shown inline from our own address
    with this type (never the file's name or what the browser claimed): an SVG or HTML file could carry script."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(upload) as image:
            image.verify()
            kind = image.format
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return ""
    finally:
        upload.seek(0)
    return _PICTURES.get(kind or "", "")


def video_type_check(upload) -> str:
    """The content type of an MP4, WebM or Ogg video, recognized by its first bytes; DomainError otherwise."""
    if upload.size > learning_policy().file_max_mb * 1024 * 1024:
        raise DomainError(gettext_lazy("The file is larger than %(mb)s MB.") % {"mb": learning_policy().file_max_mb})
    head = upload.read(12)
    upload.seek(0)
    if head[4:8] == b"ftyp":
        return "video/mp4"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "video/webm"
    if head[:4] == b"OggS":
        return "video/ogg"
    raise DomainError(gettext_lazy("A video must be an MP4, WebM or Ogg file."))


def demo_lessons_load(*, actor=None) -> int:
    """The demo course text (data/lessons/*.yaml). A lesson someone has edited in the platform is left as it is."""
    loaded = 0
    for path in demo_lesson_files():
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        program = raw["program"]
        for lesson_code, lesson in raw["lessons"].items():
            page = LessonPage.objects.filter(program_code=program, lesson_code=lesson_code).first()
            if page is not None and (page.updated_by_id is not None or page.body_md == lesson["body"]):
                continue
            lesson_page_save(actor=actor, program_code=program, lesson_code=lesson_code, body_md=lesson["body"],
                             preview=bool(lesson.get("preview")))
            loaded += 1
    return loaded


def path_start(*, user, path_code: str, start_date: date) -> PathPlan:
    if path_code not in learning_paths():
        raise DomainError(gettext_lazy("There is no such learning path."))
    plan, _created = PathPlan.objects.update_or_create(candidate=user, path_code=path_code,
                                                       defaults={"start_date": start_date})
    return plan


def path_tick(*, plan: PathPlan, step_code: str, done: bool) -> PathPlan:
    codes = {x.code for s in learning_paths()[plan.path_code].stages for x in s.steps}
    if step_code not in codes:
        raise DomainError(gettext_lazy("There is no such step in this plan."))
    ticked = [c for c in plan.ticked if c != step_code] + ([step_code] if done else [])
    plan.ticked = ticked
    plan.save(update_fields=["ticked", "updated_at"])
    return plan


def _area(version: itembank.VersionData) -> str:
    return version.standards[0].split(".")[0] if version.standards else ""


def practice_start(*, user, program_code: str, scope: str, scope_code: str, rng=None) -> PracticeSet:
    """Draw a practice set for a chapter (the standard areas its lessons prepare for) or a standard area."""
    lessons = catalog.lessons_of(program_code)
    if scope == PracticeSet.Scope.CHAPTER:
        areas = {a for x in lessons if x.chapter_code == scope_code for a in x.area_codes}
    elif scope == PracticeSet.Scope.AREA:
        areas = {scope_code} if any(scope_code in x.area_codes for x in lessons) else set()
    else:
        areas = set()
    if not areas:
        raise DomainError(gettext_lazy("There is nothing to practise for that choice."))
    pool = [v.id for v in itembank.practice_versions(program_code) if _area(v) in areas]
    if not pool:
        raise DomainError(gettext_lazy("There are no practice questions for that choice yet."))
    policy = learning_policy()
    recent_sets = PracticeSet.objects.filter(candidate=user, program_code=program_code)[:policy.practice_recent_sets]
    recent = {v for s in recent_sets for v in s.version_ids}
    chosen = rules.practice_draw(pool, policy.practice_set_size, recent=recent, rng=rng)
    return PracticeSet.objects.create(candidate=user, program_code=program_code, scope=scope, scope_code=scope_code,
                                      version_ids=chosen)


@transaction.atomic
def practice_answer(*, practice: PracticeSet, version_id: int, value: Any) -> PracticeAnswer:
    """Score one answer at once. A wrong one goes to the wrong-answer notebook (through the outbox to scoring)."""
    if version_id not in practice.version_ids or not itembank.practice_allowed([version_id]):
        raise DomainError(gettext_lazy("That question is not in this practice set."))
    existing = PracticeAnswer.objects.filter(practice=practice, version_id=version_id).first()
    if existing is not None:
        return existing  # answered already: the same feedback again, not a second try at the same set
    [points] = itembank.responses_score([(version_id, value)])
    review = itembank.versions_review([version_id])[version_id]
    right = points is not None and points >= review.points
    try:
        with transaction.atomic():
            answer = PracticeAnswer.objects.create(practice=practice, version_id=version_id, value=value, right=right)
    except IntegrityError:  # the same answer posted twice at once: the first one stands
        return PracticeAnswer.objects.get(practice=practice, version_id=version_id)
    version = next((v for v in itembank.practice_versions(practice.program_code) if v.id == version_id), None)
    outbox_publish(topic=PRACTICE_ANSWERED, payload={
        "candidate": practice.candidate_id, "program": practice.program_code, "version": version_id,
        "area": _area(version) if version else "", "value": value, "right": right})
    return answer


@transaction.atomic
def question_ask(*, user, program_code: str, lesson_code: str, text: str) -> LessonQuestion:
    program = catalog.program_get(program_code)
    if not program.human_tutoring:
        raise DomainError(gettext_lazy("This program has no human tutoring; ask the AI tutor instead."))
    _lesson_exists(program_code, lesson_code)
    text = (text or "").strip()
    if not text:
        raise DomainError(gettext_lazy("Write your question first."))
    if len(text) > learning_policy().question_max_chars:
        raise DomainError(gettext_lazy("A question may be at most %(n)s characters.")
                          % {"n": learning_policy().question_max_chars})
    question = LessonQuestion.objects.create(candidate=user, program_code=program_code, lesson_code=lesson_code,
                                             text=text)
    audit_record(actor=user, action="learning.question_asked", target=question, data={"lesson": lesson_code})
    for assignment in TutorAssignment.objects.filter(program_code=program_code).select_related("tutor"):
        tutor = assignment.tutor
        notify(user_id=tutor.pk, language=tutor.language, email=None, kind="tutoring",
               subject=gettext_lazy("A new question for the tutors"),
               body=gettext_lazy("A candidate asked a question on lesson %(lesson)s of %(program)s."),
               params={"lesson": lesson_code, "program": program.name}, link=f"/learn/tutoring/{question.code}/")
    return question


@transaction.atomic
def question_answer(*, tutor, question: LessonQuestion, text: str) -> LessonQuestion:
    text = (text or "").strip()
    if not text:
        raise DomainError(gettext_lazy("Write the answer first."))
    updated = LessonQuestion.objects.filter(pk=question.pk, state=LessonQuestion.State.OPEN).update(
        state=LessonQuestion.State.ANSWERED, answer=text, answered_by=tutor, answered_at=now(),
        updated_at=now())
    if not updated:
        raise DomainError(gettext_lazy("Another tutor has answered this question already."))
    question.refresh_from_db()
    audit_record(actor=tutor, action="learning.question_answered", target=question, data={"length": len(text)})
    candidate = question.candidate
    notify(user_id=candidate.pk, language=candidate.language, email=candidate.email, kind="tutoring",
           subject=gettext_lazy("A tutor answered your question"),
           body=gettext_lazy("A tutor answered your question on lesson %(lesson)s. Open the lesson to read it."),
           params={"lesson": question.lesson_code},
           link=f"/learn/{question.program_code}/{question.lesson_code}/#questions")
    return question


def tutor_assign(*, tutor, program_code: str) -> TutorAssignment:
    assignment, _created = TutorAssignment.objects.get_or_create(tutor=tutor, program_code=program_code)
    return assignment
