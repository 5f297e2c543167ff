"""Courses: who may read what (enrolment state), progress and "continue", editing (audited, sanitized, re-indexed)."""

import re

import pytest
from django.apps import apps

from aigcert.accounts.api import Role
from aigcert.core.api import audit_events
from aigcert.learning import api as learning
from aigcert.learning.models import LessonPage, LessonProgress, VideoHost
from aigcert.learning.tests.conftest import GENERAL, enrol

pytestmark = pytest.mark.django_db

PREVIEW = f"/learn/{GENERAL}/L01/"
PAID_ONLY = f"/learn/{GENERAL}/L14/"


@pytest.mark.parametrize(("state", "full"), [
    (None, False), ("registered", False), ("deposit_paid", True), ("booked", True), ("sat", True),
    ("failed", True), ("passed", True), ("balance_paid", True), ("certified", True), ("withdrawn", False)])
def test_lessons_past_the_preview_open_with_the_deposit(course, client, make_user, state, full):
    user = make_user(Role.CANDIDATE)
    if state:
        enrol(user, state=state)
    client.force_login(user)
    client.cookies["aigcert_language"] = "en"
    assert client.get(PREVIEW).status_code == 200
    locked = client.get(PAID_ONLY)
    assert locked.status_code == (200 if full else 403)
    body = locked.content.decode()
    lesson_text = LessonPage.objects.get(program_code=GENERAL, lesson_code="L14").body_html
    first_paragraph = re.search(r"<p>(.+?)</p>", lesson_text).group(1)
    assert (first_paragraph in body) is full
    if not full:
        assert "This lesson opens when you have registered for the program and paid the deposit." in body
    assert learning.full_access(user, GENERAL) is full


def test_anonymous_visitors_are_sent_to_log_in(course, client):
    assert client.get(PREVIEW)["Location"].startswith("/accounts/login/")


def test_a_paid_program_does_not_open_another(course, client, make_user):
    user = enrol(make_user(Role.CANDIDATE), program_code="aigc-professional")
    client.force_login(user)
    assert client.get(PAID_ONLY).status_code == 403
    assert client.get("/learn/aigc-professional/L04/").status_code == 200


def test_unknown_programs_and_lessons_are_not_found(learner_client):
    assert learner_client.get("/learn/no-such-program/").status_code == 404
    assert learner_client.get(f"/learn/{GENERAL}/L99/").status_code == 404
    assert learner_client.post(f"/learn/{GENERAL}/L99/complete/").status_code == 404


def test_progress_percent_and_continue_where_i_left_off(learner_client, learner):
    outline = learner_client.get(f"/learn/{GENERAL}/").context["outline"]
    assert (outline.percent, outline.completed, outline.total) == (0, 0, 35)
    assert outline.continue_at.lesson.code == "L01"  # nothing opened yet: start at the beginning

    learner_client.get(f"/learn/{GENERAL}/L03/")
    progress = LessonProgress.objects.get(candidate=learner, lesson_code="L03")
    assert progress.completed_at is None
    outline = learner_client.get(f"/learn/{GENERAL}/").context["outline"]
    assert outline.continue_at.lesson.code == "L03"  # opened, not finished: back to it

    response = learner_client.post(f"/learn/{GENERAL}/L03/complete/", {"next": "1"})
    assert response["Location"] == f"/learn/{GENERAL}/L04/"
    for code in ("L01", "L02"):
        learner_client.post(f"/learn/{GENERAL}/{code}/complete/")
    outline = learner_client.get(f"/learn/{GENERAL}/").context["outline"]
    assert (outline.completed, outline.percent) == (3, 8)  # 3 of 35
    assert outline.continue_at.lesson.code == "L04"  # the last one opened is done: the next not completed
    assert learning.course_summary(learner, GENERAL) == (8, f"/learn/{GENERAL}/L04/")
    page = learner_client.get("/me/").content.decode()
    assert f'href="/learn/{GENERAL}/L04/"' in page

    learner_client.post(f"/learn/{GENERAL}/L03/complete/")  # completing twice changes nothing
    assert LessonProgress.objects.filter(candidate=learner, completed_at__isnull=False).count() == 3


def test_completing_a_locked_lesson_is_refused(course, client, make_user):
    user = enrol(make_user(Role.CANDIDATE), state="registered")
    client.force_login(user)
    assert client.post(f"{PAID_ONLY}complete/").status_code == 404
    assert not LessonProgress.objects.filter(candidate=user).exists()


