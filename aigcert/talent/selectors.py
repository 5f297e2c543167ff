"""Talent reads: what employers may find (only consenting holders who hold a certificate), the filters' choices,
a holder's own profile and requests, an employer's own requests, and a holder's data export. Fetches answer None
for both missing and not-yours."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, QuerySet

from aigcert.catalog import api as catalog
from aigcert.core.api import NotFound
from aigcert.talent import rules
from aigcert.talent.models import ContactRequest, Employer, TalentHolding, TalentProfile, TalentSkill
from aigcert.talent.policy import english, region_name


def searchable_profiles() -> QuerySet[TalentProfile]:
    """Profiles employers may find right now: consent given and not withdrawn, and a certificate held. Read from
    the database on every request (no cache), so a withdrawal takes effect on the very next one."""
    return TalentProfile.objects.filter(
        consented_at__isnull=False, withdrawn_at__isnull=True,
    ).filter(Exists(TalentHolding.objects.filter(profile=OuterRef("pk"))))


def verified_employer(user) -> Employer | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Employer.objects.filter(user=user, status=Employer.Status.VERIFIED).select_related("user").first()


def employer_of(user) -> Employer | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Employer.objects.filter(user=user).first()


def employers_for_review() -> list[Employer]:
    pending = list(Employer.objects.filter(status=Employer.Status.PENDING).order_by("created_at")
                   .select_related("user"))
    decided = list(Employer.objects.exclude(status=Employer.Status.PENDING).order_by("-reviewed_at")
                   .select_related("user", "reviewed_by")[:100])
    return pending + decided


def employer_by_code(code) -> Employer | None:
    return Employer.objects.filter(code=code).first()


# -- programs and skills ---------------------------------------------------------------------------------------------


def programs_by_code(codes=None) -> dict[str, catalog.ProgramData]:
    """The catalog's programs (those open, plus any of `codes` that no longer are), by code."""
    found = {p.code: p for p in catalog.program_list_open()}
    for code in set(codes or ()) - set(found):
        try:
            found[code] = catalog.program_get(code)
        except NotFound:
            continue
    return found


def skill_keys(program_codes) -> set[str]:
    return {rules.skill_key(code, item.code) for code in program_codes for item in catalog.standard_items(code)}


@dataclass
class SkillGroup:
    program_code: str
    program_name: str
    options: list[tuple[str, str]] = field(default_factory=list)  # (key, "A1.1 text")


def skill_groups(program_codes, programs: dict[str, catalog.ProgramData] | None = None) -> list[SkillGroup]:
    programs = programs if programs is not None else programs_by_code(program_codes)
    groups = []
    for code in sorted(program_codes, key=lambda c: (programs[c].name if c in programs else c)):
        group = SkillGroup(program_code=code, program_name=programs[code].name if code in programs else code)
        for item in catalog.standard_items(code):
            group.options.append((rules.skill_key(code, item.code), f"{item.code} {item.text}"))
        if group.options:
            groups.append(group)
    return groups


def skill_labels(keys, programs: dict[str, catalog.ProgramData]) -> dict[str, str]:
    labels = {}
    for code in {k.split(":", 1)[0] for k in keys}:
        for item in catalog.standard_items(code):
            labels[rules.skill_key(code, item.code)] = item.text
    return labels


@dataclass(frozen=True)
class SearchChoices:
    programs: list[tuple[str, str]]
    levels: list[tuple[str, str]]  # ("series:rank", "专业级 or above")
    directions: list[tuple[str, str]]
    skills: list[SkillGroup]


def search_choices(level_label) -> SearchChoices:
    """The filters an employer can use, from the catalog. `level_label` words a level as "this or above"."""
    programs = programs_by_code()
    ordered = sorted(programs.values(), key=lambda p: (p.series_code, p.level_rank, p.code))
    levels: dict[str, str] = {}
    ranks_per_series: dict[str, set[int]] = {}
    for p in ordered:
        ranks_per_series.setdefault(p.series_code, set()).add(p.level_rank)
    for p in ordered:
        if len(ranks_per_series[p.series_code]) > 1 and not p.direction_code:
            levels.setdefault(f"{p.series_code}:{p.level_rank}", str(level_label) % {"level": p.level})
    directions: dict[str, str] = {}
    for p in ordered:
        if p.direction_code and p.direction_code not in directions:
            facts = catalog.certificate_facts(p.code)
            directions[p.direction_code] = facts.direction_en if english() else facts.direction_zh
    return SearchChoices(programs=[(p.code, p.name) for p in ordered], levels=list(levels.items()),
                         directions=list(directions.items()), skills=skill_groups(list(programs), programs))


@dataclass(frozen=True)
class SearchFilters:
    program: str = ""
    level: str = ""  # "series:rank": that level of the series or above
    direction: str = ""
    region: str = ""
    skills: tuple[str, ...] = ()


