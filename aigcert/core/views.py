import logging

from django.db import connection
from django.http import JsonResponse
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


def healthz(request):
    """Liveness plus a database round trip, for load balancers and the run command."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def csrf_failure(request, reason: str = ""):
    """A forged or replayed form or fetch (no valid CSRF token): refused as Django does, and logged with who and
    where, so the exam office can see attempts to act on someone's behalf."""
    from django.views.csrf import csrf_failure as django_csrf_failure

    from aigcert.core.audit import audit_record

    user = getattr(request, "user", None)
    logger.warning("CSRF refused: %s %s (%s)", request.method, request.path, reason)
    audit_record(actor=user, action="security.csrf_refused",
                 data={"path": request.path[:200], "method": request.method, "reason": reason[:200],
                       "ip": request.META.get("REMOTE_ADDR", "")})
    if request.path.startswith("/exam/") and "application/json" in (request.content_type or ""):
        return JsonResponse({"error": "reload", "message": str(_("This page has to be reloaded before it can save "
                                                                  "again. Your answers are kept on this device."))},
                            status=403)
    return django_csrf_failure(request, reason=reason)
