from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from aigcert.accounts import api as accounts_api


class Command(BaseCommand):
    help = "Migrate, load the catalog and create one demo account per role (safe to run again)."

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("load_catalog", str(settings.CATALOG_FILE), stdout=self.stdout)
        logins = accounts_api.demo_accounts_ensure()
        self.stdout.write(self.style.SUCCESS(f"\nDemo logins (password for all: {logins[0].password})"))
        for login in logins:
            self.stdout.write(f"  {login.role_label:<28} {login.login}")
