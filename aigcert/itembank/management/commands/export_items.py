from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from aigcert.itembank import exports, selectors


class Command(BaseCommand):
    help = "Export the current version of items as an .xlsx (the import template) or a QTI 3.0 package (zip)."

    def add_arguments(self, parser):
        parser.add_argument("out", type=Path)
        parser.add_argument("--format", choices=["xlsx", "qti3"], required=True)
        parser.add_argument("--program", default="")
        parser.add_argument("--status", default="", help="only items in this status (e.g. approved)")

    def handle(self, *args, out: Path, format: str, program: str, status: str, **options):
        items = selectors.item_search(selectors.ItemFilter(program=program, status=status))
        count = items.count()
        if not count:
            raise CommandError("no items match")
        data = exports.qti_package(items) if format == "qti3" else exports.xlsx_bytes(items)
        out.write_bytes(data)
        self.stdout.write(f"{out}: {count} items exported as {format}")
