"""An item version's content as plain data: what authors write, importers produce and exporters read.

Pure (no database). ``content_problems`` returns every problem at once, each naming its field, so the staff
form, the xlsx importer (field → column) and the QTI importer report them where the author will look.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from aigcert.itembank import rules
from aigcert.itembank.sanitize import has_image, plain_text

SINGLE_CHOICE = "single_choice"
MULTIPLE_CHOICE = "multiple_choice"
TRUE_FALSE = "true_false"
FILL_IN = "fill_in"
ESSAY = "essay"
WORK_UPLOAD = "work_upload"
PROGRAM = "program"
PROMPT_TASK = "prompt_task"

ITEM_TYPES = (SINGLE_CHOICE, MULTIPLE_CHOICE, TRUE_FALSE, FILL_IN, ESSAY, WORK_UPLOAD, PROGRAM, PROMPT_TASK)
CHOICE_TYPES = frozenset({SINGLE_CHOICE, MULTIPLE_CHOICE})
OBJECTIVE_TYPES = frozenset({SINGLE_CHOICE, MULTIPLE_CHOICE, TRUE_FALSE, FILL_IN})
RUBRIC_TYPES = frozenset({ESSAY, WORK_UPLOAD, PROMPT_TASK})

# How a choice item is scored.
EXACT = "exact"          # all-or-nothing (QTI match_correct)
PARTIAL = "partial"      # 少选得部分分、错选不得分 with partial_credit as the share of points
MAP = "map"              # QTI map_response over the options
SCORING_METHODS = (EXACT, PARTIAL, MAP)

UPLOAD_TYPES = frozenset({
    "png", "jpg", "jpeg", "gif", "webp", "pdf", "mp4", "mov", "webm", "mp3", "wav", "zip", "pptx", "docx",
    "xlsx", "txt", "md", "psd", "svg",
})
MAX_UPLOAD_MB = 2048
BLANK = re.compile(r"\[\[(\d+)\]\]")
OPTION_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass
class Option:
    id: str
    html: str


@dataclass
class Answer:
    text: str
    score: Decimal
    case_sensitive: bool = False


@dataclass
class Blank:
    answers: list[Answer]
    default: Decimal = rules.ZERO
    lower: Decimal | None = None
    upper: Decimal | None = None

    def mapping(self) -> rules.Mapping:
        return rules.Mapping(
            entries=tuple(rules.MapEntry(a.text, a.score, a.case_sensitive) for a in self.answers),
            default=self.default, lower=self.lower, upper=self.upper,
        )

    @property
    def points(self) -> Decimal:
        best = max((a.score for a in self.answers), default=rules.ZERO)
        return min(best, self.upper) if self.upper is not None else best


@dataclass
class Level:
    label: str
    points: Decimal
    description: str = ""


@dataclass
class Criterion:
    name: str
    levels: list[Level]

    @property
    def max_points(self) -> Decimal:
        return max((level.points for level in self.levels), default=rules.ZERO)


@dataclass
class TestCase:
    __test__ = False  # a programming item's test case, not a pytest class

    input: str
    output: str
    points: Decimal


@dataclass
class ItemContent:
    item_type: str
    stem: str
    points: Decimal | None = None
    difficulty: int = 3
    explanation: str = ""
    standards: list[str] = field(default_factory=list)
    source: str = ""
    options: list[Option] = field(default_factory=list)
    key: list[str] = field(default_factory=list)
    scoring: str = EXACT
    partial_credit: Decimal | None = None
    choice_map: rules.Mapping | None = None
    blanks: list[Blank] = field(default_factory=list)
    rubric: list[Criterion] = field(default_factory=list)
    min_words: int | None = None
    max_words: int | None = None
    allowed_types: list[str] = field(default_factory=list)
    max_size_mb: int | None = None
    language: str = "python3"
    starter_code: str = ""
    tests: list[TestCase] = field(default_factory=list)
    time_limit_ms: int | None = None
    memory_limit_mb: int | None = None
    reference_solution: str = ""
    reference_prompt: str = ""
    qualities: list[str] = field(default_factory=list)

    def derived_points(self) -> Decimal | None:
        """Points that follow from the content itself; None where the author sets them."""
        if self.item_type == FILL_IN:
            return sum((b.points for b in self.blanks), rules.ZERO)
        if self.item_type == PROGRAM:
            return sum((t.points for t in self.tests), rules.ZERO)
        if self.item_type in RUBRIC_TYPES and self.rubric:
            return sum((c.max_points for c in self.rubric), rules.ZERO)
        if self.item_type in CHOICE_TYPES and self.scoring == MAP and self.choice_map is not None:
            return self.choice_map.max_score()
        return None

    def settle_points(self) -> None:
        derived = self.derived_points()
        if derived is not None:
            self.points = derived

    # -- storage -------------------------------------------------------------------------------------------
    def details(self) -> dict[str, Any]:
        """The type-specific part, as JSON for the version's ``content`` column."""
        t = self.item_type
        data: dict[str, Any] = {}
        if t in CHOICE_TYPES:
            data["options"] = [{"id": o.id, "html": o.html} for o in self.options]
        if t in CHOICE_TYPES or t == TRUE_FALSE:
            data["key"] = list(self.key)
            data["scoring"] = self.scoring
            if self.scoring == PARTIAL:
                data["partial_credit"] = str(self.partial_credit)
            if self.scoring == MAP and self.choice_map is not None:
                data["map"] = _mapping_json(self.choice_map)
        if t == FILL_IN:
            data["blanks"] = [
                {
                    "answers": [{"text": a.text, "score": str(a.score), "case_sensitive": a.case_sensitive}
                                for a in b.answers],
                    "default": str(b.default),
                    "lower": _opt_str(b.lower),
                    "upper": _opt_str(b.upper),
                }
                for b in self.blanks
            ]
        if t in RUBRIC_TYPES:
            data["rubric"] = [
                {"name": c.name,
                 "levels": [{"label": lv.label, "points": str(lv.points), "description": lv.description}
                            for lv in c.levels]}
                for c in self.rubric
            ]
        if t == ESSAY:
            data["min_words"] = self.min_words
            data["max_words"] = self.max_words
        if t == WORK_UPLOAD:
            data["allowed_types"] = list(self.allowed_types)
            data["max_size_mb"] = self.max_size_mb
        if t == PROGRAM:
            data.update(
                language=self.language, starter_code=self.starter_code, time_limit_ms=self.time_limit_ms,
                memory_limit_mb=self.memory_limit_mb, reference_solution=self.reference_solution,
                tests=[{"input": c.input, "output": c.output, "points": str(c.points)} for c in self.tests],
            )
        if t == PROMPT_TASK:
            data["reference_prompt"] = self.reference_prompt
            data["qualities"] = list(self.qualities)
        return data

    @classmethod
    def from_stored(cls, *, item_type: str, stem: str, points: Decimal, difficulty: int, explanation: str,
                    standards: list[str], source: str, details: dict[str, Any]) -> ItemContent:
        d = details
        content = cls(item_type=item_type, stem=stem, points=points, difficulty=difficulty,
                      explanation=explanation, standards=list(standards), source=source)
        content.options = [Option(o["id"], o["html"]) for o in d.get("options", [])]
        content.key = list(d.get("key", []))
        content.scoring = d.get("scoring", EXACT)
        content.partial_credit = _opt_dec(d.get("partial_credit"))
        content.choice_map = _mapping_from_json(d["map"]) if d.get("map") else None
        content.blanks = [
            Blank(
                answers=[Answer(a["text"], Decimal(a["score"]), a.get("case_sensitive", False))
                         for a in b["answers"]],
                default=Decimal(b.get("default") or "0"), lower=_opt_dec(b.get("lower")),
                upper=_opt_dec(b.get("upper")),
            )
            for b in d.get("blanks", [])
        ]
        content.rubric = [
            Criterion(c["name"], [Level(lv["label"], Decimal(lv["points"]), lv.get("description", ""))
                                  for lv in c["levels"]])
            for c in d.get("rubric", [])
        ]
        content.min_words = d.get("min_words")
        content.max_words = d.get("max_words")
        content.allowed_types = list(d.get("allowed_types", []))
        content.max_size_mb = d.get("max_size_mb")
        content.language = d.get("language", "python3")
        content.starter_code = d.get("starter_code", "")
        content.tests = [TestCase(c["input"], c["output"], Decimal(c["points"])) for c in d.get("tests", [])]
        content.time_limit_ms = d.get("time_limit_ms")
        content.memory_limit_mb = d.get("memory_limit_mb")
        content.reference_solution = d.get("reference_solution", "")
        content.reference_prompt = d.get("reference_prompt", "")
        content.qualities = list(d.get("qualities", []))
        return content


