"""Talent writes: employer applications and their review, a holder's profile and consent, holdings kept in step
with credentials, contact requests, deletion. Every change is audited; the audit keeps no personal content."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy

from aigcert.accounts import api as accounts
from aigcert.core.api import DomainError, NotFound, audit_record, notify, now
from aigcert.credentials import api as credentials
from aigcert.talent import rules, selectors
from aigcert.talent.models import ContactRequest, Employer, TalentConsent, TalentHolding, TalentProfile, TalentSkill
from aigcert.talent.policy import consent_text, regions, talent_policy

# -- employers ----------------------------------------------------------------------------------------------------


def employer_apply(*, user, organization_name: str, credit_code: str, contact_person: str) -> Employer:
    """Ask to search the talent database for an organization; staff check it before any search is possible."""
    policy = talent_policy()
    organization_name, contact_person = organization_name.strip(), contact_person.strip()
    code = rules.uscc_normalize(credit_code)
    if not organization_name or len(organization_name) > policy.organization_max_chars:
        raise DomainError(gettext_lazy("Enter the organization's registered name (at most %(n)s characters).")
                          % {"n": policy.organization_max_chars}, field="organization_name")
    if not rules.uscc_valid(code):
        raise DomainError(gettext_lazy("This is not a valid unified social credit code: check its 18 characters."),
                          field="credit_code")
    if not contact_person or len(contact_person) > 60:
        raise DomainError(gettext_lazy("Enter the contact person's name."), field="contact_person")
    with transaction.atomic():
        employer = Employer.objects.select_for_update().filter(user=user).first()
        if employer is not None and employer.status == Employer.Status.VERIFIED:
            raise DomainError(gettext_lazy("Your organization is already verified."))
        if employer is None:
            employer = Employer(user=user)
        employer.organization_name, employer.credit_code, employer.contact_person = (
            organization_name, code, contact_person)
        employer.status, employer.reviewed_by, employer.reviewed_at, employer.reason = (
            Employer.Status.PENDING, None, None, "")
        employer.save()
        audit_record(actor=user, action="talent.employer_applied", target=employer,
                     data={"organization": organization_name, "credit_code": code})
    return employer


def employer_review(*, employer: Employer, actor, verify: bool, reason: str = "") -> Employer:
    """Verify an employer (and give its account the employer role) or reject it with a reason. A verified employer
    can be rejected later: its searches stop at once, as search needs both the role and a verified record."""
    reason = reason.strip()
    if not verify and not reason:
        raise DomainError(gettext_lazy("Give the reason for rejecting the application."), field="reason")
    if len(reason) > 300:
        raise DomainError(gettext_lazy("The reason is longer than 300 characters."), field="reason")
    with transaction.atomic():
        employer = Employer.objects.select_for_update(of=("self",)).select_related("user").get(pk=employer.pk)
        target = Employer.Status.VERIFIED if verify else Employer.Status.REJECTED
        if employer.status == target:
            raise DomainError(gettext_lazy("The application has already been decided that way."))
        before = employer.status
        employer.status, employer.reviewed_by, employer.reviewed_at, employer.reason = (
            target, actor, now(), "" if verify else reason)
        employer.save()
        if verify:
            accounts.role_grant(user=employer.user, role=accounts.Role.EMPLOYER, actor=actor)
        audit_record(actor=actor, action="talent.employer_verified" if verify else "talent.employer_rejected",
                     target=employer, data={"before": before, "reason": employer.reason})
        user = employer.user
        if verify:
            subject = gettext_lazy("Your organization is verified")
            body = gettext_lazy("%(organization)s may now search the talent database.")
        else:
            subject = gettext_lazy("Your employer application was not accepted")
            body = gettext_lazy("%(organization)s: %(reason)s")
        notify(user_id=user.pk, language=user.language, email=user.email, kind="talent", subject=subject, body=body,
               params={"organization": employer.organization_name, "reason": employer.reason},
               link=reverse("talent:employer_apply"))
    return employer


# -- holdings -----------------------------------------------------------------------------------------------------


def _display_name(user, shown: str) -> str:
    found = accounts.profile_legal_name_and_id(user)
    legal_name = found[0] if found else ""
    return rules.display_name(legal_name, shown) if legal_name else ""


def _holdings_apply(profile: TalentProfile, held: list[credentials.HoldingData]) -> bool:
    """Make the profile's copy of its holder's programs match `held`; drop skills of programs no longer held.
    Whether anything changed."""
    wanted: dict[str, credentials.HoldingData] = {}
    for holding in held:  # a program held twice (a replacement's successor): the higher level, the later date
        current = wanted.get(holding.program_code)
        if current is None or ((holding.issued_on or date.min), holding.level_rank) > (
                (current.issued_on or date.min), current.level_rank):
            wanted[holding.program_code] = holding
    existing = {h.program_code: h for h in profile.holdings.all()}
    changed = False
    gone = set(existing) - set(wanted)
    if gone:
        TalentHolding.objects.filter(profile=profile, program_code__in=gone).delete()
        changed = True
    for code, holding in wanted.items():
        fields = {"series_code": holding.series_code, "direction_code": holding.direction_code or "",
                  "level_rank": holding.level_rank, "issued_on": holding.issued_on}
        row = existing.get(code)
        if row is None:
            TalentHolding.objects.create(profile=profile, program_code=code, **fields)
            changed = True
        elif any(getattr(row, k) != v for k, v in fields.items()):
            TalentHolding.objects.filter(pk=row.pk).update(**fields)
            changed = True
    if TalentSkill.objects.filter(profile=profile).exclude(program_code__in=list(wanted)).delete()[0]:
        changed = True
    return changed


def holdings_sync(*, user_id: int) -> TalentProfile | None:
    """Refresh a profile's programs from the certificates its holder holds now (idempotent). A holder who holds
    nothing any more stays out of search until they hold a certificate again."""
    with transaction.atomic():
        profile = (TalentProfile.objects.select_for_update(of=("self",)).filter(user_id=user_id)
                   .select_related("user").first())
        if profile is None:
            return None
        if _holdings_apply(profile, credentials.holdings_of(user_id)):
            audit_record(actor=None, action="talent.holdings_synced", target=profile,
                         data={"programs": sorted(profile.holdings.values_list("program_code", flat=True))})
        name = _display_name(profile.user, profile.name_shown)
        if name and name != profile.display_name:
            profile.display_name = name
            profile.save(update_fields=["display_name", "updated_at"])
    return profile


def on_certificate_changed(payload: dict) -> None:
    """Outbox listener for credentials' CERTIFICATE_CHANGED (issued, revoked, replaced)."""
    user_id = payload.get("user_id")
    if user_id is not None:
        holdings_sync(user_id=int(user_id))


