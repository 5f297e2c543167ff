"""Who may read a course past its preview lessons.

Whether a candidate has paid the deposit is enrolment's to say, and enrolment sits above learning: learning may
not import it. Enrolment registers its answer here when the apps start (ADR 0019), as the outbox lets a lower app
tell a higher one something without importing it, in the other direction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aigcert.accounts import api as accounts

Checker = Callable[[Any, str], bool]
_checkers: list[Checker] = []
ExamLock = Callable[[int], bool]
_exam_locks: list[ExamLock] = []

# People who work on the courses read all of them.
STAFF_ROLES = (accounts.Role.COURSE_EDITOR, accounts.Role.TUTOR, accounts.Role.STAFF)


def access_checker_register(checker: Checker) -> None:
    if checker not in _checkers:
        _checkers.append(checker)


def full_access(user: Any, program_code: str) -> bool:
    """Whether ``user`` may read every lesson of the program (else only its free preview lessons)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if accounts.user_has_any_role(user, STAFF_ROLES):
        return True
    return any(checker(user, program_code) for checker in _checkers)


def can_edit(user: Any) -> bool:
    return getattr(user, "is_authenticated", False) and accounts.user_has_any_role(
        user, (accounts.Role.COURSE_EDITOR, accounts.Role.STAFF))


def exam_lock_register(lock: ExamLock) -> None:
    """Delivery registers whether a candidate has a formal exam open: courses and practice close meanwhile."""
    if lock not in _exam_locks:
        _exam_locks.append(lock)


def in_formal_exam(user: Any) -> bool:
    return getattr(user, "is_authenticated", False) and any(lock(user.pk) for lock in _exam_locks)


def lesson_readable(user: Any, program_code: str, page: Any) -> bool:
    """Whether ``user`` may read a lesson whose page (or None) this is: a free preview, or full access."""
    return bool(page is not None and page.preview) or full_access(user, program_code)
