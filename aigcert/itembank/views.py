"""Staff pages of the item bank. Views are thin: reads through selectors, writes through services."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aigcert.accounts.api import roles_required
from aigcert.catalog import api as catalog_api
from aigcert.core.api import DomainError, audit_events
from aigcert.itembank import exports, selectors, services
from aigcert.itembank.assets import ImageRejected, asset_store, asset_url
from aigcert.itembank.forms import (
    ApproveForm,
    BulkForm,
    FilterForm,
    ImportForm,
    ItemForm,
    NewItemForm,
    ReturnForm,
)
from aigcert.itembank.models import ImportJob, Item
from aigcert.itembank.payloads import delivery_payload
from aigcert.itembank.tasks import import_job_check, import_job_run

bank_staff = roles_required(*services.BANK_ROLES)
PAGE_SIZE = 50


def _item_or_404(code) -> Item:
    item = selectors.item_by_code(code)
    if item is None:
        raise Http404
    return item


def _filter(request) -> tuple[FilterForm, selectors.ItemFilter]:
    form = FilterForm(request.GET or None)
    if form.is_valid():
        d = form.cleaned_data
        return form, selectors.ItemFilter(program=d["program"], item_type=d["item_type"], status=d["status"],
                                          standard=d["standard"], difficulty=d["difficulty"], text=d["q"])
    return form, selectors.ItemFilter()


@bank_staff
def item_list(request):
    form, item_filter = _filter(request)
    page = Paginator(selectors.item_search(item_filter), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "itembank/item_list.html", {
        "form": form, "page": page, "query": query.urlencode(),
        "can_author": services.can_author(request.user), "can_review": services.can_review(request.user),
        "can_retire": services.can_retire(request.user),
    })


@bank_staff
@require_POST
def item_bulk(request):
    codes = request.POST.getlist("items")
    form = BulkForm(request.POST, item_codes=codes)
    back = request.POST.get("next") or reverse("itembank:item_list")
    if not codes:
        messages.error(request, _("Select at least one item."))
        return redirect(back)
    if not form.is_valid():
        messages.error(request, _("Choose an action."))
        return redirect(back)
    try:
        if form.cleaned_data["action"] == "retire":
            count = services.items_retire(actor=request.user, item_codes=codes, reason=form.cleaned_data["reason"])
            messages.success(request, _("%(count)s items retired.") % {"count": count})
        else:
            approved, skipped = services.items_approve(actor=request.user, item_codes=codes)
            messages.success(request, _("%(approved)s items approved; %(skipped)s skipped (not waiting for review, "
                                        "or written by you).") % {"approved": approved, "skipped": skipped})
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(back)


@bank_staff
def item_new(request):
    if not services.can_author(request.user):
        raise PermissionDenied
    chooser = NewItemForm(request.GET or None)
    if not chooser.is_valid():
        return render(request, "itembank/item_new.html", {"chooser": chooser})
    program, item_type = chooser.cleaned_data["program"], chooser.cleaned_data["item_type"]
    form = ItemForm(request.POST or None, request.FILES or None, item_type=item_type, program_code=program)
    if request.method == "POST" and form.is_valid():
        item = _save(request, form, lambda content: services.item_create(
            actor=request.user, program_code=program, content=content))
        if item is not None:
            messages.success(request, _("Item saved as a draft."))
            return redirect("itembank:item_detail", code=item.code)
    return render(request, "itembank/item_form.html", {
        "form": form, "item_type": item_type, "type_label": catalog_api.ItemType(item_type).label,
        "program": catalog_api.program_get(program), "item": None,
    })


def _stem_images(request, form: ItemForm) -> str | None:
    extra = ""
    for upload in request.FILES.getlist("images"):
        try:
            asset = asset_store(name=upload.name, data=upload.read(), actor=request.user)
        except ImageRejected as exc:
            form.add_error("images", exc.message)
            return None
        extra += f'<p><img src="{asset_url(asset)}" alt=""></p>'
    return extra


def _save(request, form: ItemForm, write, previous=None):
    extra = _stem_images(request, form)
    if extra is None:
        return None
    content = form.to_content(stem_extra=extra, previous=previous)
    if form.errors:
        return None
    try:
        return write(content)
    except services.ItemInvalid as exc:
        form.add_problems(exc.problems)
    except DomainError as exc:
        form.add_error(None, exc.message)
    return None


@bank_staff
def item_edit(request, code):
    item = _item_or_404(code)
    if not services.can_edit(request.user, item):
        raise PermissionDenied
    current = services.version_content(item.head)
    form = ItemForm(request.POST or None, request.FILES or None, item_type=item.item_type,
                    program_code=item.program.code, initial=ItemForm.initial_from(current))
    if request.method == "POST" and form.is_valid():
        version = _save(request, form, lambda content: services.item_update(actor=request.user, item=item,
                                                                             content=content), previous=current)
        if version is not None:
            messages.success(request, _("Saved as version %(n)s.") % {"n": version.number})
            return redirect("itembank:item_detail", code=item.code)
    return render(request, "itembank/item_form.html", {
        "form": form, "item_type": item.item_type, "type_label": item.get_item_type_display(),
        "program": catalog_api.program_get(item.program.code), "item": item,
    })


@bank_staff
def item_detail(request, code):
    item = _item_or_404(code)
    content = services.version_content(item.head)
    user = request.user
    return render(request, "itembank/item_detail.html", {
        "item": item, "content": content, "payload": delivery_payload(content),
        "versions": selectors.item_versions(item), "comments": selectors.item_comments(item),
        "events": audit_events(target=item)[:50],
        "can_edit": services.can_edit(user, item),
        "can_submit": services.can_submit(user, item),
        "can_withdraw": services.can_withdraw(user, item),
        "can_decide": services.can_decide(user, item),
        "own_item": services.is_own_item(user, item),
        "can_retire": services.can_retire(user) and item.status != Item.Status.RETIRED,
        "return_form": ReturnForm(), "approve_form": ApproveForm(),
    })


@bank_staff
def item_preview(request, code):
    """The item exactly as a candidate's exam page shows it, from the delivery payload (no key, no rubric)."""
    item = _item_or_404(code)
    version = item.head
    if request.GET.get("version"):
        version = next((v for v in selectors.item_versions(item) if str(v.number) == request.GET["version"]), None)
        if version is None:
            raise Http404
    payload = delivery_payload(services.version_content(version))
    return render(request, "itembank/item_preview.html", {"item": item, "version": version, "payload": payload})


