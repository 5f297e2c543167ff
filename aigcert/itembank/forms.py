"""Staff forms: one item form whose fields depend on the item type, review, retire and import forms."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aigcert.catalog import api as catalog_api
from aigcert.itembank import content as c
from aigcert.itembank import xlsx
from aigcert.itembank.content import Answer, Blank, ItemContent, Option
from aigcert.itembank.models import Item
from aigcert.itembank.sanitize import text_to_html

OPTION_COUNT = 6
OPTION_FIELDS = [f"option_{c.option_label(i).lower()}" for i in range(OPTION_COUNT)]
# Content fields (from content.Problem.field) → the form field that shows the message.
PROBLEM_FIELDS = {"options": "option_a", "type": None, "scoring": "scoring"}


class ItemForm(forms.Form):
    # Not required here: the content check reports an empty stem together with every other problem.
    stem = forms.CharField(label=gettext_lazy("Stem"), required=False, widget=forms.Textarea(attrs={"rows": 6}),
                           help_text=gettext_lazy("Plain text or simple HTML. Fill-in items mark blanks as [[1]], "
                                                  "[[2]], …"))
    images = forms.FileField(label=gettext_lazy("Add images"), required=False,
                             widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/gif,"
                                                                                "image/webp"}),
                             help_text=gettext_lazy("PNG, JPEG, GIF or WebP, up to 5 MB; added below the stem."))
    points = forms.DecimalField(label=gettext_lazy("Points"), min_value=Decimal("0.01"), max_digits=7,
                                decimal_places=2, required=False)
    scoring = forms.ChoiceField(label=gettext_lazy("Scoring"), required=False, choices=[
        (c.EXACT, gettext_lazy("All or nothing")),
        (c.PARTIAL, gettext_lazy("Partial credit for a correct but incomplete choice; a wrong option scores 0")),
    ])
    partial_credit = forms.DecimalField(label=gettext_lazy("Share of points for an incomplete choice"),
                                        required=False, initial=Decimal("0.5"), max_digits=3, decimal_places=2)
    key = forms.MultipleChoiceField(label=gettext_lazy("Correct option(s)"), required=False,
                                    widget=forms.CheckboxSelectMultiple,
                                    choices=[(c.option_label(i), c.option_label(i)) for i in range(OPTION_COUNT)])
    truth = forms.ChoiceField(label=gettext_lazy("The statement is"), required=False, widget=forms.RadioSelect,
                              choices=[("true", gettext_lazy("True")), ("false", gettext_lazy("False"))])
    blanks = forms.CharField(label=gettext_lazy("Accepted answers"), required=False,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=gettext_lazy("One line per blank; separate alternative answers with |."))
    blank_points = forms.DecimalField(label=gettext_lazy("Points per blank"), required=False, initial=1,
                                      min_value=Decimal("0.01"), max_digits=7, decimal_places=2)
    case_sensitive = forms.BooleanField(label=gettext_lazy("Answers must match upper and lower case"),
                                        required=False)
    min_words = forms.IntegerField(label=gettext_lazy("Minimum words"), required=False, min_value=0)
    max_words = forms.IntegerField(label=gettext_lazy("Maximum words"), required=False, min_value=1)
    allowed_types = forms.CharField(label=gettext_lazy("Allowed file types"), required=False,
                                    help_text=gettext_lazy("Extensions separated by commas, e.g. png, jpg, pdf."))
    max_size_mb = forms.IntegerField(label=gettext_lazy("Largest file (MB)"), required=False)
    starter_code = forms.CharField(strip=False, label=gettext_lazy("Starter code"), required=False,
                                   widget=forms.Textarea(attrs={"rows": 5, "class": "code"}))
    tests = forms.CharField(strip=False, label=gettext_lazy("Test cases (JSON)"), required=False,
                            widget=forms.Textarea(attrs={"rows": 5, "class": "code"}),
                            help_text=gettext_lazy('[{"input": "1 2\\n", "output": "3\\n", "points": 5}, …]'))
    time_limit_ms = forms.IntegerField(label=gettext_lazy("Time limit (ms)"), required=False, initial=2000)
    memory_limit_mb = forms.IntegerField(label=gettext_lazy("Memory limit (MB)"), required=False, initial=256)
    reference_solution = forms.CharField(strip=False, label=gettext_lazy("Reference solution"), required=False,
                                         widget=forms.Textarea(attrs={"rows": 5, "class": "code"}))
    reference_prompt = forms.CharField(strip=False, label=gettext_lazy("Reference prompt"), required=False,
                                       widget=forms.Textarea(attrs={"rows": 4}))
    qualities = forms.CharField(label=gettext_lazy("What markers look for"), required=False,
                                widget=forms.Textarea(attrs={"rows": 3}),
                                help_text=gettext_lazy("One per line."))
    rubric = forms.CharField(label=gettext_lazy("Rubric"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
                             help_text=gettext_lazy("One criterion per line: criterion = level:points:description | "
                                                    "level:points …"))
    explanation = forms.CharField(label=gettext_lazy("Explanation (解析)"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    difficulty = forms.TypedChoiceField(label=gettext_lazy("Difficulty"), coerce=int, initial=3,
                                        choices=[(n, str(n)) for n in range(1, 6)])
    standards = forms.MultipleChoiceField(label=gettext_lazy("Competencies (evaluation standard)"), required=False,
                                          widget=forms.CheckboxSelectMultiple)
    source = forms.CharField(label=gettext_lazy("Source"), required=False, max_length=200)

    def __init__(self, *args, item_type: str, program_code: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.item_type = item_type
        self.program_code = program_code
        self.preserved_map = None
        for index, name in enumerate(OPTION_FIELDS):
            self.fields[name] = forms.CharField(label=_("Option %(letter)s") % {"letter": c.option_label(index)},
                                                required=False)
        self.fields["standards"].choices = [
            (s.code, f"{s.code} {s.text}") for s in catalog_api.standard_items(program_code)
        ]
        for name in list(self.fields):
            if name not in self.fields_for_type():
                del self.fields[name]

    def fields_for_type(self) -> list[str]:
        common_head = ["stem", "images"]
        common_tail = ["explanation", "difficulty", "standards", "source"]
        t = self.item_type
        if t in c.CHOICE_TYPES:
            middle = [*OPTION_FIELDS, "key", "points"]
            if t == c.MULTIPLE_CHOICE:
                middle += ["scoring", "partial_credit"]
        elif t == c.TRUE_FALSE:
            middle = ["truth", "points"]
        elif t == c.FILL_IN:
            middle = ["blanks", "blank_points", "case_sensitive"]
        elif t == c.ESSAY:
            middle = ["min_words", "max_words", "rubric"]
        elif t == c.WORK_UPLOAD:
            middle = ["allowed_types", "max_size_mb", "rubric"]
        elif t == c.PROGRAM:
            middle = ["starter_code", "tests", "time_limit_ms", "memory_limit_mb", "reference_solution"]
        else:
            middle = ["reference_prompt", "qualities", "rubric"]
        return common_head + middle + common_tail

    @classmethod
    def initial_from(cls, item: ItemContent) -> dict:
        initial = {
            "stem": xlsx.cell_text(item.stem), "points": item.points, "explanation": xlsx.cell_text(item.explanation),
            "difficulty": item.difficulty, "standards": item.standards, "source": item.source,
            "scoring": item.scoring if item.scoring != c.MAP else c.EXACT,
            "partial_credit": item.partial_credit or Decimal("0.5"),
            "min_words": item.min_words, "max_words": item.max_words,
            "allowed_types": ", ".join(item.allowed_types), "max_size_mb": item.max_size_mb,
            "starter_code": item.starter_code, "time_limit_ms": item.time_limit_ms,
            "memory_limit_mb": item.memory_limit_mb, "reference_solution": item.reference_solution,
            "tests": c.tests_text(item.tests, indent=1) if item.tests else "",
            "reference_prompt": item.reference_prompt, "qualities": "\n".join(item.qualities),
            "rubric": c.rubric_text(item.rubric),
        }
        for index, option in enumerate(item.options[:OPTION_COUNT]):
            initial[OPTION_FIELDS[index]] = xlsx.cell_text(option.html)
        if item.item_type in c.CHOICE_TYPES:
            initial["key"] = c.key_letters(item)
        if item.item_type == c.TRUE_FALSE and item.key:
            initial["truth"] = item.key[0]
        if item.item_type == c.FILL_IN:
            initial["blanks"] = "\n".join("|".join(a.text for a in b.answers) for b in item.blanks)
            initial["blank_points"] = item.blanks[0].points if item.blanks else 1
            initial["case_sensitive"] = any(a.case_sensitive for b in item.blanks for a in b.answers)
        return initial

    def to_content(self, *, stem_extra: str = "", previous: ItemContent | None = None) -> ItemContent:
        """The form's values as item content; problems are left to the service, which reports them by field."""
        # Browsers send textarea line breaks as CRLF; code and prompts are stored with plain LF.
        d = {k: v.replace("\r\n", "\n") if isinstance(v, str) else v for k, v in self.cleaned_data.items()}
        t = self.item_type
        # Plain text becomes paragraphs and HTML is kept, exactly as in spreadsheets and data files.
        item = ItemContent(item_type=t, stem=text_to_html(d["stem"]) + stem_extra, points=d.get("points"),
                           difficulty=d["difficulty"], explanation=text_to_html(d.get("explanation", "")),
                           standards=list(d.get("standards", [])), source=d.get("source", ""))
        if t in c.CHOICE_TYPES:
            for index, name in enumerate(OPTION_FIELDS):
                if d.get(name, "").strip():
                    # Keep imported option identifiers (QTI) where the position is unchanged.
                    old_id = previous.options[index].id if previous and index < len(previous.options) else None
                    item.options.append(Option(old_id or c.option_label(index), text_to_html(d[name])))
            by_label = {c.option_label(i): o.id for i, o in enumerate(item.options)}
            item.key = [by_label.get(k, k) for k in d.get("key", [])]
            if previous is not None and previous.scoring == c.MAP:
                item.scoring, item.choice_map = c.MAP, previous.choice_map
            elif t == c.MULTIPLE_CHOICE and d.get("scoring") == c.PARTIAL:
                item.scoring, item.partial_credit = c.PARTIAL, d.get("partial_credit")
        elif t == c.TRUE_FALSE:
            item.key = [d["truth"]] if d.get("truth") else []
        elif t == c.FILL_IN:
            points = d.get("blank_points") or Decimal(1)
            case = d.get("case_sensitive", False)
            item.blanks = [Blank([Answer(a.strip(), points, case) for a in line.split("|") if a.strip()])
                           for line in d.get("blanks", "").splitlines() if line.strip()]
            item.points = None
        elif t == c.ESSAY:
            item.min_words, item.max_words = d.get("min_words"), d.get("max_words")
        elif t == c.WORK_UPLOAD:
            item.allowed_types = [x.strip().lower().lstrip(".") for x in d.get("allowed_types", "").replace("，", ",")
                                  .split(",") if x.strip()]
            item.max_size_mb = d.get("max_size_mb")
        elif t == c.PROGRAM:
            item.starter_code = d.get("starter_code", "")
            item.reference_solution = d.get("reference_solution", "")
            item.time_limit_ms, item.memory_limit_mb = d.get("time_limit_ms"), d.get("memory_limit_mb")
            item.tests = self._parsed(c.tests_parse, "tests", d.get("tests", ""))
        elif t == c.PROMPT_TASK:
            item.reference_prompt = d.get("reference_prompt", "")
            item.qualities = [q.strip() for q in d.get("qualities", "").splitlines() if q.strip()]
        if t in c.RUBRIC_TYPES:
            item.rubric = self._parsed(c.rubric_parse, "rubric", d.get("rubric", ""))
        if t in (c.PROGRAM, c.ESSAY, c.WORK_UPLOAD, c.PROMPT_TASK):
            item.points = None
        return item

    def _parsed(self, parse, field_name: str, text: str):
        problems: list = []
        value = parse(text, problems)
        for problem in problems:
            self.add_error(field_name, problem.message)
        return value

    def add_problems(self, problems) -> None:
        for problem in problems:
            name = PROBLEM_FIELDS.get(problem.field, problem.field)
            self.add_error(name if name in self.fields else None, problem.message)