# -- the holder's profile -------------------------------------------------------------------------------------------


def _links_clean(links: list[str]) -> list[str]:
    policy = talent_policy()
    cleaned = [link.strip() for link in links if link and link.strip()]
    if len(cleaned) > policy.links_max:
        raise DomainError(gettext_lazy("At most %(n)s portfolio links.") % {"n": policy.links_max}, field="links")
    for link in cleaned:
        if not rules.link_valid(link, max_chars=policy.link_max_chars):
            raise DomainError(gettext_lazy("Portfolio links must be complete https:// addresses of a public site "
                                           "(at most %(n)s characters).") % {"n": policy.link_max_chars},
                              field="links")
    return list(dict.fromkeys(cleaned))


def profile_save(*, user, region: str, bio: str, links: list[str], skills: list[str], name_shown: str,
                 consent: bool) -> TalentProfile:
    """Create or update the holder's profile. Opting in (or back in) needs the consent box ticked, and records the
    consent with the version of its text."""
    policy = talent_policy()
    held = credentials.holdings_of(user.pk)
    if not held:
        raise DomainError(gettext_lazy("Only holders of a certificate can join the talent database."))
    if region not in regions():
        raise DomainError(gettext_lazy("Choose your region."), field="region")
    bio = (bio or "").strip()
    if len(bio) > policy.bio_max_chars:
        raise DomainError(gettext_lazy("The introduction is longer than %(n)s characters.")
                          % {"n": policy.bio_max_chars}, field="bio")
    links = _links_clean(links)
    if name_shown not in TalentProfile.NameShown.values:
        raise DomainError(gettext_lazy("Choose how your name is shown."), field="name_shown")
    chosen = set(skills)
    allowed = selectors.skill_keys({h.program_code for h in held})
    if rules.skills_outside(chosen, allowed):
        raise DomainError(gettext_lazy("Skills can only be chosen from the standards of the programs you hold."),
                          field="skills")
    name = _display_name(user, name_shown)
    if not name:
        raise DomainError(gettext_lazy("Complete your real-name profile first: employers see your name as it is "
                                       "on your certificate."))
    with transaction.atomic():
        profile = TalentProfile.objects.select_for_update().filter(user=user).first()
        joining = profile is None or not profile.consent_active
        if joining and not consent:
            raise DomainError(gettext_lazy("Tick the consent box to join the talent database."), field="consent")
        if profile is None:
            profile = TalentProfile(user=user)
        profile.region, profile.bio, profile.links, profile.name_shown, profile.display_name = (
            region, bio, links, name_shown, name)
        moment = now()
        if joining:
            version = consent_text().version
            profile.consent_version, profile.consented_at, profile.withdrawn_at = version, moment, None
        profile.save()
        if joining:
            TalentConsent.objects.create(profile=profile, version=profile.consent_version, given_at=moment)
            audit_record(actor=user, action="talent.consent_given", target=profile,
                         data={"version": profile.consent_version})
        TalentSkill.objects.filter(profile=profile).delete()
        TalentSkill.objects.bulk_create([TalentSkill(profile=profile, program_code=p, item_code=i)
                                         for p, i in (rules.skill_split(k) for k in sorted(chosen))])
        # Read again under the lock: a revocation synced since the check above must not be undone by this save.
        _holdings_apply(profile, credentials.holdings_of(user.pk))
        audit_record(actor=user, action="talent.profile_saved", target=profile,
                     data={"skills": len(chosen), "links": len(links), "bio_chars": len(bio),
                           "name_shown": name_shown})
    return profile


