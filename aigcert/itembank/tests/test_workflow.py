"""Authoring every type, versions, the review workflow and its permissions, and the audit trail."""

from decimal import Decimal as D

import pytest

from aigcert.accounts.api import Role
from aigcert.core.api import DomainError, audit_events
from aigcert.itembank import services
from aigcert.itembank.content import ITEM_TYPES
from aigcert.itembank.demo import template_examples
from aigcert.itembank.models import Item, ItemVersion

pytestmark = pytest.mark.usefixtures("catalog")


def _example(item_type):
    return next((p, i) for p, i in template_examples() if i.item_type == item_type)


def _create(author, item_type="single_choice"):
    program, content = _example(item_type)
    return services.item_create(actor=author, program_code=program, content=content)


def _approved(author, reviewer, item_type="single_choice"):
    item = _create(author, item_type)
    services.item_submit(actor=author, item=item)
    return services.item_approve(actor=reviewer, item=item)


@pytest.mark.parametrize("item_type", ITEM_TYPES)
def test_author_writes_every_item_type(item_author, item_type):
    item = _create(item_author, item_type)
    item.refresh_from_db()
    assert item.status == Item.Status.DRAFT
    assert item.item_type == item_type
    assert item.head.number == 1 and item.live is None
    stored = services.version_content(item.head)
    _program, original = _example(item_type)
    assert stored.stem == original.stem
    assert stored.points == original.points > 0
    assert stored.details() == original.details()
    assert stored.standards == original.standards
    assert [e.action for e in audit_events(target=item)] == ["itembank.item.create"]


def test_invalid_content_changes_nothing(item_author):
    program, content = _example("single_choice")
    content.key = ["Z"]
    with pytest.raises(services.ItemInvalid) as raised:
        services.item_create(actor=item_author, program_code=program, content=content)
    assert [p.field for p in raised.value.problems] == ["key"]
    assert Item.objects.count() == 0 and ItemVersion.objects.count() == 0


def test_competencies_must_belong_to_the_items_program(item_author):
    program, content = _example("single_choice")
    content.standards = ["A9.9"]
    with pytest.raises(services.ItemInvalid):
        services.item_create(actor=item_author, program_code=program, content=content)


def test_people_without_the_author_role_cannot_write(make_user):
    program, content = _example("single_choice")
    for role in (Role.CANDIDATE, Role.ITEM_REVIEWER, Role.EXAM_ADMIN):
        with pytest.raises(DomainError):
            services.item_create(actor=make_user(role), program_code=program, content=content)
    assert Item.objects.count() == 0


def test_full_review_cycle_is_audited(item_author, item_reviewer):
    item = _create(item_author)
    services.item_submit(actor=item_author, item=item)
    services.item_return(actor=item_reviewer, item=item, comment="选项 C 表述不清")
    item.refresh_from_db()
    assert item.status == Item.Status.RETURNED
    assert item.comments.get().body == "选项 C 表述不清"

    content = services.version_content(item.head)
    content.options[2].html = "<p>循环连接（RNN）</p>"
    version = services.item_update(actor=item_author, item=item, content=content)
    assert version.number == 1  # a returned draft is fixed in place: it was never approved
    services.item_submit(actor=item_author, item=item)
    services.item_approve(actor=item_reviewer, item=item)
    item.refresh_from_db()
    assert item.status == Item.Status.APPROVED
    assert item.live_id == item.head_id

    events = audit_events(target=item)[::-1]
    assert [e.action for e in events] == [
        "itembank.item.create", "itembank.item.submit", "itembank.item.return", "itembank.item.update",
        "itembank.item.submit", "itembank.item.approve",
    ]
    assert [e.actor_id for e in events] == [item_author.pk] * 2 + [item_reviewer.pk] + [item_author.pk] * 2 + [
        item_reviewer.pk]
    assert events[2].data["comment"] == "选项 C 表述不清"
    assert events[3].data["changed"]["options"]["to"][2]["html"] == "<p>循环连接（RNN）</p>"
    assert (events[5].data["from"], events[5].data["to"]) == ("submitted", "approved")


def test_editing_an_approved_item_makes_a_new_version_and_keeps_the_old_one(item_author, item_reviewer, make_user):
    item = _approved(item_author, item_reviewer)
    v1 = item.head
    v1_stem, v1_points = v1.stem, v1.points
    other_author = make_user(Role.ITEM_AUTHOR)
    content = services.version_content(v1)
    content.stem = "<p>Transformer 的核心机制是？（修订）</p>"
    content.points = D(2)
    v2 = services.item_update(actor=other_author, item=item, content=content)
    item.refresh_from_db()
    assert v2.number == 2 and v2.pk != v1.pk
    assert item.status == Item.Status.DRAFT
    assert item.live_id == v1.pk  # papers keep using v1 until v2 is approved
    v1.refresh_from_db()
    assert (v1.stem, v1.points) == (v1_stem, v1_points)
    update = audit_events(action="itembank.item.update", target=item)[0]
    assert update.data["new_version"] is True
    assert set(update.data["changed"]) == {"stem", "points"}

    services.item_submit(actor=other_author, item=item)
    services.item_approve(actor=item_reviewer, item=item)
    item.refresh_from_db()
    assert item.live_id == v2.pk
    assert list(item.versions.values_list("number", flat=True)) == [1, 2]


def test_approved_versions_cannot_be_changed(item_author, item_reviewer):
    item = _approved(item_author, item_reviewer)
    version = ItemVersion.objects.get(pk=item.head_id)
    version.stem = "<p>tampered</p>"
    with pytest.raises(DomainError):
        version.save()
    assert ItemVersion.objects.get(pk=item.head_id).stem != "<p>tampered</p>"


