"""Writes to the item bank. Every change is one transaction with its audit event."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from aigcert.accounts.api import Role, user_has_any_role
from aigcert.catalog import api as catalog_api
from aigcert.core.api import DomainError, NotFound, audit_record, now
from aigcert.itembank.content import ItemContent, Problem, content_problems
from aigcert.itembank.duplicates import fingerprint
from aigcert.itembank.models import Item, ItemVersion, ReviewComment
from aigcert.itembank.sanitize import clean_html, plain_text

AUTHOR_ROLES = (Role.ITEM_AUTHOR, Role.STAFF)
REVIEWER_ROLES = (Role.ITEM_REVIEWER, Role.STAFF)
RETIRE_ROLES = (Role.ITEM_REVIEWER, Role.EXAM_ADMIN, Role.STAFF)
BANK_ROLES = (Role.ITEM_AUTHOR, Role.ITEM_REVIEWER, Role.EXAM_ADMIN, Role.STAFF)

_AUDIT_TEXT_LIMIT = 500


class ItemInvalid(DomainError):
    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = list(problems)


# -- permissions ------------------------------------------------------------------------------------------

def can_author(user) -> bool:
    return user_has_any_role(user, AUTHOR_ROLES)


def can_review(user) -> bool:
    return user_has_any_role(user, REVIEWER_ROLES)


def can_retire(user) -> bool:
    return user_has_any_role(user, RETIRE_ROLES)


def is_own_item(user, item: Item) -> bool:
    """An item is someone's own if they created it or wrote the version under review."""
    head_author = item.head.created_by_id if item.head else None
    return user.pk in {item.created_by_id, head_author}


def can_edit(user, item: Item) -> bool:
    if not can_author(user) or item.status in (Item.Status.SUBMITTED, Item.Status.RETIRED):
        return False
    if item.status == Item.Status.APPROVED:
        return True  # makes a new version; the approved one stays as it is
    # A draft or returned version belongs to whoever is writing it.
    return item.head is not None and item.head.created_by_id == user.pk


def can_submit(user, item: Item) -> bool:
    return item.status in (Item.Status.DRAFT, Item.Status.RETURNED) and can_edit(user, item)


def can_withdraw(user, item: Item) -> bool:
    return item.status == Item.Status.SUBMITTED and item.head.created_by_id == user.pk


def can_decide(user, item: Item) -> bool:
    return item.status == Item.Status.SUBMITTED and can_review(user) and not is_own_item(user, item)


# -- content ↔ version ------------------------------------------------------------------------------------

def _clean(content: ItemContent) -> ItemContent:
    content.stem = clean_html(content.stem)
    content.explanation = clean_html(content.explanation)
    for option in content.options:
        option.html = clean_html(option.html)
    content.source = content.source.strip()[:200]
    content.settle_points()
    return content


def _validated(content: ItemContent, program_code: str) -> tuple[ItemContent, list[int]]:
    content = _clean(content)
    standards = {s.code: s.pk for s in catalog_api.standard_items(program_code)}
    problems = content_problems(content, known_standards=set(standards))
    if problems:
        raise ItemInvalid(problems)
    return content, [standards[code] for code in content.standards]


def version_fields(content: ItemContent) -> dict:
    text = plain_text(content.stem)
    return {
        "stem": content.stem,
        "stem_text": text,
        "fingerprint": fingerprint(text),
        "explanation": content.explanation,
        "points": content.points,
        "difficulty": content.difficulty,
        "source": content.source,
        "content": content.details(),
    }


def version_content(version: ItemVersion) -> ItemContent:
    return ItemContent.from_stored(
        item_type=version.item.item_type, stem=version.stem, points=version.points,
        difficulty=version.difficulty, explanation=version.explanation,
        standards=[s.code for s in version.standards.all()], source=version.source, details=version.content,
    )


def _shorten(value):
    if isinstance(value, str) and len(value) > _AUDIT_TEXT_LIMIT:
        return value[:_AUDIT_TEXT_LIMIT] + "…"
    if isinstance(value, Decimal):
        return str(value)
    return value


def _changes(before: dict, after: dict) -> dict:
    keys = ["stem", "explanation", "points", "difficulty", "source", "standards"]
    changed = {k: {"from": _shorten(before.get(k)), "to": _shorten(after.get(k))}
               for k in keys if before.get(k) != after.get(k)}
    old_details, new_details = before.get("content", {}), after.get("content", {})
    for key in sorted(set(old_details) | set(new_details)):
        if old_details.get(key) != new_details.get(key):
            changed[key] = {"from": old_details.get(key), "to": new_details.get(key)}
    return changed