def _close_open_requests(profile: TalentProfile) -> int:
    return ContactRequest.objects.filter(profile=profile, state=rules.OPEN).update(
        state=rules.CLOSED, answered_at=now(), updated_at=now())


def consent_withdraw(*, user) -> TalentProfile:
    """Take the profile out of the talent database at once; open contact requests are closed."""
    with transaction.atomic():
        profile = TalentProfile.objects.select_for_update().filter(user=user).first()
        if profile is None or not profile.consent_active:
            raise DomainError(gettext_lazy("You are not in the talent database."))
        moment = now()
        profile.withdrawn_at = moment
        profile.save(update_fields=["withdrawn_at", "updated_at"])
        TalentConsent.objects.filter(profile=profile, withdrawn_at__isnull=True).update(withdrawn_at=moment)
        closed = _close_open_requests(profile)
        audit_record(actor=user, action="talent.consent_withdrawn", target=profile,
                     data={"version": profile.consent_version, "requests_closed": closed})
    return profile


def profile_delete(*, user) -> int:
    """Delete the profile, its consents, programs and skills. Contact requests stay with their employers without
    anything of the holder (no profile, no reply). Returns how many requests were emptied."""
    with transaction.atomic():
        profile = TalentProfile.objects.select_for_update().filter(user=user).first()
        if profile is None:
            raise DomainError(gettext_lazy("You have no talent profile."))
        requests = ContactRequest.objects.filter(profile=profile)
        _close_open_requests(profile)
        emptied = requests.update(profile=None, reply="", updated_at=now())
        profile_id = profile.pk
        profile.delete()
        audit_record(actor=user, action="talent.profile_deleted", target_type="talent.talentprofile",
                     target_id=str(profile_id), data={"requests_emptied": emptied})
    return emptied


# -- contact requests -----------------------------------------------------------------------------------------------


