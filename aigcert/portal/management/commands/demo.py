from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from aigcert.accounts import api as accounts_api
from aigcert.credentials import api as credentials_api
from aigcert.delivery import api as delivery_api
from aigcert.enrolment import api as enrolment_api
from aigcert.exams import api as exams_api
from aigcert.itembank import api as itembank_api
from aigcert.learning import api as learning_api
from aigcert.scoring import api as scoring_api
from aigcert.talent import api as talent_api
from aigcert.tutor import api as tutor_api


class Command(BaseCommand):
    help = ("Migrate, load the catalog, create one demo account per role and load the demo item bank "
            "(safe to run again).")

    def add_arguments(self, parser):
        parser.add_argument("--allow-non-sqlite", action="store_true",
                            help="create the demo accounts (with their published password) on a non-SQLite database")

    def handle(self, *args, allow_non_sqlite=False, **options):
        # Demo accounts have a published password and one is a superuser: never by accident on a real database.
        if connection.vendor != "sqlite" and not allow_non_sqlite:
            raise CommandError("refusing to create demo accounts on a non-SQLite database "
                               "(pass --allow-non-sqlite for a throw-away demo server)")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("load_catalog", str(settings.CATALOG_FILE), stdout=self.stdout)
        logins = accounts_api.demo_accounts_ensure()
        added = itembank_api.demo_bank_load(author=accounts_api.demo_user(accounts_api.Role.ITEM_AUTHOR),
                                            reviewer=accounts_api.demo_user(accounts_api.Role.ITEM_REVIEWER))
        self.stdout.write(f"Item bank: {added} demo items added and approved.")
        blueprints = exams_api.demo_blueprints_load(actor=accounts_api.demo_user(accounts_api.Role.EXAM_ADMIN))
        self.stdout.write(f"Blueprints: {blueprints} demo mock/formal blueprints added.")
        org_name, sessions = enrolment_api.demo_registration_load(
            org_admin=accounts_api.demo_user(accounts_api.Role.ORG_ADMIN),
            exam_admin=accounts_api.demo_user(accounts_api.Role.EXAM_ADMIN))
        self.stdout.write(f"Partner organization: {org_name}; {sessions} exam sessions added.")
        if enrolment_api.demo_candidate_unlock(candidate=accounts_api.demo_user(accounts_api.Role.CANDIDATE),
                                               finance=accounts_api.demo_user(accounts_api.Role.FINANCE)):
            self.stdout.write("Demo candidate: registered for 通用级 with the deposit paid (mock exams are open).")
        exam_day = delivery_api.demo_exam_day_load(candidate=accounts_api.demo_user(accounts_api.Role.CANDIDATE),
                                                   proctor=accounts_api.demo_user(accounts_api.Role.PROCTOR),
                                                   exam_admin=accounts_api.demo_user(accounts_api.Role.EXAM_ADMIN))
        if exam_day:
            self.stdout.write(f"Exam day: the demo candidate is booked into a 通用级 session starting {exam_day} "
                              "(check-in is open now; the demo proctor is assigned).")
        exam_admin = accounts_api.demo_user(accounts_api.Role.EXAM_ADMIN)
        marked = delivery_api.demo_marked_session_load(candidates=accounts_api.demo_sitters_ensure(),
                                                       exam_admin=exam_admin)
        if marked:
            # Scored by the worker (`aigcert run` starts it): then the essays, works and prompts wait for the markers.
            scoring_api.session_scoring_request(session_code=marked, actor=exam_admin)
            self.stdout.write("Marking: four demo candidates sat a 专业级 session; once the worker has scored it, its "
                              "essays, works and prompt tasks wait in the markers' queues (/marking/).")
        lessons = learning_api.demo_lessons_load()
        learning_api.demo_tutoring_load(tutor=accounts_api.demo_user(accounts_api.Role.TUTOR))
        passages = tutor_api.demo_index_build()
        self.stdout.write(f"Courses: {lessons} demo lessons written; the AI tutor indexed {passages} passages "
                          "(it quotes the course; set LLM_BASE_URL, LLM_API_KEY and LLM_MODEL for generated answers).")
        office, finance = accounts_api.demo_user(accounts_api.Role.CERT_OFFICE), accounts_api.demo_user(
            accounts_api.Role.FINANCE)
        if credentials_api.demo_certificates_load(office=office, finance=finance):
            self.stdout.write("Certificates: three demo holders passed and paid the balance; one certificate waits "
                              "to be issued, one to be printed, one is in the post (/office/certificates/).")
        holder = accounts_api.demo_holders_ensure()[1]
        talent_api.demo_talent_load(holder=holder, employer_user=accounts_api.demo_user(accounts_api.Role.EMPLOYER),
                                    staff=accounts_api.demo_user(accounts_api.Role.STAFF))
        self.stdout.write(f"Talent database: the demo employer is verified; {holder.phone} (王六) is opted in.")
        self.stdout.write(self.style.SUCCESS(f"\nDemo logins (password for all: {logins[0].password})"))
        for login in logins:
            self.stdout.write(f"  {login.role_label:<28} {login.login}")
