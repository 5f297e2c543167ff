"""Certificate pages: the public verification page and API, the served status lists and issuer profile; the holder's
certificates; the certificate office's queues, bulk actions, print files and PDF batches."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from aigcert.accounts.api import Role, client_ip, roles_required
from aigcert.catalog import api as catalog
from aigcert.core.api import DomainError, NotFound, audit_events
from aigcert.credentials import keys, printing, rules, selectors, services, verification
from aigcert.credentials import pdf as certificate_pdf
from aigcert.credentials.models import Certificate, PdfBatch, StatusList
from aigcert.credentials.policy import credentials_policy

OFFICE = (Role.CERT_OFFICE, Role.STAFF)
CREDENTIAL_TYPE = "application/vc+ld+json"


def _json(document: dict, content_type: str = "application/json") -> HttpResponse:
    response = HttpResponse(json.dumps(document, ensure_ascii=False, indent=2), content_type=content_type)
    # Verifiers in other origins (wallets, employers' tools) read these documents.
    response["Access-Control-Allow-Origin"] = "*"
    return response


# Public -------------------------------------------------------------------------------------------------------


def _limited(request: HttpRequest) -> bool:
    return not verification.lookup_allowed(client_ip(request))


def _too_many(request: HttpRequest, *, as_json: bool = False) -> HttpResponse:
    text = _("Too many verification lookups from your network. Please wait a minute and try again.")
    if as_json:
        return JsonResponse({"error": "rate_limited", "message": text}, status=429)
    return render(request, "credentials/verify.html", {"error": text}, status=429)


def verify(request: HttpRequest) -> HttpResponse:
    """Look a certificate up by number and name, or by its verification code."""
    context: dict = {"number": "", "name": "", "code": ""}
    if request.method == "POST":
        number, name = request.POST.get("number", "")[:40], request.POST.get("name", "")[:60]
        code = request.POST.get("code", "")[:40]
        context.update(number=number, name=name, code=code)
        if not (code.strip() or (number.strip() and name.strip())):
            context["error"] = _("Enter the certificate number and the holder's name, or the verification code.")
            return render(request, "credentials/verify.html", context, status=400)
        if _limited(request):
            return _too_many(request)
        context["verdict"] = verification.verify_code(code) if code.strip() else verification.verify_number(
            number, name)
        context["asked"] = True
    return render(request, "credentials/verify.html", context)


@require_GET
def verify_code(request: HttpRequest, code: str) -> HttpResponse:
    """The QR code's link."""
    if _limited(request):
        return _too_many(request)
    return render(request, "credentials/verify.html", {"verdict": verification.verify_code(code), "asked": True,
                                                       "by_link": True})


@require_POST
def verify_file(request: HttpRequest) -> HttpResponse:
    upload = request.FILES.get("credential")
    if upload is None:
        return render(request, "credentials/verify.html", {"error": _("Choose the credential file (.json).")},
                      status=400)
    if _limited(request):
        return _too_many(request)
    raw = upload.read(verification.MAX_FILE_BYTES + 1)
    return render(request, "credentials/verify.html", {"verdict": verification.verify_document(raw),
                                                       "asked": True, "by_file": True})


def _verdict_json(verdict: verification.Verdict) -> dict:
    body: dict = {"outcome": verdict.outcome, "valid": verdict.valid}
    if verdict.certificate is not None:
        c = verdict.certificate
        body["certificate"] = {"number": c.number, "name": c.name, "program": c.program, "level": c.level,
                               "issuer": c.issuer, "issued_on": c.issued_on.isoformat(), "state": c.state,
                               "score_band": c.score_band or None, "replaced_by": c.replaced_by or None,
                               "ended_on": c.ended_on.isoformat() if c.ended_on else None}
    return body


