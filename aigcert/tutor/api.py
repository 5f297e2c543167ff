"""What the portal may ask of the tutor."""

from __future__ import annotations

from datetime import timedelta

from aigcert.catalog import api as catalog
from aigcert.core.api import now
from aigcert.tutor import index
from aigcert.tutor.models import Conversation, IndexState

__all__ = ["conversations_count", "demo_index_build", "indexes_refresh_due", "program_reindex"]

program_reindex = index.program_reindex


def demo_index_build() -> int:
    """Index every open program (after the demo course text is loaded)."""
    return sum(index.program_reindex(p.code) for p in catalog.program_list_open())


def conversations_count(candidate_id: int) -> int:
    return Conversation.objects.filter(candidate_id=candidate_id).count()


def indexes_refresh_due() -> int:
    """Queue a rebuild of every open program's index that is missing or older than a day (the tick): lessons
    re-index on save, but the standard and the item bank's practice items change without telling the tutor."""
    from aigcert.tutor.tasks import program_reindex_task

    built = dict(IndexState.objects.values_list("program_code", "built_at"))
    stale = now() - timedelta(days=1)
    due = [p.code for p in catalog.program_list_open() if built.get(p.code) is None or built[p.code] < stale]
    for code in due:
        program_reindex_task.enqueue(program_code=code)
    return len(due)
