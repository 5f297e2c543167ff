"""Writing many rows at once. Django's bulk_create builds one INSERT with thousands of parameters, which psycopg
parses again for every batch (statements that long are not cached): for a session's 100,000 score rows that parsing
costs more than the database's own work. COPY streams the rows instead (docs/benchmarks.md, scoring)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

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
    converters = [_converter(f) for f in fields]
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for obj in objs:
            copy.write_row([convert(f.pre_save(obj, True)) for f, convert in zip(fields, converters, strict=True)])
    return len(objs)


def _same(value: Any) -> Any:
    return value


def _converter(field: models.Field) -> Callable[[Any], Any]:
    """How a field's Python value goes into COPY's text: JSON as its text (PostgreSQL parses it into jsonb), the
    rest as psycopg adapts it (text, numbers, decimals, UUIDs, dates and times). Cheaper than get_db_prep_save,
    which wraps every JSON value in an adapter object."""
    if isinstance(field, models.JSONField):
        encoder = field.encoder

        def to_json(value: Any) -> Any:
            return None if value is None else json.dumps(value, cls=encoder, ensure_ascii=False)
        return to_json
    if isinstance(field, models.UUIDField | models.DecimalField | models.DateTimeField | models.IntegerField
                  | models.BooleanField | models.CharField | models.TextField | models.ForeignKey | models.DateField):
        return _same
    return lambda value: field.get_db_prep_save(value, connection)
