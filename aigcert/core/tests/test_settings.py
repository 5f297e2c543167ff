"""The one settings module: SQLite in WAL mode by default, PostgreSQL with a pool, Redis when configured."""

import os
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper

from aigcert.settings import database_config


def test_no_database_url_means_sqlite_in_the_data_dir(tmp_path):
    config = database_config(None, tmp_path)
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == tmp_path / "aigcert.sqlite3"
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_sqlite_file_databases_really_run_in_wal_mode(tmp_path, django_db_blocker):
    config = {**database_config(None, tmp_path), "TIME_ZONE": None, "CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False,
              "AUTOCOMMIT": True, "ATOMIC_REQUESTS": False, "USER": "", "PASSWORD": "", "HOST": "", "PORT": ""}
    wrapper = SQLiteWrapper(config, alias="wal-probe")
    try:
        with django_db_blocker.unblock(), wrapper.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
            cursor.execute("PRAGMA busy_timeout")
            assert cursor.fetchone()[0] == 20000
            cursor.execute("PRAGMA foreign_keys")
            assert cursor.fetchone()[0] == 1
    finally:
        wrapper.close()
    assert Path(tmp_path / "aigcert.sqlite3").exists()


def test_database_url_means_postgresql_with_a_pool(tmp_path):
    config = database_config("postgres://exam:s%40cret@db.internal:6543/aigcert?pool_max=20&sslmode=require",
                             tmp_path)
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["USER"], config["PASSWORD"], config["HOST"], config["PORT"]) == (
        "aigcert", "exam", "s@cret", "db.internal", "6543")
    assert config["OPTIONS"]["pool"]["max_size"] == 20
    assert config["OPTIONS"]["sslmode"] == "require"
    assert config["CONN_MAX_AGE"] == 0
    assert "pool" not in database_config("postgres://h/db?pool=false", tmp_path)["OPTIONS"]


def test_unknown_database_scheme_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unsupported scheme"):
        database_config("mysql://root@localhost/db", tmp_path)


@pytest.mark.django_db
@pytest.mark.skipif(not os.environ.get("DATABASE_URL"), reason="runs in the PostgreSQL pass of CI")
def test_postgresql_run_uses_the_connection_pool():
    assert connection.vendor == "postgresql"
    connection.ensure_connection()
    assert connection.pool is not None


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="runs in the Redis pass of CI")
def test_redis_backs_cache_and_sessions():
    assert settings.CACHES["default"]["BACKEND"] == "aigcert.core.cache.RedisCache"
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cache"
    cache.set("aigcert-test-key", {"n": 1}, 30)
    assert cache.get("aigcert-test-key") == {"n": 1}
    cache.delete("aigcert-test-key")


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="runs in the Redis pass of CI")
def test_the_redis_cache_keeps_its_client_between_calls_and_works_from_many_threads():
    # Django would build a new redis.Redis per call; every request reads its session through this cache. (Django
    # gives each thread its own cache object, so each thread keeps its own client.)
    client = cache._cache.get_client()
    assert cache._cache.get_client() is client and cache._cache.get_client("key", write=True) is client
    seen: dict[int, object] = {}

    def work(i: int) -> None:
        cache.set(f"aigcert-thread-{i}", i, 30)
        seen[i] = cache.get(f"aigcert-thread-{i}")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {i: i for i in range(8)}
    cache.delete_many([f"aigcert-thread-{i}" for i in range(8)])


def test_secret_key_is_stable_per_data_dir(tmp_path):
    from aigcert.settings import read_or_create_secret_key

    first = read_or_create_secret_key(tmp_path)
    assert read_or_create_secret_key(tmp_path) == first
    assert len(first) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_deploy_check_warns_when_several_servers_would_invent_their_own_keys(monkeypatch, settings):
    from aigcert.core.checks import secret_key_from_environment

    monkeypatch.setenv("DATABASE_URL", "postgres://db/aigcert")
    settings.SECRET_KEY_FROM_ENV = False
    assert [w.id for w in secret_key_from_environment(None)] == ["aigcert.W001"]
    settings.SECRET_KEY_FROM_ENV = True
    assert secret_key_from_environment(None) == []
