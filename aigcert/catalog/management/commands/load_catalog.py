from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from aigcert.catalog.loader import CatalogInvalid
from aigcert.catalog.services import catalog_load


class Command(BaseCommand):
    help = "Load the program catalog data file (all or nothing; safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(settings.CATALOG_FILE),
                            help="catalog YAML file (default: the shipped catalog)")

    def handle(self, *args, path, **options):
        try:
            report = catalog_load(path=Path(path))
        except CatalogInvalid as exc:
            raise CommandError(
                f"catalog not loaded; the database is unchanged. {len(exc.problems)} problem(s):\n{exc}"
            ) from exc
        self.stdout.write(self.style.SUCCESS(f"catalog loaded from {path}"))
        self.stdout.write(report.summary())
