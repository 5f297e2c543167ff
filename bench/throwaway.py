"""A throwaway data directory and database for a benchmark run: SQLite in a temporary directory, or a PostgreSQL
database created fresh and dropped again (never one whose name looks real)."""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit


def postgres_admin(url: str, statement: str) -> None:
    """Run CREATE/DROP DATABASE on the server's maintenance database."""
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(host=parts.hostname or "127.0.0.1", port=parts.port or 5432, user=parts.username or "",
                         password=parts.password or None, dbname="postgres", autocommit=True) as admin:
        admin.execute(statement)


def run_in_throwaway(parser: argparse.ArgumentParser, args: argparse.Namespace,
                     run: Callable[[argparse.Namespace], None]) -> None:
    """Point Django at a fresh data directory and database (``args.database_url`` or SQLite), call ``run``, then
    remove both unless ``args.keep``."""
    data_dir = Path(tempfile.mkdtemp(prefix="aigcert-bench-"))
    os.environ["AIGCERT_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aigcert.settings")
    db_name = ""
    if args.database_url:
        db_name = urlsplit(args.database_url).path.lstrip("/")
        if (not db_name.replace("_", "").isalnum() or db_name == "test" or db_name.startswith("test_")
                or db_name in {"postgres", "template0", "template1"}):
            parser.error(f"refusing to create and drop the database {db_name!r}; name a throwaway one")
        postgres_admin(args.database_url, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        postgres_admin(args.database_url, f'CREATE DATABASE "{db_name}"')
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    try:
        run(args)
    finally:
        if db_name and not args.keep:
            from django.db import connections

            connections.close_all()
            postgres_admin(args.database_url, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