class NewItemForm(forms.Form):
    program = forms.ChoiceField(label=gettext_lazy("Program"))
    item_type = forms.ChoiceField(label=gettext_lazy("Item type"), choices=catalog_api.ItemType.choices)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].choices = catalog_api.program_choices()


class ReturnForm(forms.Form):
    comment = forms.CharField(label=gettext_lazy("What should the author change?"),
                              widget=forms.Textarea(attrs={"rows": 3}))


class ApproveForm(forms.Form):
    comment = forms.CharField(label=gettext_lazy("Comment (optional)"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))


class BulkForm(forms.Form):
    action = forms.ChoiceField(choices=[("retire", "retire"), ("approve", "approve")])
    items = forms.MultipleChoiceField(choices=[])
    reason = forms.CharField(required=False, max_length=300)

    def __init__(self, *args, item_codes: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = [(code, code) for code in item_codes]


class FilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Text"), required=False)
    program = forms.ChoiceField(label=gettext_lazy("Program"), required=False)
    item_type = forms.ChoiceField(label=gettext_lazy("Type"), required=False)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    standard = forms.ChoiceField(label=gettext_lazy("Competency"), required=False)
    difficulty = forms.TypedChoiceField(label=gettext_lazy("Difficulty"), required=False, coerce=int,
                                        empty_value=None)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        everything = [("", _("All"))]
        self.fields["program"].choices = everything + catalog_api.program_choices()
        self.fields["item_type"].choices = everything + list(catalog_api.ItemType.choices)
        self.fields["status"].choices = everything + list(Item.Status.choices)
        self.fields["difficulty"].choices = everything + [(n, str(n)) for n in range(1, 6)]
        program = self.data.get("program") or ""
        self.fields["standard"].choices = everything + [
            (s.code, f"{s.code} {s.text[:30]}") for s in catalog_api.standard_items(program)
        ] if program else everything


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Spreadsheet (.xlsx)"))
    program = forms.ChoiceField(label=gettext_lazy("Program (for rows that don't name one)"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].choices = [("", "—"), *catalog_api.program_choices()]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Upload an .xlsx workbook (Excel 2007 or later)."))
        return upload