@bank_staff
@require_POST
def item_action(request, code, action):
    item = _item_or_404(code)
    try:
        if action == "submit":
            services.item_submit(actor=request.user, item=item)
            messages.success(request, _("Submitted for review."))
        elif action == "withdraw":
            services.item_withdraw(actor=request.user, item=item)
            messages.success(request, _("Withdrawn; the item is a draft again."))
        elif action == "return":
            form = ReturnForm(request.POST)
            services.item_return(actor=request.user, item=item,
                                 comment=form.data.get("comment", ""))
            messages.success(request, _("Returned to the author with your comment."))
        elif action == "approve":
            services.item_approve(actor=request.user, item=item, comment=request.POST.get("comment", ""))
            messages.success(request, _("Approved."))
        elif action == "retire":
            services.items_retire(actor=request.user, item_codes=[str(item.code)],
                                  reason=request.POST.get("reason", ""))
            messages.success(request, _("Retired."))
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("itembank:item_detail", code=item.code)


def asset_serve(request, sha256, extension):
    """Item images. Their names are content hashes, so they are cached for good."""
    asset = selectors.asset_by_sha(sha256, extension)
    if asset is None:
        raise Http404
    response = FileResponse(asset.file.open("rb"), content_type=asset.content_type)
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@bank_staff
def template_download(request):
    response = HttpResponse(exports.template_bytes(), content_type=exports.XLSX_TYPE)
    response["Content-Disposition"] = 'attachment; filename="aigcert-items-template.xlsx"'
    return response


@bank_staff
def items_export(request):
    _form, item_filter = _filter(request)
    fmt = request.GET.get("format", "xlsx")
    items = selectors.item_search(item_filter)
    stamp = dt.date.today().isoformat()
    if fmt == "qti3":
        data, content_type, name = exports.qti_package(items), "application/zip", f"aigcert-items-{stamp}-qti3.zip"
    else:
        data, content_type, name = exports.xlsx_bytes(items), exports.XLSX_TYPE, f"aigcert-items-{stamp}.xlsx"
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bank_staff
def import_start(request):
    if not services.can_author(request.user):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = ImportJob(created_by=request.user, filename=upload.name[:200],
                        program_code=form.cleaned_data["program"], language=translation.get_language())
        job.file.save(f"{job.code}.xlsx", ContentFile(upload.read()), save=False)
        job.save()
        transaction.on_commit(lambda: import_job_check.enqueue(job_id=job.pk))
        return redirect("itembank:import_status", code=job.code)
    return render(request, "itembank/import_start.html", {"form": form})


def _job_or_404(request, code) -> ImportJob:
    job = selectors.import_job_for(request.user, code)
    if job is None:
        raise Http404
    return job


@bank_staff
def import_status(request, code):
    job = _job_or_404(request, code)
    if request.headers.get("Accept") == "application/json":
        return JsonResponse({"status": job.status, "percent": job.percent, "processed": job.processed_rows,
                             "total": job.total_rows})
    return render(request, "itembank/import_status.html", {
        "job": job, "finished": job.status not in (ImportJob.Status.CHECKING, ImportJob.Status.IMPORTING),
    })


@bank_staff
@require_POST
def import_confirm(request, code):
    job = _job_or_404(request, code)
    if job.status != ImportJob.Status.READY:
        messages.error(request, _("This file can't be imported now."))
        return redirect("itembank:import_status", code=job.code)
    ImportJob.objects.filter(pk=job.pk).update(skip_duplicates=bool(request.POST.get("skip_duplicates")))
    transaction.on_commit(lambda: import_job_run.enqueue(job_id=job.pk))
    return redirect("itembank:import_status", code=job.code)