def _snapshot(version: ItemVersion) -> dict:
    return {
        "stem": version.stem, "explanation": version.explanation, "points": version.points,
        "difficulty": version.difficulty, "source": version.source, "content": version.content,
        "standards": sorted(version.standards.values_list("code", flat=True)),
    }


def _locked(item: Item) -> Item:
    return Item.objects.select_for_update(of=("self",)).select_related("head", "program").get(pk=item.pk)


# -- authoring --------------------------------------------------------------------------------------------

@transaction.atomic
def item_create(*, actor, program_code: str, content: ItemContent) -> Item:
    if not can_author(actor):
        raise NotFound()
    program_pk = catalog_api.program_pk(program_code)
    content, standard_pks = _validated(content, program_code)
    item = Item.objects.create(program_id=program_pk, item_type=content.item_type, created_by=actor)
    version = ItemVersion.objects.create(item=item, number=1, created_by=actor, **version_fields(content))
    version.standards.set(standard_pks)
    item.head = version
    item.save(update_fields=["head", "updated_at"])
    audit_record(actor=actor, action="itembank.item.create", target=item,
                 data={"version": 1, "type": item.item_type, "program": program_code})
    return item


@transaction.atomic
def item_update(*, actor, item: Item, content: ItemContent) -> ItemVersion:
    """Save an author's edit. A draft or returned version changes in place; an approved item gets a new version."""
    item = _locked(item)
    if not can_edit(actor, item):
        raise DomainError(_("You can't edit this item now."), code="forbidden")
    if content.item_type != item.item_type:
        raise ItemInvalid([Problem("type", _("An item's type can't be changed; write a new item instead."))])
    content, standard_pks = _validated(content, item.program.code)
    head = item.head
    before = _snapshot(head)
    fields = version_fields(content)
    if item.status == Item.Status.APPROVED:
        version = ItemVersion.objects.create(item=item, number=head.number + 1, created_by=actor, **fields)
        item.head = version
        item.status = Item.Status.DRAFT
        item.save(update_fields=["head", "status", "updated_at"])
    else:
        version = head
        for name, value in fields.items():
            setattr(version, name, value)
        version.save()
    version.standards.set(standard_pks)
    after = _snapshot(version)
    changed = _changes(before, after)
    audit_record(actor=actor, action="itembank.item.update", target=item,
                 data={"version": version.number, "new_version": version.pk != head.pk, "changed": changed})
    return version


def _transition(item: Item, actor, *, action: str, to: str, data: dict | None = None) -> Item:
    old = item.status
    item.status = to
    item.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action=action, target=item,
                 data={"from": old, "to": to, "version": item.head.number, **(data or {})})
    return item


@transaction.atomic
def item_submit(*, actor, item: Item) -> Item:
    item = _locked(item)
    if not can_submit(actor, item):
        raise DomainError(_("Only the author of a draft or returned item can submit it."), code="forbidden")
    ItemVersion.objects.filter(pk=item.head_id).update(submitted_at=now())
    return _transition(item, actor, action="itembank.item.submit", to=Item.Status.SUBMITTED)


@transaction.atomic
def item_withdraw(*, actor, item: Item) -> Item:
    item = _locked(item)
    if not can_withdraw(actor, item):
        raise DomainError(_("Only the author can withdraw an item that is waiting for review."), code="forbidden")
    return _transition(item, actor, action="itembank.item.withdraw", to=Item.Status.DRAFT)


def _decision_allowed(actor, item: Item) -> None:
    if item.status != Item.Status.SUBMITTED:
        raise DomainError(_("This item is not waiting for review."), code="state")
    if not can_review(actor):
        raise DomainError(_("Only item reviewers can review items."), code="forbidden")
    if is_own_item(actor, item):
        raise DomainError(_("You can't review an item you wrote."), code="forbidden")


@transaction.atomic
def item_return(*, actor, item: Item, comment: str) -> Item:
    item = _locked(item)
    _decision_allowed(actor, item)
    comment = comment.strip()
    if not comment:
        raise DomainError(_("Say what the author should change."), field="comment")
    ReviewComment.objects.create(item=item, version=item.head, author=actor, body=comment)
    return _transition(item, actor, action="itembank.item.return", to=Item.Status.RETURNED,
                       data={"comment": comment})


