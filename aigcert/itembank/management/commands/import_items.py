import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from aigcert.accounts import api as accounts_api
from aigcert.accounts.api import Role
from aigcert.catalog import api as catalog_api
from aigcert.core.api import NotFound
from aigcert.itembank import importing, qti_import


class Command(BaseCommand):
    help = ("Import items from an .xlsx file (all or nothing), a QTI XML file, or a QTI package (zip or folder). "
            "Imported items wait for review. Exits 1 when anything was rejected.")

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--program", default="", help="program code for items that don't name one")
        parser.add_argument("--dry-run", action="store_true", help="check everything, write nothing")
        parser.add_argument("--skip-unsupported", action="store_true",
                            help="QTI: import the supported items even if others are rejected")
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")
        parser.add_argument("--as-user", default="", help="email or phone of the importing account (audit trail)")

    def handle(self, *args, path: Path, program: str, dry_run: bool, skip_unsupported: bool, json: bool,
               as_user: str, **options):
        if not path.exists():
            raise CommandError(f"{path}: no such file or folder")
        actor = self._actor(as_user)
        if path.is_file() and path.suffix.lower() == ".xlsx":
            summary = self._xlsx(path, program, dry_run, actor)
        else:
            if not program:
                raise CommandError("QTI items name no program: pass --program CODE")
            try:
                catalog_api.program_pk(program)
            except NotFound:
                raise CommandError(f"unknown program {program!r}") from None
            summary = qti_import.qti_import(path=path, program_code=program, actor=actor, dry_run=dry_run,
                                            skip_unsupported=skip_unsupported)
        self._print(summary, json)
        if summary["rejected"]:
            raise SystemExit(1)

    @staticmethod
    def _actor(login: str):
        """The account the import is recorded under; nobody (the system) when no login is given."""
        if not login:
            return None
        user = accounts_api.user_by_login(login)
        if user is None or not accounts_api.user_has_any_role(user, [Role.ITEM_AUTHOR, Role.STAFF]):
            raise CommandError(f"{login}: no active account with the {Role.ITEM_AUTHOR} role")
        return user

    def _xlsx(self, path: Path, program: str, dry_run: bool, actor) -> dict:
        check = importing.xlsx_check(path, default_program=program)
        summary = {"file": str(path), "format": "xlsx", "dry_run": dry_run, "imported": 0,
                   "checked": len(check.prepared) if check.ok else 0,
                   "rejected": [{"where": f"{p.sheet}!{p.column}{p.row}" if p.column else f"{p.sheet}!{p.row}",
                                 "reason": p.message} for p in check.problems],
                   "duplicates": check.duplicates}
        if check.ok and not dry_run:
            summary["imported"] = importing.check_write(actor=actor, check=check, source=path.name)
        return summary

    def _print(self, summary: dict, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2))
            return
        verb = "would import" if summary["dry_run"] else "imported"
        count = summary["checked"] if summary["dry_run"] else summary["imported"]
        self.stdout.write(f"{summary['file']}: {verb} {count} items, rejected {len(summary['rejected'])}")
        for rejected in summary["rejected"]:
            self.stdout.write(f"  rejected {rejected['where']}: {rejected['reason']}")
        for dup in summary.get("duplicates", []):
            other = f"row {dup['other_row']}" if dup.get("in_file") else f"item #{dup['item_id']}"
            self.stdout.write(f"  possible duplicate: row {dup['row']} looks like {other} ({dup['similarity']}%)")
