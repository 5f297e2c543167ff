"""The exam's hot statements in fixed SQL: the autosave's upsert, the start's read and insert, the submit's receipt
read and close.

The autosave write is one statement that inserts or updates many responses, guarded twice. A row is written only if
the attempt is still open on the device that sends it (so a save racing a submit or a newer device changes nothing),
and an existing row takes the incoming answer only with a higher or equal sequence number (so a late, stale request
can't overwrite a newer answer; an equal number is the same write retried). Every row that passed the first guard
comes back with the sequence number now stored: equal to the one sent means written, higher means the write was
stale, and no row at all means the attempt is closed or another device has it. Written in SQL because the ORM's
upsert has neither guard.

The start reads the check-in with everything the decision needs in one statement and copies the check-in's order
into the new attempt inside the database: in the unlock minute every candidate starts at once, and compiling
querysets and encoding the order again cost more than the database did (docs/benchmarks.md, "Fourth round"). The
submit minute is the same: every candidate submits in it, so the submit's read of the answers and its close are
fixed statements too ("Fifth round").

On PostgreSQL each of these runs as a prepared statement (ADR 0014): the server parses it once per pooled connection
and, after a few runs, plans it once too. For such small statements parsing and planning were half of what
PostgreSQL spent on them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from typing import Any

from django.conf import settings
from django.db import connection

from aigcert.delivery.models import Attempt, CheckIn, Response

_CASTS = {  # PostgreSQL needs the column types of a UNION of bare parameters; SQLite must not get them
    "postgresql": {"int": "CAST(%s AS bigint)", "text": "CAST(%s AS text)", "json": "CAST(%s AS jsonb)",
                   "bool": "CAST(%s AS boolean)", "time": "CAST(%s AS timestamptz)"},
    "sqlite": {"int": "%s", "text": "%s", "json": "%s", "bool": "%s", "time": "%s"},
}


@cache
def _cursor_classes() -> tuple[type, type]:
    """Django's server-binding cursor, and one whose statements a query log can read (tests, DEBUG)."""
    from django.db.backends.postgresql.base import ServerBindingCursor

    class LoggedServerBindingCursor(ServerBindingCursor):
        def execute(self, query, params=None, **kwargs):
            try:
                return super().execute(query, params, **kwargs)
            finally:  # psycopg keeps no query for a prepared run (or a failed one); Django's query log reads it
                if self._query is None:
                    self._query = self._convert_query(query, params)

    return ServerBindingCursor, LoggedServerBindingCursor


@contextmanager
def prepared() -> Iterator[None]:
    """Inside the block, statements on this thread's connection (a raw queryset's too) run as prepared statements
    on PostgreSQL; elsewhere, and with EXAM_PREPARED_STATEMENTS off, nothing changes. Only for the fixed statements
    of this module: the ORM compiles its SQL for client-side binding, and a long tail of distinct ORM statements
    would only fill the connection's cache."""
    if connection.vendor != "postgresql" or not settings.EXAM_PREPARED_STATEMENTS:
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    saved = raw.cursor_factory, raw.prepare_threshold
    # Django turns preparing off for the connection (threshold None); 0 prepares a statement at its first run.
    raw.cursor_factory, raw.prepare_threshold = _cursor_classes()[connection.queries_logged], 0
    try:
        yield
    finally:  # the connection goes back as it came: other statements are bound on the client and never prepared
        raw.cursor_factory, raw.prepare_threshold = saved