@csrf_exempt  # a public, read-only check that changes nothing: verifiers post from their own tools
def api_verify(request: HttpRequest) -> JsonResponse:
    """GET ?code=…, or POST a JSON body: {"number", "name"}, {"code"}, or the credential itself."""
    if request.method == "GET":
        if not request.GET.get("code"):
            return JsonResponse({"error": "bad_request", "message": _("Give a verification code.")}, status=400)
        if _limited(request):
            return _too_many(request, as_json=True)
        return JsonResponse(_verdict_json(verification.verify_code(request.GET["code"])),
                            json_dumps_params={"ensure_ascii": False})
    if request.method != "POST":
        return JsonResponse({"error": "method_not_allowed"}, status=405)
    if len(request.body) > verification.MAX_FILE_BYTES:
        return JsonResponse({"error": "too_large"}, status=413)
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return JsonResponse({"error": "bad_request", "message": _("The body is not JSON.")}, status=400)
    if not isinstance(body, dict):
        return JsonResponse({"error": "bad_request", "message": _("The body is not a JSON object.")}, status=400)
    if _limited(request):
        return _too_many(request, as_json=True)
    if "proof" in body or "credentialSubject" in body:
        verdict = verification.verify_document(body)
    elif body.get("code"):
        verdict = verification.verify_code(str(body["code"]))
    elif body.get("number") and body.get("name"):
        verdict = verification.verify_number(str(body["number"]), str(body["name"]))
    else:
        return JsonResponse({"error": "bad_request", "message": _(
            "Give number and name, a code, or the credential.")}, status=400)
    return JsonResponse(_verdict_json(verdict), json_dumps_params={"ensure_ascii": False})


@require_GET
def status_list(request: HttpRequest, pk: int) -> HttpResponse:
    found = StatusList.objects.filter(pk=pk).exclude(credential={}).first()
    if found is None:
        raise Http404
    response = _json(found.credential, CREDENTIAL_TYPE)
    # Verifiers may cache a list briefly; a revocation shows within a minute everywhere.
    response["Cache-Control"] = "public, max-age=60"
    return response


@require_GET
def issuer(request: HttpRequest) -> HttpResponse:
    """The issuer's keys: ``keys`` (active and retired) are how a verifier knows a did:key is ours; nothing signed
    by one of ``withdrawnKeys`` is to be trusted (kept apart, so a check for "is it listed" can't accept them)."""
    trusted, withdrawn = [], []
    for k in keys.IssuerKey.objects.order_by("created_at", "id"):
        row = {"id": k.did, "publicKeyMultibase": k.public_key_multibase, "active": k.active,
               "created": k.created_at.isoformat(), "retired": k.retired_at.isoformat() if k.retired_at else None}
        if k.withdrawn_at is None:
            trusted.append(row)
        else:
            withdrawn.append({**row, "withdrawn": k.withdrawn_at.isoformat()})
    return _json({"name": "aigcert", "url": request.build_absolute_uri("/"), "keys": trusted,
                  "withdrawnKeys": withdrawn})


# The holder --------------------------------------------------------------------------------------------------------


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    return render(request, "credentials/mine.html", {"certificates": selectors.certificates_of(request.user.pk)})


def _own(request: HttpRequest, code) -> Certificate:
    try:
        return selectors.certificate_of_holder(holder=request.user, code=code)
    except NotFound:
        raise Http404 from None


@login_required
def mine_detail(request: HttpRequest, code) -> HttpResponse:
    certificate = _own(request, code)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "public":
                services.certificate_public_settings_set(
                    code=certificate.code, holder=request.user, public_name=request.POST.get("public_name", ""),
                    public_score_band=request.POST.get("public_score_band") == "on")
                messages.success(request, _("Saved: the public page shows what you chose."))
            elif action == "address":
                services.certificate_mailing_address_set(code=certificate.code, holder=request.user,
                                                         address=request.POST.get("address", ""))
                messages.success(request, _("Mailing address saved."))
            elif action == "received":
                services.certificate_mark_delivered(code=certificate.code, actor=request.user, holder=request.user)
                messages.success(request, _("Thank you: the certificate is marked as received."))
            else:
                raise DomainError(_("Unknown action."))
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("credentials:mine_detail", code=certificate.code)
    # The same public address the QR code on the paper carries (SITE_URL), whichever host name served this page.
    share = certificate_pdf.verify_url(certificate) if certificate.verification_code else ""
    policy = credentials_policy()
    return render(request, "credentials/mine_detail.html", {
        "certificate": certificate, "share_url": share,
        "carrier": policy.carrier(certificate.carrier) if certificate.carrier else None,
        "band": policy.band(certificate.score_band) if certificate.score_band else None,
        "preview": verification.public_view(certificate) if certificate.number else None,
        "held": certificate.state in rules.HELD_STATES,
        "program_name": catalog.program_name(certificate.program_code),
    })


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _own_held(request: HttpRequest, code) -> Certificate:
    """A certificate the holder still holds: a revoked or replaced one is no longer handed out."""
    certificate = _own(request, code)
    if certificate.state not in rules.HELD_STATES:
        raise Http404
    return certificate


@login_required
def mine_pdf(request: HttpRequest, code) -> HttpResponse:
    certificate = _own_held(request, code)
    return _attachment(printing.certificate_pdf_bytes(certificate), "application/pdf", f"{certificate.number}.pdf")