def contact_request_send(*, employer: Employer, profile_code, position_title: str, message: str) -> ContactRequest:
    policy = talent_policy()
    position_title, message = position_title.strip(), message.strip()
    if not position_title or len(position_title) > policy.position_max_chars:
        raise DomainError(gettext_lazy("Enter the position's title (at most %(n)s characters).")
                          % {"n": policy.position_max_chars}, field="position_title")
    if not message or len(message) > policy.message_max_chars:
        raise DomainError(gettext_lazy("Write a message of at most %(n)s characters.")
                          % {"n": policy.message_max_chars}, field="message")
    with transaction.atomic():
        profile = selectors.searchable_profiles().select_for_update().filter(code=profile_code).first()
        if profile is None or employer.status != Employer.Status.VERIFIED:
            raise NotFound()
        if ContactRequest.objects.filter(employer=employer, profile=profile, state=rules.OPEN).exists():
            raise DomainError(gettext_lazy("You already have a request to this person waiting for an answer."))
        try:
            with transaction.atomic():
                request = ContactRequest.objects.create(employer=employer, profile=profile,
                                                        position_title=position_title, message=message)
        except IntegrityError:  # the same request sent twice at once
            raise DomainError(gettext_lazy("You already have a request to this person waiting for an answer.")
                              ) from None
        audit_record(actor=employer.user, action="talent.request_sent", target=request,
                     data={"employer": employer.pk, "profile": profile.pk})
        holder = profile.user
        notify(user_id=holder.pk, language=holder.language, email=holder.email, kind="talent",
               subject=gettext_lazy("An employer would like to contact you"),
               body=gettext_lazy("%(organization)s, about the position “%(position)s”. Accept or decline the "
                                 "request in your talent profile."),
               params={"organization": employer.organization_name, "position": position_title},
               link=reverse("talent:me_request", args=[request.code]))
    return request


def contact_request_answer(*, user, request_code, accept: bool, reply: str = "") -> ContactRequest:
    """The holder accepts or declines; the reply (optional) is all of them the employer sees."""
    policy = talent_policy()
    reply = (reply or "").strip()
    if len(reply) > policy.reply_max_chars:
        raise DomainError(gettext_lazy("The reply is longer than %(n)s characters.") % {"n": policy.reply_max_chars},
                          field="reply")
    with transaction.atomic():
        request = (selectors.holder_requests(user).select_for_update(of=("self",))
                   .select_related("employer__user").filter(code=request_code).first())
        if request is None:
            raise NotFound()
        if not rules.can_answer(request.state):
            raise DomainError(gettext_lazy("This request has already been answered."))
        request.state = rules.ACCEPTED if accept else rules.DECLINED
        request.reply, request.answered_at = reply, now()
        request.save(update_fields=["state", "reply", "answered_at", "updated_at"])
        audit_record(actor=user, action="talent.request_accepted" if accept else "talent.request_declined",
                     target=request, data={"employer": request.employer_id, "reply_chars": len(reply)})
        employer_user = request.employer.user
        notify(user_id=employer_user.pk, language=employer_user.language, email=employer_user.email, kind="talent",
               subject=gettext_lazy("Your contact request was accepted") if accept
               else gettext_lazy("Your contact request was declined"),
               body=gettext_lazy("About the position “%(position)s”."), params={"position": request.position_title},
               link=reverse("talent:request", args=[request.code]))
    return request


# -- demo -----------------------------------------------------------------------------------------------------------

DEMO_CREDIT_CODE = "91350100M000100Y43"


def demo_talent_load(*, holder, employer_user, staff) -> TalentProfile | None:
    """The demo employer verified, and the demo holder opted in when they hold a certificate. Safe to re-run."""
    employer = Employer.objects.filter(user=employer_user).first()
    if employer is None or employer.status != Employer.Status.VERIFIED:
        employer = employer_apply(user=employer_user, organization_name="演示科技有限公司",
                                  credit_code=DEMO_CREDIT_CODE, contact_person="王经理")
        employer_review(employer=employer, actor=staff, verify=True)
    held = credentials.holdings_of(holder.pk)
    if not held:
        return None
    existing = TalentProfile.objects.filter(user=holder).first()
    if existing is not None and existing.consent_active:
        return holdings_sync(user_id=holder.pk)
    skills = sorted(selectors.skill_keys({held[0].program_code}))[:3]
    try:
        return profile_save(user=holder, region="11", bio="擅长用AIGC工具完成海报和短视频的创意设计。",
                            links=["https://portfolio.example.com/demo"], skills=skills,
                            name_shown=rules.NAME_MASKED, consent=True)
    except DomainError:  # no real-name profile: the demo holder stays out
        return None
