"""Writing many rows at once. Django's bulk_create builds one INSERT with thousands of parameters, which psycopg
parses again for every batch (statements that long are not cached): for a session's 100,000 score rows that parsing
costs more than the database's own work. COPY streams the rows instead (docs/benchmarks.md, scoring)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models


def rows_insert(model: type[models.Model], objs: Sequence[models.Model], *, batch_size: int = 1000) -> int:
    """Insert unsaved instances without reading their keys back: COPY on PostgreSQL, bulk_create elsewhere.
    Defaults and auto_now fields are filled as a save would fill them; no signals are sent."""
    if not objs:
        return 0
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=batch_size)
        return len(objs)
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, models.AutoField)]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for obj in objs:
            copy.write_row([f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields])
    return len(objs)
