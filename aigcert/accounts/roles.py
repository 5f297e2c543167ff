from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CANDIDATE = "candidate", _("Candidate")
    ORG_ADMIN = "org_admin", _("Partner organization admin")
    ITEM_AUTHOR = "item_author", _("Item author")
    ITEM_REVIEWER = "item_reviewer", _("Item reviewer")
    EXAM_ADMIN = "exam_admin", _("Exam administrator")
    PROCTOR = "proctor", _("Proctor")
    MARKER = "marker", _("Marker")
    CHIEF_MARKER = "chief_marker", _("Chief marker")
    CERT_OFFICE = "cert_office", _("Certificate office")
    FINANCE = "finance", _("Finance")
    EMPLOYER = "employer", _("Employer")
    COURSE_EDITOR = "course_editor", _("Course editor")
    TUTOR = "tutor", _("Tutor")
    STAFF = "staff", _("Platform staff")


# Roles that work inside the exam office's back office (the /staff/ workspace).
STAFF_SIDE_ROLES = frozenset(
    {
        Role.ITEM_AUTHOR,
        Role.ITEM_REVIEWER,
        Role.EXAM_ADMIN,
        Role.PROCTOR,
        Role.MARKER,
        Role.CHIEF_MARKER,
        Role.CERT_OFFICE,
        Role.FINANCE,
        Role.STAFF,
        Role.COURSE_EDITOR,
        Role.TUTOR,
    }
)
