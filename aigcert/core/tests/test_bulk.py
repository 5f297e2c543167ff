"""rows_insert writes what a save would (defaults, auto_now, JSON), on SQLite and with COPY on PostgreSQL."""

import pytest
from django.apps import apps

from aigcert.core.api import rows_insert


@pytest.mark.django_db
def test_rows_insert_writes_the_rows_as_a_save_would(make_user):
    candidate = make_user("candidate")
    model = apps.get_model("core", "Notification")
    rows = [model(user=candidate, kind="result", subject=f"第{n}条", body="成绩已发布 {\"json\": true}", link="/x")
            for n in range(3)]
    assert rows_insert(model, rows) == 3
    stored = list(model.objects.filter(user=candidate).order_by("subject"))
    assert [n.subject for n in stored] == ["第0条", "第1条", "第2条"]
    assert all(n.created_at is not None and n.read_at is None for n in stored)
    assert rows_insert(model, []) == 0


@pytest.mark.django_db
def test_rows_insert_keeps_json():
    model = apps.get_model("core", "OutboxEvent")
    rows_insert(model, [model(topic="t.one", payload={"7": 9, "名": "值", "nested": [1, None, True]})])
    row = model.objects.get(topic="t.one")
    assert row.payload == {"7": 9, "名": "值", "nested": [1, None, True]}
    assert row.created_at is not None and row.attempts == 0