def test_an_editor_saves_a_lesson_sanitized_audited_and_reindexed(course, client, make_user,
                                                                  django_capture_on_commit_callbacks):
    editor = make_user(Role.COURSE_EDITOR)
    client.force_login(editor)
    text = "## 新的一节\n独一无二的编辑标记XQ7 <script>alert(1)</script>\n\n## 第二节\n内容"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{PAID_ONLY}edit/", {"body_md": text, "preview": "on"})
    assert response.status_code == 302
    page = LessonPage.objects.get(program_code=GENERAL, lesson_code="L14")
    assert page.preview and page.revision == 2 and page.updated_by == editor
    assert "<script>" not in page.body_html and '<h2 id="s-2">第二节</h2>' in page.body_html
    edited, loaded = audit_events(action="learning.lesson_saved", target=page)  # newest first
    assert loaded.data["before"] is None and loaded.actor_id is None  # the demo load
    assert edited.data["before"]["revision"] == 1 and edited.data["revision"] == 2 and edited.actor_id == editor.pk
    # The tutor's index picked the change up (its task ran after commit).
    passages = apps.get_model("tutor", "Passage").objects.filter(program_code=GENERAL, ref="L14")
    assert [p.anchor for p in passages.order_by("anchor")] == ["s-1", "s-2"]
    assert "独一无二的编辑标记XQ7" in passages.get(anchor="s-1").text


def test_only_editors_edit(learner_client):
    assert learner_client.get(f"{PAID_ONLY}edit/").status_code == 404
    assert learner_client.post(f"{PAID_ONLY}edit/", {"body_md": "x"}).status_code == 404


def test_embedded_videos_only_from_allowed_hosts(course, client, make_user):
    client.force_login(make_user(Role.COURSE_EDITOR))
    client.cookies["aigcert_language"] = "en"
    refused = client.post(f"{PAID_ONLY}edit/", {"body_md": "x", "video_embed_url": "https://evil.example/v"})
    assert refused.status_code == 200 and "allowed hosts" in refused.content.decode()
    assert LessonPage.objects.get(lesson_code="L14", program_code=GENERAL).video_embed_url == ""
    VideoHost.objects.create(host="player.bilibili.com")
    client.post(f"{PAID_ONLY}edit/", {"body_md": "x", "video_embed_url": "https://player.bilibili.com/p?b=1"})
    page = client.get(PAID_ONLY).content.decode()
    assert '<iframe class="lesson-video" src="https://player.bilibili.com/p?b=1"' in page