def responses_upsert(*, attempt_id: int, device: str, rows: list[tuple[str, Any, bool, int]],
                     saved_at: datetime) -> dict[str, int]:
    """Write (slot, value, flagged, seq) rows; returns {slot: seq now stored}, empty if the attempt refused."""
    if not rows:
        return {}
    cast = _CASTS[connection.vendor]
    response = Response._meta.db_table
    attempt = Attempt._meta.db_table
    # On PostgreSQL a plain EXISTS reads a snapshot and would not wait for a submit holding the attempt's row:
    # FOR SHARE waits, then re-reads the row, so a save racing a close or a takeover writes nothing. SQLite
    # serializes writers already.
    share = " FOR SHARE" if connection.vendor == "postgresql" else ""
    stored = f'"{response}"'
    # An equal number is the same write sent again (a retry whose answer was lost): writing it again is harmless
    # and lets "stored number == sent number" mean "this write is what the server holds".
    newer = f"{stored}.seq <= excluded.seq"
    one = (f"SELECT {cast['int']} AS attempt_id, {cast['text']} AS slot, {cast['json']} AS value, "
           f"{cast['bool']} AS flagged, {cast['int']} AS seq, {cast['time']} AS saved_at")
    # Only table names and fixed casts are formatted in; every value is a parameter.
    sql = (
        f'INSERT INTO "{response}" (attempt_id, slot, value, flagged, seq, saved_at) '  # noqa: S608
        f"SELECT * FROM ({' UNION ALL '.join([one] * len(rows))}) AS incoming "
        f'WHERE EXISTS (SELECT 1 FROM "{attempt}" a WHERE a.id = %s AND a.state = %s AND a.device = %s '
        f"AND a.paused_at IS NULL{share}) "
        f"ON CONFLICT (attempt_id, slot) DO UPDATE SET "
        f"value = CASE WHEN {newer} THEN excluded.value ELSE {stored}.value END, "
        f"flagged = CASE WHEN {newer} THEN excluded.flagged ELSE {stored}.flagged END, "
        f"saved_at = CASE WHEN {newer} THEN excluded.saved_at ELSE {stored}.saved_at END, "
        f"seq = CASE WHEN {newer} THEN excluded.seq ELSE {stored}.seq END "
        f"RETURNING slot, seq"
    )
    stamp = connection.ops.adapt_datetimefield_value(saved_at)
    params: list[Any] = []
    for slot, value, flagged, seq in rows:
        params += [attempt_id, slot, json.dumps(value, ensure_ascii=False), bool(flagged), int(seq), stamp]
    params += [attempt_id, Attempt.State.OPEN, device]
    with prepared(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {slot: seq for slot, seq in cursor.fetchall()}


def responses_values(attempt_id: int) -> dict[str, Any]:
    """{slot: value} of an attempt's stored answers, for its receipt: in the submit minute a queryset's compile cost
    more than the read."""
    with prepared(), connection.cursor() as cursor:
        cursor.execute(f'SELECT slot, value FROM "{Response._meta.db_table}" WHERE attempt_id = %s',  # noqa: S608
                       [attempt_id])
        # SQL NULL (a value the ORM wrote as None) is None, as the queryset gave it.
        return {slot: None if value is None else json.loads(value) for slot, value in cursor.fetchall()}


def attempt_close_row(*, attempt_id: int, state: str, closed_at: datetime, by_server: bool, key: str,
                      answered: int, digest: str) -> bool:
    """Close the attempt if it is still open, with its receipt; False if something closed it first."""
    sql = (f'UPDATE "{Attempt._meta.db_table}" SET state = %s, closed_at = %s, closed_by_server = %s, '  # noqa: S608
           "submit_key = %s, device = '', paused_at = NULL, answered_count = %s, answers_hash = %s "
           "WHERE id = %s AND state = %s")
    with prepared(), connection.cursor() as cursor:
        cursor.execute(sql, [state, connection.ops.adapt_datetimefield_value(closed_at), by_server, key, answered,
                             digest, attempt_id, Attempt.State.OPEN])
        return cursor.rowcount == 1


def _table(model_field) -> str:
    return model_field.related_model._meta.db_table


def checkin_for_start(session_code: str, candidate_id: int) -> CheckIn | None:
    """The candidate's check-in for a session, locked (PostgreSQL), with what the start decides on joined to it:
    ``paper_code``, ``session_cancelled``, ``order_missing``, the account's ``candidate_password`` and
    ``candidate_is_active`` (the session checks, as autosave makes them), the attempt this session already has
    (``started_here_id``), whether a formal attempt of the program is open (``open_elsewhere``) and the last attempt
    number (``last_number``). The order itself is not read."""
    field = CheckIn._meta.get_field
    attempt = Attempt._meta.db_table
    mine = (f'FROM "{attempt}" a WHERE a.candidate_id = c.candidate_id AND a.program_code = c.program_code '
            f"AND a.kind = %s")
    # The row lock orders the start wholly before or after a proctor's extra time or refusal (they lock the
    # check-in first too); a start waiting on it reads the check-in as the proctor left it.
    lock = " FOR UPDATE OF c" if connection.features.has_select_for_update_of else ""
    sql = (  # only table names are formatted in; every value is a parameter
        "SELECT c.id, c.state, c.unlock_at, c.entry_closes_at, c.deadline_at, c.extra_minutes, c.paper_id, "  # noqa: S608
        'c.seed, c.program_code, c.candidate_id, c."order" IS NULL AS order_missing, p.code AS paper_code, '
        "s.cancelled_at IS NOT NULL AS session_cancelled, "
        "u.password AS candidate_password, u.is_active AS candidate_is_active, "
        f"(SELECT a.id {mine} AND a.session_code = %s ORDER BY a.started_at DESC LIMIT 1) AS started_here_id, "
        f"EXISTS (SELECT 1 {mine} AND a.state = %s) AS open_elsewhere, "
        f"(SELECT MAX(a.number) {mine}) AS last_number "
        f'FROM "{CheckIn._meta.db_table}" c JOIN "{_table(field("session"))}" s ON s.id = c.session_id '
        f'JOIN "{_table(field("paper"))}" p ON p.id = c.paper_id '
        f'JOIN "{_table(field("candidate"))}" u ON u.id = c.candidate_id '
        f"WHERE s.code = %s AND c.candidate_id = %s{lock}"
    )
    formal = Attempt.Kind.FORMAL
    session_key = field("session").related_model._meta.get_field("code").get_db_prep_value(session_code, connection)
    params = [formal, str(session_code), formal, Attempt.State.OPEN, formal, session_key, candidate_id]
    with prepared():
        checkin = next(iter(CheckIn.objects.raw(sql, params)), None)
    if checkin is not None:  # a joined column gets no converter: SQLite gives the UUID as 32 hex digits
        checkin.paper_code = str(uuid.UUID(str(checkin.paper_code)))
    return checkin


def attempt_insert_from_checkin(*, attempt: Attempt, checkin_id: int, schema_text: str,
                                order_text: str | None) -> int:
    """Insert ``attempt`` with the order its check-in holds (or ``order_text``, for a check-in made before orders
    were kept) and the paper's response schema as JSON text; returns the new id. The order never passes through
    Python: at the unlock, decoding and encoding it again was a fifth of a start."""
    table = Attempt._meta.db_table
    json_cast = _CASTS[connection.vendor]["json"]
    fields = [f for f in Attempt._meta.concrete_fields if f.attname not in ("id", "order", "schema")]
    columns = ", ".join(f'"{f.column}"' for f in fields)
    sql = (f'INSERT INTO "{table}" ({columns}, "order", "schema") '  # noqa: S608
           f'SELECT {", ".join(["%s"] * len(fields))}, COALESCE({json_cast}, c."order"), {json_cast} '
           f'FROM "{CheckIn._meta.db_table}" c WHERE c.id = %s RETURNING "id"')
    params = [f.get_db_prep_save(getattr(attempt, f.attname), connection) for f in fields]
    params += [order_text, schema_text, checkin_id]
    with prepared(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]