def test_no_one_reviews_their_own_item(make_user):
    author_reviewer = make_user(Role.ITEM_AUTHOR, Role.ITEM_REVIEWER)
    item = _create(author_reviewer)
    services.item_submit(actor=author_reviewer, item=item)
    with pytest.raises(DomainError):
        services.item_approve(actor=author_reviewer, item=item)
    with pytest.raises(DomainError):
        services.item_return(actor=author_reviewer, item=item, comment="x")
    item.refresh_from_db()
    assert item.status == Item.Status.SUBMITTED


def test_the_author_of_an_item_cannot_approve_someone_elses_new_version(make_user, item_reviewer):
    original_author = make_user(Role.ITEM_AUTHOR, Role.ITEM_REVIEWER)
    editor = make_user(Role.ITEM_AUTHOR)
    item = _create(original_author)
    services.item_submit(actor=original_author, item=item)
    services.item_approve(actor=item_reviewer, item=item)
    services.item_update(actor=editor, item=item, content=services.version_content(item.head))
    services.item_submit(actor=editor, item=item)
    with pytest.raises(DomainError):
        services.item_approve(actor=original_author, item=item)


def test_superuser_staff_cannot_self_approve_either(staff_user):
    item = _create(staff_user)
    services.item_submit(actor=staff_user, item=item)
    with pytest.raises(DomainError):
        services.item_approve(actor=staff_user, item=item)


@pytest.mark.parametrize("role", [Role.ITEM_AUTHOR, Role.EXAM_ADMIN, Role.CANDIDATE, Role.MARKER])
def test_only_reviewers_decide(make_user, item_author, role):
    item = _create(item_author)
    services.item_submit(actor=item_author, item=item)
    with pytest.raises(DomainError):
        services.item_approve(actor=make_user(role), item=item)


def test_return_needs_a_comment(item_author, item_reviewer):
    item = _create(item_author)
    services.item_submit(actor=item_author, item=item)
    with pytest.raises(DomainError):
        services.item_return(actor=item_reviewer, item=item, comment="  ")
    item.refresh_from_db()
    assert item.status == Item.Status.SUBMITTED


def test_wrong_state_transitions_are_refused(item_author, item_reviewer, make_user):
    item = _create(item_author)
    with pytest.raises(DomainError):
        services.item_approve(actor=item_reviewer, item=item)  # not submitted
    services.item_submit(actor=item_author, item=item)
    with pytest.raises(DomainError):
        services.item_update(actor=item_author, item=item, content=services.version_content(item.head))
    with pytest.raises(DomainError):
        services.item_submit(actor=item_author, item=item)
    with pytest.raises(DomainError):
        services.item_withdraw(actor=make_user(Role.ITEM_AUTHOR), item=item)  # not theirs
    services.item_withdraw(actor=item_author, item=item)
    item.refresh_from_db()
    assert item.status == Item.Status.DRAFT


def test_only_the_writer_edits_a_draft(item_author, make_user):
    item = _create(item_author)
    with pytest.raises(DomainError):
        services.item_update(actor=make_user(Role.ITEM_AUTHOR), item=item,
                             content=services.version_content(item.head))


def test_type_cannot_change(item_author):
    item = _create(item_author)
    _program, other = _example("multiple_choice")
    with pytest.raises(services.ItemInvalid):
        services.item_update(actor=item_author, item=item, content=other)


def test_retire_and_bulk_retire(item_author, item_reviewer, exam_admin):
    items = [_approved(item_author, item_reviewer) for _ in range(3)]
    codes = [str(i.code) for i in items]
    with pytest.raises(DomainError):
        services.items_retire(actor=item_author, item_codes=codes, reason="old")
    with pytest.raises(DomainError):
        services.items_retire(actor=exam_admin, item_codes=codes, reason=" ")
    assert services.items_retire(actor=exam_admin, item_codes=codes[:2], reason="outdated syllabus") == 2
    statuses = dict(Item.objects.values_list("code", "status"))
    assert [statuses[i.code] for i in items] == ["retired", "retired", "approved"]
    retired = Item.objects.get(code=codes[0])
    assert retired.retired_reason == "outdated syllabus"
    assert retired.live_id is not None  # papers that froze this version still find it
    event = audit_events(action="itembank.item.retire", target=retired)[0]
    assert event.actor_id == exam_admin.pk and event.data["reason"] == "outdated syllabus"
    with pytest.raises(DomainError):
        services.item_update(actor=item_author, item=retired, content=services.version_content(retired.head))


def test_bulk_approve_skips_own_items(make_user, item_author):
    reviewer = make_user(Role.ITEM_AUTHOR, Role.ITEM_REVIEWER)
    theirs = _create(item_author)
    own = _create(reviewer)
    for item, author in ((theirs, item_author), (own, reviewer)):
        services.item_submit(actor=author, item=item)
    assert services.items_approve(actor=reviewer, item_codes=[str(theirs.code), str(own.code)]) == (1, 1)
    assert Item.objects.get(pk=theirs.pk).status == "approved"
    assert Item.objects.get(pk=own.pk).status == "submitted"


def test_papers_see_only_approved_versions_of_items_not_retired(item_author, item_reviewer, exam_admin):
    from aigcert.itembank import api

    approved = _approved(item_author, item_reviewer)
    _create(item_author)  # a draft: not eligible
    retired = _approved(item_author, item_reviewer)
    services.items_retire(actor=exam_admin, item_codes=[str(retired.code)], reason="x")
    versions = api.approved_versions("aigc-general")
    assert [v.id for v in versions] == [approved.live_id]
    payload = api.version_delivery_payload(approved.live_id)
    assert "key" not in payload and payload["options"]
