"""What learning hands to other apps (the tutor indexes lessons; scoring hears about practice answers)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SectionData:
    program_code: str
    lesson_code: str
    lesson_title: str  # in the active language
    anchor: str  # "" for the text before a lesson's first heading
    heading: str
    text: str
    url: str  # the lesson's page with the section's anchor


@dataclass(frozen=True)
class PracticeItemData:
    """An item a candidate has drawn in practice: the tutor may help with it (never a formal-only item)."""

    version_id: int
    program_code: str
    stem_text: str
    answered: bool
