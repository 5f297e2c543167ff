"""Marking reads: progress per item and session, each marker's agreement with gold scripts and with peers, the AI
check's agreement with the final marks, and the chief marker's queues."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q

from aigcert.accounts import api as accounts
from aigcert.marking import rules
from aigcert.marking.models import Mark, MarkerStop, MarkingItem, Recheck, Script
from aigcert.marking.policy import marking_policy
from aigcert.scoring import api as scoring


@dataclass(frozen=True)
class ItemProgress:
    item: MarkingItem
    scripts: int
    done: int
    third: int
    chief: int
    flagged: int
    golds: int

    @property
    def percent(self) -> int:
        return int(self.done * 100 / self.scripts) if self.scripts else 100


def items_progress(session_code: str | None = None) -> list[ItemProgress]:
    items = MarkingItem.objects.all() if session_code is None else MarkingItem.objects.filter(
        session_code=session_code)
    items = items.annotate(
        n=Count("scripts", filter=Q(scripts__is_gold=False)),
        n_done=Count("scripts", filter=Q(scripts__is_gold=False, scripts__state=Script.State.DONE)),
        n_third=Count("scripts", filter=Q(scripts__state=Script.State.THIRD)),
        n_chief=Count("scripts", filter=Q(scripts__state=Script.State.CHIEF)),
        n_flagged=Count("scripts", filter=Q(scripts__injection=True, scripts__is_gold=False)),
        n_gold=Count("scripts", filter=Q(scripts__is_gold=True)),
    ).order_by("-created_at", "item_code")
    return [ItemProgress(i, i.n, i.n_done, i.n_third, i.n_chief, i.n_flagged, i.n_gold) for i in items]


@dataclass(frozen=True)
class SessionProgress:
    session_code: str
    program_code: str
    items: int
    scripts: int
    done: int

    @property
    def percent(self) -> int:
        return int(self.done * 100 / self.scripts) if self.scripts else 100


def sessions_progress() -> list[SessionProgress]:
    totals: dict[str, list] = {}
    for p in items_progress():
        entry = totals.setdefault(p.item.session_code, [p.item.program_code, 0, 0, 0])
        entry[1] += 1
        entry[2] += p.scripts
        entry[3] += p.done
    return [SessionProgress(code, *values) for code, values in totals.items()]


@dataclass(frozen=True)
class MarkerLine:
    marker_id: int
    name: str
    marks: int
    held: int
    gold: rules.Agreement
    peers: rules.Agreement
    drifting: bool
    stopped: bool


def marker_lines(session_code: str) -> list[MarkerLine]:
    """Each marker's work on the session: marks given, agreement with gold scripts' known totals and with the
    other marker of the same scripts (exact, within one point, quadratic weighted kappa)."""
    marks = list(Mark.objects.filter(script__item__session_code=session_code)
                 .exclude(round__in=[Mark.Round.CHIEF, Mark.Round.RECHECK])
                 .select_related("script", "script__item").order_by("pk"))
    by_script: dict[int, list[Mark]] = defaultdict(list)
    for m in marks:
        if m.state == Mark.State.SUBMITTED and m.round != Mark.Round.GOLD:
            by_script[m.script_id].append(m)
    gold_pairs: dict[int, list] = defaultdict(list)
    peer_pairs: dict[int, list] = defaultdict(list)
    counts: dict[int, int] = defaultdict(int)
    held: dict[int, int] = defaultdict(int)
    maximum = max((m.script.item.max_points for m in marks), default=Decimal(0))
    for m in marks:
        if m.state == Mark.State.TAKEN:
            held[m.marker_id] += 1
        if m.state != Mark.State.SUBMITTED:
            continue
        if m.round == Mark.Round.GOLD:
            gold_pairs[m.marker_id].append((m.total, m.script.gold_total))
            continue
        counts[m.marker_id] += 1
        for other in by_script[m.script_id]:
            if other.pk != m.pk:
                peer_pairs[m.marker_id].append((m.total, other.total))
    stopped = set(MarkerStop.objects.filter(session_code=session_code, lifted_at__isnull=True)
                  .values_list("marker_id", flat=True))
    ids = sorted(set(counts) | set(gold_pairs) | set(held) | stopped)
    names = accounts.legal_names(ids)
    program = MarkingItem.objects.filter(session_code=session_code).values_list("program_code", flat=True).first()
    policy = marking_policy(program or "")
    lines = []
    for marker_id in ids:
        gold = rules.agreement(gold_pairs[marker_id], maximum)
        lines.append(MarkerLine(marker_id, names.get(marker_id) or f"#{marker_id}", counts[marker_id],
                                held[marker_id], gold, rules.agreement(peer_pairs[marker_id], maximum),
                                rules.drifting(gold, min_pairs=policy.drift_min_golds,
                                               min_adjacent=policy.drift_min_adjacent),
                                marker_id in stopped))
    return lines


def ai_agreement(session_code: str) -> list[tuple[MarkingItem, rules.Agreement]]:
    """Per item: how the AI check's totals agreed with the final human marks (scripts it could check)."""
    result = []
    for item in MarkingItem.objects.filter(session_code=session_code).order_by("item_code"):
        pairs = []
        for ai, final in item.scripts.filter(is_gold=False, state=Script.State.DONE, ai__isnull=False) \
                .values_list("ai", "final_total"):
            if isinstance(ai, dict) and ai.get("usable") and "total" in ai:
                pairs.append((Decimal(str(ai["total"])), final))
        result.append((item, rules.agreement(pairs, item.max_points)))
    return result


