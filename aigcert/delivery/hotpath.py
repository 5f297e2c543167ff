"""The autosave write: one statement that inserts or updates many responses, guarded twice.

A row is written only if the attempt is still open on the device that sends it (so a save racing a submit or a
newer device changes nothing), and an existing row takes the incoming answer only with a higher or equal sequence
number (so a late, stale request can't overwrite a newer answer; an equal number is the same write retried).
Every row that passed the first guard comes back with the sequence number now stored: equal to the one sent
means written, higher means the write was stale, and no row at all means the attempt is closed or another device
has it. Written in SQL because the ORM's upsert has neither guard.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.db import connection

from aigcert.delivery.models import Attempt, Response

_CASTS = {  # PostgreSQL needs the column types of a UNION of bare parameters; SQLite must not get them
    "postgresql": {"int": "CAST(%s AS bigint)", "text": "CAST(%s AS text)", "json": "CAST(%s AS jsonb)",
                   "bool": "CAST(%s AS boolean)", "time": "CAST(%s AS timestamptz)"},
    "sqlite": {"int": "%s", "text": "%s", "json": "%s", "bool": "%s", "time": "%s"},
}


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
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {slot: seq for slot, seq in cursor.fetchall()}