@login_required
def mine_credential(request: HttpRequest, code) -> HttpResponse:
    certificate = _own_held(request, code)
    body = json.dumps(certificate.credential, ensure_ascii=False, indent=2).encode()
    return _attachment(body, "application/json", f"{certificate.number}.credential.json")


# The certificate office --------------------------------------------------------------------------------------------


@roles_required(*OFFICE)
def office(request: HttpRequest) -> HttpResponse:
    name = request.GET.get("queue", "pending")
    if name not in selectors.QUEUES:
        name = "pending"
    search = request.GET.get("q", "")[:60]
    return render(request, "credentials/office.html", {
        "queue": name, "rows": selectors.queue(name, search=search), "counts": selectors.queue_counts(),
        "search": search, "carriers": credentials_policy().carriers, "queues": selectors.QUEUES,
        "sessions": selectors.session_codes_with_certificates(),
        "batches": PdfBatch.objects.order_by("-created_at")[:10],
    })


@require_POST
@roles_required(*OFFICE)
def office_act(request: HttpRequest) -> HttpResponse:
    action = request.POST.get("action", "")
    codes = request.POST.getlist("certificate")
    back = request.POST.get("back") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        back = reverse("credentials:office")
    try:
        if action == "issue":
            done = services.certificates_issue(codes=codes, actor=request.user)
            messages.success(request, ngettext("%(n)s certificate issued.", "%(n)s certificates issued.",
                                               len(done)) % {"n": len(done)})
        elif action == "print":
            done = services.certificates_mark_printed(codes=codes, actor=request.user)
            messages.success(request, ngettext("%(n)s certificate marked printed.",
                                               "%(n)s certificates marked printed.", len(done)) % {"n": len(done)})
        elif action == "print_file":
            chosen = [selectors.certificate_for_office(c) for c in dict.fromkeys(codes)]
            if not chosen or any(c.state not in rules.HELD_STATES for c in chosen):
                raise DomainError(_("Choose certificates that are issued and not revoked to print."))
            content = printing.print_file(chosen, actor=request.user)
            return _attachment(content, "application/pdf", "certificates-print.pdf")
        elif action == "mail":
            rows = [(c, request.POST.get(f"carrier-{c}", ""), request.POST.get(f"tracking-{c}", "").strip())
                    for c in codes]
            done = services.certificates_mail(rows=rows, actor=request.user)
            messages.success(request, ngettext("%(n)s certificate marked mailed.",
                                               "%(n)s certificates marked mailed.", len(done)) % {"n": len(done)})
        elif action == "batch":
            services_batch = printing.pdf_batch_start(session_code=request.POST.get("session", ""),
                                                      actor=request.user)
            messages.success(request, _("PDF batch started for session %(session)s.")
                             % {"session": services_batch.session_code})
        else:
            raise DomainError(_("Unknown action."))
    except NotFound:
        raise Http404 from None
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(back)


@roles_required(*OFFICE)
def office_detail(request: HttpRequest, code) -> HttpResponse:
    try:
        certificate = selectors.certificate_for_office(code)
    except NotFound:
        raise Http404 from None
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "revoke":
                services.certificate_revoke(code=certificate.code, reason=request.POST.get("reason", ""),
                                            actor=request.user)
                messages.success(request, _("Certificate revoked."))
            elif action == "reissue":
                new = services.certificate_reissue(code=certificate.code, reason=request.POST.get("reason", ""),
                                                   actor=request.user)
                messages.success(request, _("Reissued as %(number)s.") % {"number": new.number})
                return redirect("credentials:office_detail", code=new.code)
            elif action == "delivered":
                services.certificate_mark_delivered(code=certificate.code, actor=request.user)
                messages.success(request, _("Marked delivered."))
            else:
                raise DomainError(_("Unknown action."))
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("credentials:office_detail", code=certificate.code)
    windows = selectors.window_days([certificate.program_code])[certificate.program_code]
    return render(request, "credentials/office_detail.html", {
        "certificate": certificate, "events": audit_events(target=certificate),
        "window": windows, "policy": credentials_policy(),
        "program_name": catalog.program_name(certificate.program_code),
        "carrier": credentials_policy().carrier(certificate.carrier) if certificate.carrier else None,
    })


@roles_required(*OFFICE)
def office_batch(request: HttpRequest, code) -> HttpResponse:
    batch = get_object_or_404(PdfBatch, code=code)
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"status": batch.status, "done": batch.done, "total": batch.total})
    return render(request, "credentials/office_batch.html", {"batch": batch})
