from typing import Any

from django.db import models

from aigcert.core.data import AuditEventData
from aigcert.core.models import AuditEvent


def audit_record(*, actor: Any, action: str, target: models.Model | None = None,
                 target_type: str = "", target_id: str = "", data: dict | None = None,
                 actor_id: int | None = None) -> AuditEvent:
    """Append an audit event inside the caller's transaction, so it commits or rolls back with the change. A caller
    that has the acting user's id but not the user (the exam's hot path) passes ``actor_id`` with ``actor=None``."""
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or str(target.pk)
    if getattr(actor, "is_authenticated", False):
        actor_id = actor.pk
    return AuditEvent.objects.create(
        actor_id=actor_id, action=action, target_type=target_type, target_id=target_id, data=data or {}
    )


def audit_events(*, action: str | None = None, target: models.Model | None = None) -> list[AuditEventData]:
    """The audit trail, newest first, optionally for one action and/or one object."""
    events = AuditEvent.objects.all()
    if action:
        events = events.filter(action=action)
    if target is not None:
        events = events.filter(target_type=target._meta.label_lower, target_id=str(target.pk))
    return [
        AuditEventData(at=e.at, actor_id=e.actor_id, action=e.action, target_type=e.target_type,
                       target_id=e.target_id, data=e.data)
        for e in events
    ]


def audit_record_many(*, action: str, targets: list[models.Model], data: list[dict], actor: Any = None) -> int:
    """One action on many objects in one statement (the server closing a whole session's attempts)."""
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None
    events = [AuditEvent(actor=actor_obj, action=action, target_type=target._meta.label_lower,
                         target_id=str(target.pk), data=item) for target, item in zip(targets, data, strict=True)]
    AuditEvent.objects.bulk_create(events, batch_size=500)
    return len(events)
