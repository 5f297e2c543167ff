"""The shape of the catalog data file, checked before anything touches the database."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from aigcert.catalog.models import ItemType

CODE_RE = r"^[a-z0-9][a-z0-9-]*$"
TIME_RE = r"^([01]\d|2[0-3]):[0-5]\d$"
ITEM_TYPES = tuple(ItemType.values)
# Upper bounds of the database columns, checked here so a bad file is refused with a clear message.
MAX_FEN = 2_000_000_000
MAX_ORDER = 1_000_000
EXAM_FIELDS = ("duration_minutes", "total_score", "pass_mark", "item_types", "frequency", "sittings",
               "results_delay_days", "seats_per_sitting", "booking_closes_days_before", "ticket_days_before")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False, str_strip_whitespace=True)


def _text(value):
    if isinstance(value, str):
        return {"zh": value}
    return value


class LocalText(Strict):
    zh: str = Field(min_length=1)
    en: str = ""


def _at_most(limit: int):
    def check(text: LocalText) -> LocalText:
        for language in ("zh", "en"):
            if len(getattr(text, language)) > limit:
                raise ValueError(f"{language} text is longer than {limit} characters")
        return text

    return AfterValidator(check)


Text = Annotated[LocalText, BeforeValidator(_text)]
Text40 = Annotated[LocalText, BeforeValidator(_text), _at_most(40)]
Text60 = Annotated[LocalText, BeforeValidator(_text), _at_most(60)]
Text100 = Annotated[LocalText, BeforeValidator(_text), _at_most(100)]
Text120 = Annotated[LocalText, BeforeValidator(_text), _at_most(120)]
Text200 = Annotated[LocalText, BeforeValidator(_text), _at_most(200)]
Order = Annotated[int, Field(default=0, ge=0, le=MAX_ORDER)]
Fen = Annotated[int, Field(ge=0, le=MAX_FEN)]


class SeriesSpec(Strict):
    code: str = Field(pattern=CODE_RE, max_length=40)
    name: Text100
    certificate_title: Text200 | None = None
    issuer: Text200 | None = None
    order: Order


class DirectionSpec(Strict):
    code: str = Field(pattern=CODE_RE, max_length=40)
    name: Text100
    order: Order


class StudyTime(Strict):
    min_weeks: int = Field(ge=1, le=104)
    max_weeks: int = Field(ge=1, le=104)
    assumed: bool = False

    @model_validator(mode="after")
    def ordered(self):
        if self.min_weeks > self.max_weeks:
            raise ValueError("min_weeks must not exceed max_weeks")
        return self


class Fees(Strict):
    total_fen: Fen
    deposit_fen: Fen
    balance_fen: Fen
    retake_fee_fen: Fen
    free_retakes: int = Field(ge=0, le=10)
    assumed: bool = False
    note: Text | None = None

    @model_validator(mode="after")
    def adds_up(self):
        if self.deposit_fen + self.balance_fen != self.total_fen:
            raise ValueError(
                f"deposit_fen ({self.deposit_fen}) + balance_fen ({self.balance_fen}) "
                f"must equal total_fen ({self.total_fen})"
            )
        if self.assumed and self.note is None:
            raise ValueError("a note is required when assumed is true")
        return self


class SittingSpec(Strict):
    code: str = Field(pattern=CODE_RE, max_length=20)
    label: Text40
    # A quoted "HH:MM": unquoted, YAML reads 14:00 as the number 840.
    start: str = Field(pattern=TIME_RE, strict=True)


class Exam(Strict):
    duration_minutes: int = Field(ge=1, le=600)
    total_score: int = Field(ge=1, le=1000)
    pass_mark: int = Field(ge=0)
    item_types: list[Literal[ITEM_TYPES]] = Field(min_length=1)  # type: ignore[valid-type]
    frequency: Literal["monthly", "weekly", "on_demand"] = "monthly"
    sittings: list[SittingSpec] = Field(min_length=1)
    results_delay_days: int = Field(ge=0, le=365)
    seats_per_sitting: int = Field(ge=1, le=100_000)
    booking_closes_days_before: int = Field(ge=0, le=60)
    ticket_days_before: int = Field(ge=0, le=60)
    assumed: list[Literal[EXAM_FIELDS]] = []  # type: ignore[valid-type]

    @model_validator(mode="after")
    def consistent(self):
        if self.pass_mark > self.total_score:
            raise ValueError(f"pass_mark ({self.pass_mark}) must not exceed total_score ({self.total_score})")
        if len(set(self.item_types)) != len(self.item_types):
            raise ValueError("item_types lists a type twice")
        codes = [s.code for s in self.sittings]
        if len(set(codes)) != len(codes):
            raise ValueError("sitting codes must be unique")
        return self


class Window(Strict):
    min: int = Field(ge=0, le=365)
    max: int = Field(ge=0, le=365)

    @model_validator(mode="after")
    def ordered(self):
        if self.min > self.max:
            raise ValueError("min must not exceed max")
        return self


class Certificate(Strict):
    issue_window_days: Window
    assumed: bool = False


class CertificatePrerequisite(Strict):
    kind: Literal["certificate"]
    program: str = Field(pattern=CODE_RE)


class WorkYearsPrerequisite(Strict):
    kind: Literal["work_years"]
    min_years: int = Field(ge=1, le=50)


Prerequisite = Annotated[CertificatePrerequisite | WorkYearsPrerequisite, Field(discriminator="kind")]


class StandardItemSpec(Strict):
    code: str = Field(min_length=1, max_length=20)
    text: Text


class AreaSpec(Strict):
    code: str = Field(min_length=1, max_length=20)
    title: Text200
    items: list[StandardItemSpec] = []


class LessonSpec(Strict):
    code: str = Field(min_length=1, max_length=20)
    title: Text200
    description: Text | None = None
    # Codes of this program's standard areas the lesson prepares for (checked against `standard` by the loader).
    areas: list[Annotated[str, Field(min_length=1, max_length=20)]] = []


class ChapterSpec(Strict):
    code: str = Field(min_length=1, max_length=20)
    part: Text60 | None = None
    title: Text200
    lessons: list[LessonSpec] = Field(min_length=1)


class Syllabus(Strict):
    edition: Text120 | None = None
    chapters: list[ChapterSpec] = Field(min_length=1)


class ProgramSpec(Strict):
    code: str = Field(pattern=CODE_RE, max_length=60)
    series: str
    direction: str | None = None
    level: Text40
    level_rank: int = Field(ge=1, le=20)
    status: Literal["open", "announced", "closed"]
    order: Order
    name: Text120
    summary: Text | None = None
    audience: Text | None = None
    source: str = Field(default="", max_length=120)
    study_time: StudyTime | None = None
    booking_horizon_months: int = Field(ge=1, le=12)
    human_tutoring: bool = False
    fees: Fees | None = None
    exam: Exam | None = None
    certificate: Certificate
    prerequisites: list[Prerequisite] = []
    standard: list[AreaSpec] = []
    syllabus: Syllabus | None = None

    @model_validator(mode="after")
    def open_programs_are_complete(self):
        if self.status == "open":
            missing = [name for name in ("fees", "exam", "study_time") if getattr(self, name) is None]
            if missing:
                raise ValueError(f"an open program needs {', '.join(missing)}")
        return self


class CatalogFile(Strict):
    version: Literal[1]
    series: list[SeriesSpec] = Field(min_length=1)
    directions: list[DirectionSpec] = []
    programs: list[ProgramSpec] = Field(min_length=1)


def duplicate_codes(codes: list[str]) -> list[str]:
    seen: set[str] = set()
    return sorted({code for code in codes if code in seen or seen.add(code)})