def scripts_waiting_for_chief(session_code: str) -> list[Script]:
    return list(Script.objects.filter(item__session_code=session_code, state=Script.State.CHIEF)
                .select_related("item").prefetch_related("marks"))


def scripts_flagged(session_code: str) -> list[Script]:
    return list(Script.objects.filter(item__session_code=session_code, injection=True, is_gold=False)
                .select_related("item"))


def rechecks_open() -> list[Recheck]:
    return list(Recheck.objects.filter(state=Recheck.State.OPEN).order_by("created_at"))


def recheck_scripts(recheck: Recheck) -> list[Script]:
    return list(Script.objects.filter(attempt_code=recheck.attempt_code, is_gold=False).select_related("item")
                .prefetch_related("marks").order_by("item__item_code"))


def session_finals(session_code: str) -> dict[str, dict[str, tuple[Decimal | None, list]]]:
    """attempt code → slot → (the final mark in the paper's points, None while not final; per-criterion marks)."""
    finals: dict[str, dict[str, tuple[Decimal | None, list]]] = defaultdict(dict)
    rows = (Script.objects.filter(item__session_code=session_code, is_gold=False)
            .values_list("attempt_code", "slot", "final_total", "slot_points", "item__max_points", "final_criteria"))
    for attempt, slot, final, slot_points, item_points, criteria in rows:
        scaled = None
        if final is not None:
            scaled = scoring.scaled(final, item_points=item_points, slot_points=slot_points)
        finals[attempt][slot] = (scaled, criteria or [])
    return dict(finals)


# ── lookups for the pages ────────────────────────────────────────────────────────────────────────────────────
def marks_held(marker) -> list[Mark]:
    """The scripts a marker holds now (not arbitration or re-checks, which are the chief's own work)."""
    return list(Mark.objects.filter(marker=marker, state=Mark.State.TAKEN)
                .exclude(round__in=[Mark.Round.CHIEF, Mark.Round.RECHECK]).select_related("script__item"))


def script_for(code, user, *, chief: bool) -> Script | None:
    """A script the user may open: any for a chief marker; for a marker, one they hold or marked. None for the
    rest, so that missing and forbidden look the same."""
    script = Script.objects.filter(code=code).select_related("item").first()
    if script is None or chief:
        return script
    if not script.marks.filter(marker=user).exclude(state=Mark.State.RELEASED).exists():
        return None
    return script


def holding(script: Script, user) -> bool:
    return script.marks.filter(marker=user, state=Mark.State.TAKEN).exists()


def submitted_marks(script: Script) -> list[Mark]:
    return list(script.marks.filter(state=Mark.State.SUBMITTED).order_by("submitted_at"))


def item_by_code(code) -> MarkingItem | None:
    return MarkingItem.objects.filter(code=code).first()


def recheck_by_code(code) -> Recheck | None:
    return Recheck.objects.filter(code=code).first()
