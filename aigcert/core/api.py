"""The shared kernel's public surface: what every other app may import from core."""

from django.core.serializers.json import DjangoJSONEncoder

from aigcert.core.audit import audit_events, audit_record, audit_record_many
from aigcert.core.bulk import rows_insert
from aigcert.core.clock import now, today
from aigcert.core.data import AuditEventData
from aigcert.core.errors import DomainError, NotFound
from aigcert.core.i18n import Translated, join_list
from aigcert.core.llm import LLMError, llm_chat, llm_chat_json, llm_configured, llm_stream
from aigcert.core.middleware import DefaultLanguageMiddleware
from aigcert.core.models import BaseModel, TimestampedModel
from aigcert.core.notify import inbox, inbox_mark_read, inbox_unread_count, notify
from aigcert.core.outbox import outbox_publish, outbox_publish_many, outbox_retry, outbox_subscribe
from aigcert.core.pdf import FONT_FAMILY, REGULAR_FONT, cjk_font_subset, cjk_pdf
from aigcert.core.readonly_admin import ReadOnlyAdmin

__all__ = [
    "FONT_FAMILY",
    "REGULAR_FONT",
    "AuditEventData",
    "BaseModel",
    "DefaultLanguageMiddleware",
    "DomainError",
    "LLMError",
    "NotFound",
    "ReadOnlyAdmin",
    "TimestampedModel",
    "Translated",
    "UnicodeJSONEncoder",
    "audit_events",
    "audit_record",
    "audit_record_many",
    "cjk_font_subset",
    "cjk_pdf",
    "inbox",
    "inbox_mark_read",
    "inbox_unread_count",
    "join_list",
    "llm_chat",
    "llm_chat_json",
    "llm_configured",
    "llm_stream",
    "notify",
    "now",
    "outbox_publish",
    "outbox_publish_many",
    "outbox_retry",
    "outbox_subscribe",
    "rows_insert",
    "today",
]


class UnicodeJSONEncoder(DjangoJSONEncoder):
    """JSON stored as written: Chinese text stays Chinese instead of six-byte \\uXXXX escapes (a frozen paper is
    mostly Chinese; on SQLite the escapes make it 60 % larger). Defined here, not in a module of its own, because
    migrations name it by its import path and other apps may only import core's api."""

    def __init__(self, *args, **kwargs):
        kwargs["ensure_ascii"] = False
        super().__init__(*args, **kwargs)
