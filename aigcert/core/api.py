"""The shared kernel's public surface: what every other app may import from core."""

from aigcert.core.audit import audit_events, audit_record
from aigcert.core.clock import now, today
from aigcert.core.data import AuditEventData
from aigcert.core.errors import DomainError, NotFound
from aigcert.core.i18n import Translated, join_list
from aigcert.core.jsonfield import UnicodeJSONEncoder
from aigcert.core.models import BaseModel, TimestampedModel
from aigcert.core.notify import inbox, inbox_mark_read, inbox_unread_count, notify
from aigcert.core.outbox import outbox_publish, outbox_retry, outbox_subscribe
from aigcert.core.pdf import FONT_FAMILY, REGULAR_FONT, cjk_pdf
from aigcert.core.readonly_admin import ReadOnlyAdmin

__all__ = [
    "FONT_FAMILY",
    "REGULAR_FONT",
    "AuditEventData",
    "BaseModel",
    "DomainError",
    "NotFound",
    "ReadOnlyAdmin",
    "TimestampedModel",
    "Translated",
    "UnicodeJSONEncoder",
    "audit_events",
    "audit_record",
    "cjk_pdf",
    "inbox",
    "inbox_mark_read",
    "inbox_unread_count",
    "join_list",
    "notify",
    "now",
    "outbox_publish",
    "outbox_retry",
    "outbox_subscribe",
    "today",
]
