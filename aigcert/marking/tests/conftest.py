"""Marking test helpers: a scored 专业级 session (shared fixtures in aigcert/exam_fixtures.py)."""

from aigcert.exam_fixtures import (
    GENERAL,
    PROFESSIONAL,
    _exam_bank_once,
    _media,
    answer_for,
    catalog,
    exam_bank,
    formal_day,
    sitting,
)
