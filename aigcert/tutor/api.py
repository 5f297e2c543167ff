"""What the portal may ask of the tutor."""

from __future__ import annotations

from aigcert.catalog import api as catalog
from aigcert.tutor import index
from aigcert.tutor.models import Conversation

__all__ = ["conversations_count", "demo_index_build", "program_reindex"]

program_reindex = index.program_reindex


def demo_index_build() -> int:
    """Index every open program (after the demo course text is loaded)."""
    return sum(index.program_reindex(p.code) for p in catalog.program_list_open())


def conversations_count(candidate_id: int) -> int:
    return Conversation.objects.filter(candidate_id=candidate_id).count()