def test_attachments_follow_the_lesson_access(course, client, make_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    editor = make_user(Role.COURSE_EDITOR)
    client.force_login(editor)
    client.post(f"{PAID_ONLY}edit/", {"action": "file", "kind": "attachment", "title": "提示词模板",
                                      "upload": SimpleUploadedFile("prompts.txt", b"role: ...")})
    record = LessonPage.objects.get(lesson_code="L14", program_code=GENERAL).files.get()
    url = f"/learn/files/{record.code}/"
    assert client.get(url).status_code == 200
    client.force_login(enrol(make_user(Role.CANDIDATE), state="registered"))
    assert client.get(url).status_code == 404  # missing and forbidden look the same
    client.force_login(enrol(make_user(Role.CANDIDATE)))
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"role: ..."


def test_the_demo_course_covers_every_general_lesson_with_four_sections(course):
    lessons = learning.lesson_sections(GENERAL)
    assert {s.lesson_code for s in lessons} == {f"L{n:02d}" for n in range(1, 36)}
    for code in ("L01", "L14", "L35"):
        assert [s.anchor for s in lessons if s.lesson_code == code] == ["s-1", "s-2", "s-3", "s-4"]
    assert LessonPage.objects.filter(program_code="aigc-professional").count() >= 5
    assert set(LessonPage.objects.filter(preview=True, program_code=GENERAL).values_list("lesson_code", flat=True)) \
        == {"L01", "L02"}


def test_staff_edit_lessons_in_the_admin_through_the_same_service(course, client, staff_user):
    page = LessonPage.objects.get(program_code=GENERAL, lesson_code="L20")
    staff_user.is_superuser = True  # as the demo's platform staff: the admin's model permissions
    staff_user.save()
    client.force_login(staff_user)
    response = client.post(f"/admin/learning/lessonpage/{page.pk}/change/", {
        "preview": "", "body_md": "## 管理后台改的\n正文 <script>x</script>", "video_embed_url": "",
        "files-TOTAL_FORMS": "0", "files-INITIAL_FORMS": "0", "files-MIN_NUM_FORMS": "0",
        "files-MAX_NUM_FORMS": "1000"})
    assert response.status_code == 302, response.content.decode()[-2000:]
    page.refresh_from_db()
    assert page.body_html.startswith('<h2 id="s-1">管理后台改的</h2>') and "<script>" not in page.body_html
    assert page.revision == 2 and page.updated_by == staff_user
    assert audit_events(action="learning.lesson_saved", target=page)[0].actor_id == staff_user.pk


def test_lesson_images_must_be_real_pictures(course, client, make_user):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    client.force_login(make_user(Role.COURSE_EDITOR))
    client.cookies["aigcert_language"] = "en"
    svg = SimpleUploadedFile("x.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
                             content_type="image/png")
    refused = client.post(f"{PAID_ONLY}edit/", {"action": "file", "kind": "image", "title": "x", "upload": svg},
                          follow=True)
    assert "An image must be a picture file (PNG, JPEG, GIF or WebP)." in refused.content.decode()
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    # A real picture under an HTML name: served as the picture it is, never as a page.
    client.post(f"{PAID_ONLY}edit/", {"action": "file", "kind": "image", "title": "示意图",
                                      "upload": SimpleUploadedFile("d.html", buffer.getvalue(), "text/html")})
    [image] = LessonPage.objects.get(program_code=GENERAL, lesson_code="L14").files.all()
    response = client.get(f"/learn/files/{image.code}/")
    assert response["Content-Type"] == "image/png" and "attachment" not in response.get("Content-Disposition", "")
    assert response["X-Content-Type-Options"] == "nosniff" and "sandbox" in response["Content-Security-Policy"]
    client.post(f"{PAID_ONLY}edit/", {"action": "file", "kind": "attachment", "title": "page",
                                      "upload": SimpleUploadedFile("p.html", b"<script>alert(1)</script>")})
    attachment = LessonPage.objects.get(program_code=GENERAL, lesson_code="L14").files.get(kind="attachment")
    response = client.get(f"/learn/files/{attachment.code}/")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")


def test_an_uploaded_video_is_served_only_to_readers_of_the_lesson(course, client, make_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(make_user(Role.COURSE_EDITOR))
    client.cookies["aigcert_language"] = "en"
    refused = client.post(f"{PAID_ONLY}edit/", {"body_md": "x", "video": SimpleUploadedFile(
        "lesson.mp4", b"<html><script>alert(1)</script></html>", content_type="video/mp4")})
    assert "A video must be an MP4, WebM or Ogg file." in refused.content.decode()
    client.post(f"{PAID_ONLY}edit/", {"body_md": "## 视频课\n看视频", "video": SimpleUploadedFile(
        "lesson.html", b"\x00\x00\x00\x18ftypmp42fake-video", content_type="text/html")})
    page = LessonPage.objects.get(program_code=GENERAL, lesson_code="L14")
    url = f"/learn/video/{page.code}/"
    assert f'src="{url}"' in client.get(PAID_ONLY).content.decode()
    assert client.get(url)["Content-Type"] == "video/mp4"
    client.force_login(enrol(make_user(Role.CANDIDATE), state="registered"))
    assert client.get(url).status_code == 404
    client.force_login(enrol(make_user(Role.CANDIDATE)))
    assert b"".join(client.get(url).streaming_content).endswith(b"fake-video")


def test_videos_answer_byte_ranges_so_players_can_seek(course, client, make_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(make_user(Role.COURSE_EDITOR))
    body = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 4
    client.post(f"{PAID_ONLY}edit/", {"body_md": "x", "video": SimpleUploadedFile("v.mp4", body, "video/mp4")})
    url = f"/learn/video/{LessonPage.objects.get(program_code=GENERAL, lesson_code='L14').code}/"
    part = client.get(url, HTTP_RANGE="bytes=12-21")
    assert (part.status_code, part["Content-Range"], part.content) == (206, f"bytes 12-21/{len(body)}", body[12:22])
    tail = client.get(url, HTTP_RANGE="bytes=-5")
    assert tail.status_code == 206 and tail.content == body[-5:]
    assert client.get(url, HTTP_RANGE=f"bytes={len(body)}-").status_code == 416
    whole = client.get(url)
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes" and whole["Content-Type"] == "video/mp4"


def test_tutors_hear_of_new_questions_and_see_open_ones_first(course, client, make_user):
    from aigcert.core.api import inbox
    from aigcert.learning.models import LessonQuestion

    tutor = make_user(Role.TUTOR)
    learning.demo_tutoring_load(tutor=tutor)
    candidate = enrol(make_user(Role.CANDIDATE), program_code="aigc-professional")
    client.force_login(candidate)
    for n in range(3):
        client.post("/learn/aigc-professional/L04/ask/", {"text": f"问题{n}"})
    [note, *_rest] = inbox(tutor.pk)
    assert note.kind == "tutoring" and note.link.startswith("/learn/tutoring/")
    first = LessonQuestion.objects.order_by("created_at").first()
    LessonQuestion.objects.exclude(pk=first.pk).update(state="answered", answer="好", answered_by=tutor)
    client.force_login(tutor)
    queue = client.get("/learn/tutoring/").context["questions"]
    assert queue[0] == first and [q.state for q in queue] == ["open", "answered", "answered"]