def _opt_str(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _opt_dec(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _mapping_json(mapping: rules.Mapping) -> dict[str, Any]:
    return {
        "entries": [{"key": e.key, "value": str(e.value), "case_sensitive": e.case_sensitive}
                    for e in mapping.entries],
        "default": str(mapping.default), "lower": _opt_str(mapping.lower), "upper": _opt_str(mapping.upper),
    }


def _mapping_from_json(data: dict[str, Any]) -> rules.Mapping:
    return rules.Mapping(
        entries=tuple(rules.MapEntry(e["key"], Decimal(e["value"]), e.get("case_sensitive", True))
                      for e in data["entries"]),
        default=Decimal(data.get("default") or "0"), lower=_opt_dec(data.get("lower")),
        upper=_opt_dec(data.get("upper")),
    )


def parse_decimal(value: Any) -> Decimal | None:
    """A number from a form, a cell or XML; None when it isn't one."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


@dataclass(frozen=True)
class Problem:
    field: str
    message: str


def content_problems(c: ItemContent, *, known_standards: set[str] | None = None) -> list[Problem]:
    """Everything wrong with an item's content, in the active language; empty when it can be saved."""
    problems: list[Problem] = []

    def add(field_name: str, message: str) -> None:
        problems.append(Problem(field_name, message))

    if c.item_type not in ITEM_TYPES:
        add("type", _("Unknown item type “%(type)s”.") % {"type": c.item_type})
        return problems
    if not plain_text(c.stem) and not has_image(c.stem):
        add("stem", _("The stem is empty."))
    if not isinstance(c.difficulty, int) or not 1 <= c.difficulty <= 5:
        add("difficulty", _("Difficulty must be a whole number from 1 to 5."))
    if known_standards is not None:
        unknown = [s for s in c.standards if s not in known_standards]
        if unknown:
            add("standards", _("Not an evaluation-standard item of this program: %(codes)s.")
                % {"codes": ", ".join(unknown)})
    if c.item_type in CHOICE_TYPES:
        _choice_problems(c, add)
    elif c.item_type == TRUE_FALSE:
        if c.key not in (["true"], ["false"]):
            add("key", _("The key of a true/false item must be true or false."))
    elif c.item_type == FILL_IN:
        _fill_in_problems(c, add)
    elif c.item_type == ESSAY:
        if c.min_words is not None and c.min_words < 0:
            add("min_words", _("Word limits cannot be negative."))
        if c.max_words is not None and c.max_words <= 0:
            add("max_words", _("The maximum word count must be greater than 0."))
        if c.min_words is not None and c.max_words is not None and c.min_words > c.max_words:
            add("max_words", _("The maximum word count is smaller than the minimum."))
    elif c.item_type == WORK_UPLOAD:
        bad = [t for t in c.allowed_types if t not in UPLOAD_TYPES]
        if not c.allowed_types:
            add("allowed_types", _("List at least one allowed file type."))
        elif bad:
            add("allowed_types", _("File types not supported: %(types)s.") % {"types": ", ".join(bad)})
        if c.max_size_mb is None or not 1 <= c.max_size_mb <= MAX_UPLOAD_MB:
            add("max_size_mb", _("The maximum file size must be from 1 to %(max)s MB.") % {"max": MAX_UPLOAD_MB})
    elif c.item_type == PROGRAM:
        if not c.tests:
            add("tests", _("A programming item needs at least one test case."))
        for number, case in enumerate(c.tests, start=1):
            if case.points <= 0:
                add("tests", _("Test case %(n)s: points must be greater than 0.") % {"n": number})
        if c.time_limit_ms is None or not 100 <= c.time_limit_ms <= 60000:
            add("time_limit_ms", _("The time limit must be from 100 to 60000 ms."))
        if c.memory_limit_mb is None or not 16 <= c.memory_limit_mb <= 4096:
            add("memory_limit_mb", _("The memory limit must be from 16 to 4096 MB."))
    if c.item_type in RUBRIC_TYPES:
        _rubric_problems(c, add)
    derived = c.derived_points()
    points = derived if derived is not None else c.points
    if points is None or points <= 0:
        add("points", _("Points must be greater than 0."))
    elif derived is not None and c.points is not None and c.points != derived:
        add("points", _("Points are %(given)s but the item's parts add up to %(derived)s.")
            % {"given": _num(c.points), "derived": _num(derived)})
    return problems


def _num(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _choice_problems(c: ItemContent, add) -> None:
    ids = [o.id for o in c.options]
    if len(c.options) < 2:
        add("options", _("A choice item needs at least two options."))
    if len(set(ids)) != len(ids):
        add("options", _("Two options have the same identifier."))
    for number, option in enumerate(c.options, start=1):
        if not plain_text(option.html) and not has_image(option.html):
            add("options", _("Option %(n)s is empty.") % {"n": number})
    missing = [k for k in c.key if k not in ids]
    if missing:
        add("key", _("The key %(keys)s is not among the options.") % {"keys": ", ".join(missing)})
    elif c.item_type == SINGLE_CHOICE and len(c.key) != 1 and c.scoring != MAP:
        add("key", _("A single-choice item has exactly one correct option."))
    elif c.item_type == MULTIPLE_CHOICE and not c.key and c.scoring != MAP:
        add("key", _("Mark at least one correct option."))
    if len(set(c.key)) != len(c.key):
        add("key", _("The key lists an option twice."))
    if c.scoring not in SCORING_METHODS:
        add("scoring", _("Unknown scoring method “%(method)s”.") % {"method": c.scoring})
    elif c.scoring == PARTIAL:
        if c.item_type != MULTIPLE_CHOICE:
            add("scoring", _("Partial credit applies to multiple-choice items only."))
        elif c.partial_credit is None or not rules.ZERO < c.partial_credit < 1:
            add("partial_credit", _("Partial credit must be a share between 0 and 1, such as 0.5."))
    elif c.scoring == MAP:
        if c.choice_map is None or not c.choice_map.entries:
            add("scoring", _("Mapped scoring needs at least one mapped option."))
        else:
            unknown = [e.key for e in c.choice_map.entries if e.key not in ids]
            if unknown:
                add("scoring", _("The mapping names options that don't exist: %(keys)s.")
                    % {"keys": ", ".join(unknown)})


def _fill_in_problems(c: ItemContent, add) -> None:
    markers = [int(n) for n in BLANK.findall(c.stem)]
    if not c.blanks:
        add("blanks", _("A fill-in item needs at least one blank."))
    if markers != list(range(1, len(c.blanks) + 1)):
        add("stem", _("The stem must mark blanks [[1]] to [[%(n)s]] in order, one per blank.")
            % {"n": len(c.blanks) or 1})
    for number, blank in enumerate(c.blanks, start=1):
        if not blank.answers or not any(a.text.strip() for a in blank.answers):
            add("blanks", _("Blank %(n)s has no accepted answer.") % {"n": number})
        elif blank.points <= 0:
            add("blanks", _("Blank %(n)s: no answer earns points.") % {"n": number})


def _rubric_problems(c: ItemContent, add) -> None:
    if not c.rubric:
        add("rubric", _("A subjective item needs a rubric: at least one criterion with its levels."))
    for criterion in c.rubric:
        points = [level.points for level in criterion.levels]
        if not criterion.name.strip():
            add("rubric", _("A rubric criterion has no name."))
        if len(points) < 2 or len(set(points)) != len(points):
            add("rubric", _("Criterion “%(name)s” needs at least two levels with different points.")
                % {"name": criterion.name})
        if any(p < 0 for p in points):
            add("rubric", _("Criterion “%(name)s” has negative points.") % {"name": criterion.name})


def option_label(index: int) -> str:
    return OPTION_LETTERS[index] if index < len(OPTION_LETTERS) else str(index + 1)


def key_letters(item: ItemContent) -> list[str]:
    """The key as the letters candidates and spreadsheets use (imported options keep their own ids)."""
    letters = {o.id: option_label(i) for i, o in enumerate(item.options)}
    return [letters.get(k, k) for k in item.key]


# -- the text forms that authors type (staff form, spreadsheet cells) ----------------------------------------

def rubric_parse(value: str, problems: list[Problem]) -> list[Criterion]:
    """One criterion per line: ``name = label:points[:description] | label:points …``."""
    criteria = []
    for line in value.splitlines():
        if not line.strip():
            continue
        name, sep, levels_text = line.partition("=")
        if not sep:
            problems.append(Problem("rubric", _("Write each rubric line as “criterion = level:points | …”.")))
            continue
        levels = []
        for level_text in levels_text.split("|"):
            parts = [p.strip() for p in level_text.split(":", 2)]
            points = parse_decimal(parts[1]) if len(parts) > 1 else None
            if points is None:
                problems.append(Problem("rubric", _("Rubric level “%(level)s” needs points, as in 优:8.")
                                        % {"level": level_text.strip()}))
                continue
            levels.append(Level(parts[0], points, parts[2] if len(parts) > 2 else ""))
        criteria.append(Criterion(name.strip(), levels))
    return criteria


def rubric_text(rubric: list[Criterion]) -> str:
    return "\n".join(
        f"{cr.name} = " + " | ".join(
            f"{lv.label}:{_num(lv.points)}" + (f":{lv.description}" if lv.description else "") for lv in cr.levels)
        for cr in rubric
    )


def tests_parse(value: str, problems: list[Problem]) -> list[TestCase]:
    """Programming test cases written as a JSON list of {input, output, points}."""
    if not value.strip():
        return []
    try:
        return [TestCase(str(t["input"]), str(t["output"]), Decimal(str(t["points"]))) for t in json.loads(value)]
    except (ValueError, TypeError, KeyError, ArithmeticError):
        problems.append(Problem("tests", _('Test cases must be a JSON list such as '
                                           '[{"input": "1 2\\n", "output": "3\\n", "points": 5}].')))
        return []


def tests_text(tests: list[TestCase], **dumps) -> str:
    return json.dumps([{"input": t.input, "output": t.output, "points": _num(t.points)} for t in tests],
                      ensure_ascii=False, **dumps)
