from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from aigcert.catalog import selectors
from aigcert.catalog.models import ItemType, Program
from aigcert.core.api import join_list

EXAM_FIELD_LABELS = {
    "duration_minutes": _("duration"),
    "total_score": _("total score"),
    "pass_mark": _("pass mark"),
    "item_types": _("question types"),
    "frequency": _("session frequency"),
    "sittings": _("sitting start times"),
    "results_delay_days": _("results date"),
    "seats_per_sitting": _("seats per sitting"),
    "booking_closes_days_before": _("booking deadline"),
    "ticket_days_before": _("admission ticket date"),
}
SESSION_PATTERNS = {
    "monthly": _("Monthly: %(sittings)s"),
    "weekly": _("Weekly: %(sittings)s"),
    "on_demand": _("On demand: %(sittings)s"),
}


def program_list(request):
    series = request.GET.get("series") or None
    direction = request.GET.get("direction") or None
    context = {
        "programs": selectors.program_list(series=series, direction=direction),
        "series_options": selectors.series_with_programs(),
        "direction_options": selectors.directions_with_programs(),
        "selected_series": series or "",
        "selected_direction": direction or "",
    }
    return render(request, "catalog/program_list.html", context)


def program_detail(request, code: str):
    program = selectors.program_detail(code)
    if program is None:
        raise Http404
    policy = getattr(program, "exam_policy", None)
    item_type_labels = dict(ItemType.choices)
    context = {
        "program": program,
        "fees": getattr(program, "fees", None),
        "policy": policy,
        "open_status": Program.Status.OPEN,
    }
    if policy:
        context["item_types"] = join_list(item_type_labels.get(code, code) for code in policy.item_types)
        sittings = join_list(f"{s.label} {s.start_time:%H:%M}" for s in policy.sittings.all())
        context["sessions"] = SESSION_PATTERNS[policy.frequency] % {"sittings": sittings}
        context["assumed_exam_fields"] = join_list(EXAM_FIELD_LABELS[name] for name in policy.assumed_fields)
    return render(request, "catalog/program_detail.html", context)