@transaction.atomic
def item_approve(*, actor, item: Item, comment: str = "") -> Item:
    item = _locked(item)
    _decision_allowed(actor, item)
    return _approve_locked(actor, item, comment.strip())


def _approve_locked(actor, item: Item, comment: str) -> Item:
    ItemVersion.objects.filter(pk=item.head_id).update(approved_at=now(), approved_by=actor)
    if comment:
        ReviewComment.objects.create(item=item, version=item.head, author=actor, body=comment)
    previous = item.live_id
    item.live_id = item.head_id
    item.save(update_fields=["live", "updated_at"])
    return _transition(item, actor, action="itembank.item.approve", to=Item.Status.APPROVED,
                       data={"comment": comment, "replaces_version_id": previous})


@transaction.atomic
def items_approve(*, actor, item_codes: Iterable[str]) -> tuple[int, int]:
    """Approve many submitted items at once; those the reviewer wrote (or that aren't waiting) are skipped."""
    if not can_review(actor):
        raise DomainError(_("Only item reviewers can review items."), code="forbidden")
    approved = skipped = 0
    items = Item.objects.select_for_update(of=("self",)).select_related("head").filter(code__in=list(item_codes))
    for item in items:
        if item.status != Item.Status.SUBMITTED or is_own_item(actor, item):
            skipped += 1
            continue
        _approve_locked(actor, item, "")
        approved += 1
    return approved, skipped


@transaction.atomic
def items_retire(*, actor, item_codes: Iterable[str], reason: str) -> int:
    """Retire items so no new paper uses them; papers that already froze a version keep it."""
    if not can_retire(actor):
        raise DomainError(_("You can't retire items."), code="forbidden")
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Give a reason for retiring."), field="reason")
    count = 0
    items = Item.objects.select_for_update(of=("self",)).select_related("head").filter(code__in=list(item_codes))
    for item in items.exclude(status=Item.Status.RETIRED):
        item.retired_at = now()
        item.retired_reason = reason[:300]
        item.save(update_fields=["retired_at", "retired_reason", "updated_at"])
        _transition(item, actor, action="itembank.item.retire", to=Item.Status.RETIRED, data={"reason": reason})
        count += 1
    return count


# -- bulk import ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PreparedItem:
    program_code: str
    content: ItemContent


def items_prepare(program_code: str, content: ItemContent,
                  standards_cache: dict[str, dict[str, int]]) -> list[Problem]:
    """Clean and check one item for a bulk import, without touching the database beyond the catalog."""
    if program_code not in standards_cache:
        try:
            catalog_api.program_pk(program_code)
        except NotFound:
            return [Problem("program", _("Unknown program “%(code)s”.") % {"code": program_code})]
        standards_cache[program_code] = {s.code: s.pk for s in catalog_api.standard_items(program_code)}
    _clean(content)
    return content_problems(content, known_standards=set(standards_cache[program_code]))


@transaction.atomic
def items_import(*, actor, prepared: Sequence[PreparedItem], source: str,
                 standards_cache: dict[str, dict[str, int]]) -> list[Item]:
    """Write already-checked items in one transaction; they arrive submitted, waiting for a reviewer."""
    program_pks = {code: catalog_api.program_pk(code) for code in {p.program_code for p in prepared}}
    items = Item.objects.bulk_create([
        Item(program_id=program_pks[p.program_code], item_type=p.content.item_type, created_by=actor,
             status=Item.Status.SUBMITTED)
        for p in prepared
    ], batch_size=500)
    submitted_at = now()
    versions = ItemVersion.objects.bulk_create([
        ItemVersion(item=item, number=1, created_by=actor, submitted_at=submitted_at, **version_fields(p.content))
        for item, p in zip(items, prepared, strict=True)
    ], batch_size=500)
    through = ItemVersion.standards.through
    through.objects.bulk_create([
        through(itemversion_id=version.pk, standarditem_id=standards_cache[p.program_code][code])
        for version, p in zip(versions, prepared, strict=True)
        for code in dict.fromkeys(p.content.standards)
    ], batch_size=1000)
    for item, version in zip(items, versions, strict=True):
        item.head = version
    Item.objects.bulk_update(items, ["head"], batch_size=500)
    audit_record(actor=actor, action="itembank.items.import", target_type="itembank.item", target_id="*",
                 data={"source": source, "count": len(items),
                       "item_ids": [item.pk for item in items][:1000]})
    return items