def search(filters: SearchFilters) -> QuerySet[TalentProfile]:
    profiles = searchable_profiles()
    if filters.program:
        profiles = profiles.filter(Exists(TalentHolding.objects.filter(profile=OuterRef("pk"),
                                                                       program_code=filters.program)))
    if filters.level:
        series, _sep, rank = filters.level.partition(":")
        if rank.isdigit():
            profiles = profiles.filter(Exists(TalentHolding.objects.filter(
                profile=OuterRef("pk"), series_code=series, level_rank__gte=int(rank))))
    if filters.direction:
        profiles = profiles.filter(Exists(TalentHolding.objects.filter(profile=OuterRef("pk"),
                                                                       direction_code=filters.direction)))
    if filters.region:
        profiles = profiles.filter(region=filters.region)
    for key in filters.skills:  # every skill asked for
        split = rules.skill_split(key)
        if split:
            profiles = profiles.filter(Exists(TalentSkill.objects.filter(
                profile=OuterRef("pk"), program_code=split[0], item_code=split[1])))
    return profiles.order_by("-consented_at", "-id").prefetch_related("holdings", "skills")


@dataclass(frozen=True)
class HeldRow:
    program_code: str
    program_name: str
    level: str


@dataclass(frozen=True)
class ProfileCard:
    """A profile as an employer sees it: never a phone, e-mail, ID number, address or certificate number."""

    code: str
    display_name: str
    region: str
    held: tuple[HeldRow, ...]
    skills: tuple[str, ...]
    bio: str
    links: tuple[str, ...]


def cards(profiles) -> list[ProfileCard]:
    profiles = list(profiles)
    codes = {h.program_code for p in profiles for h in p.holdings.all()}
    programs = programs_by_code(codes)
    keys = [s.key for p in profiles for s in p.skills.all()]
    labels = skill_labels(keys, programs)
    found = []
    for profile in profiles:
        held = tuple(HeldRow(program_code=h.program_code,
                             program_name=programs[h.program_code].name if h.program_code in programs
                             else h.program_code,
                             level=programs[h.program_code].level if h.program_code in programs else "")
                     for h in profile.holdings.all())
        found.append(ProfileCard(code=str(profile.code), display_name=profile.display_name,
                                 region=region_name(profile.region), held=held,
                                 skills=tuple(labels.get(s.key, s.key) for s in profile.skills.all()),
                                 bio=profile.bio, links=tuple(profile.links)))
    return found


def profile_for_employer(code) -> TalentProfile | None:
    return searchable_profiles().filter(code=code).prefetch_related("holdings", "skills").first()


# -- the holder's side -----------------------------------------------------------------------------------------------


def own_profile(user) -> TalentProfile | None:
    return TalentProfile.objects.filter(user=user).prefetch_related("holdings", "skills").first()


def holder_requests(user) -> QuerySet[ContactRequest]:
    return ContactRequest.objects.filter(profile__user=user)


def holder_request(user, code) -> ContactRequest | None:
    return holder_requests(user).filter(code=code).select_related("employer").first()


def employer_requests(employer: Employer) -> QuerySet[ContactRequest]:
    return ContactRequest.objects.filter(employer=employer).select_related("profile")


def employer_request(employer: Employer, code) -> ContactRequest | None:
    return employer_requests(employer).filter(code=code).first()


def holder_export(user) -> dict:
    """Everything the talent database keeps about this holder, for their own download."""
    profile = TalentProfile.objects.filter(user=user).first()
    data: dict = {"profile": None, "consents": [], "programs_held": [], "skills": [], "contact_requests": []}
    if profile is None:
        return data
    data["profile"] = {"display_name": profile.display_name, "name_shown": profile.name_shown,
                       "region": profile.region, "region_name": region_name(profile.region), "bio": profile.bio,
                       "links": list(profile.links), "consent_version": profile.consent_version,
                       "consented_at": profile.consented_at, "withdrawn_at": profile.withdrawn_at,
                       "created_at": profile.created_at, "updated_at": profile.updated_at}
    data["consents"] = [{"version": c.version, "given_at": c.given_at, "withdrawn_at": c.withdrawn_at}
                        for c in profile.consents.all()]
    data["programs_held"] = [{"program": h.program_code, "level_rank": h.level_rank, "issued_on": h.issued_on}
                             for h in profile.holdings.all()]
    data["skills"] = [s.key for s in profile.skills.all()]
    data["contact_requests"] = [
        {"employer": r.employer.organization_name, "position": r.position_title, "message": r.message,
         "state": r.state, "reply": r.reply, "sent_at": r.created_at, "answered_at": r.answered_at}
        for r in ContactRequest.objects.filter(profile=profile).select_related("employer").order_by("created_at")]
    return data


def open_request_count(user) -> int:
    return holder_requests(user).filter(state=rules.OPEN).count()
