"""Forms of the exam office's pages. The blueprint form has a fixed number of rows (one per item type the
program's exam allows, one per area of its standard), so it works as a plain POST without JavaScript."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from aigcert.exams.models import Blueprint
from aigcert.exams.preassembly import MAX_PAPERS

LEVELS = range(1, 6)
MAX_COUNT = 999


def _number(**attrs) -> forms.NumberInput:
    return forms.NumberInput(attrs={"inputmode": "decimal", **attrs})


class BlueprintForm(forms.Form):
    program = forms.ChoiceField(label=_("Program"))
    mode = forms.ChoiceField(label=_("Used for"), choices=Blueprint.Mode.choices)
    name = forms.CharField(label=_("Name"), max_length=120)
    layout = forms.ChoiceField(label=_("Layout"), choices=Blueprint.Layout.choices)
    paper_mode = forms.ChoiceField(label=_("Papers"), choices=Blueprint.PaperMode.choices,
                                   initial=Blueprint.PaperMode.PER_CANDIDATE)
    forms_count = forms.IntegerField(label=_("Number of forms"), min_value=1, max_value=50, initial=1,
                                     help_text=_("Used when the papers are parallel forms."),
                                     widget=_number(inputmode="numeric"))
    shuffle_items = forms.BooleanField(label=_("Shuffle the items for each candidate"), required=False,
                                       initial=True)
    shuffle_options = forms.BooleanField(label=_("Shuffle the options of choice items"), required=False,
                                         initial=True)
    exposure_cap = forms.DecimalField(
        label=_("Exposure cap"), required=False, min_value=Decimal("0.001"), max_value=1, max_digits=4,
        decimal_places=3, widget=_number(step="0.001"),
        help_text=_("The largest share of papers one item may appear on, e.g. 0.5. Empty: no cap."))

    def __init__(self, *args, item_types: list[tuple[str, str]], areas: list[tuple[str, str]],
                 programs: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].choices = programs
        self.section_count = len(item_types)
        self.area_count = len(areas)
        type_choices = [("", "—"), *item_types]
        area_choices = [("", "—"), *((code, f"{code} {title}".strip()) for code, title in areas)]
        for n in range(self.section_count):
            self.fields[f"section_{n}_type"] = forms.ChoiceField(label=_("Item type"), required=False,
                                                                 choices=type_choices)
            self.fields[f"section_{n}_count"] = forms.IntegerField(
                label=_("Items"), required=False, min_value=1, max_value=MAX_COUNT,
                widget=_number(inputmode="numeric"))
            self.fields[f"section_{n}_points"] = forms.DecimalField(
                label=_("Points per item"), required=False, min_value=Decimal("0.01"), max_digits=6,
                decimal_places=2, widget=_number(step="0.01"))
        for n in range(self.area_count):
            self.fields[f"area_{n}_code"] = forms.ChoiceField(label=_("Area"), required=False, choices=area_choices)
            self.fields[f"area_{n}_min"] = forms.IntegerField(label=_("At least"), required=False, min_value=0,
                                                              max_value=MAX_COUNT, widget=_number(inputmode="numeric"))
            self.fields[f"area_{n}_max"] = forms.IntegerField(label=_("At most"), required=False, min_value=0,
                                                              max_value=MAX_COUNT, widget=_number(inputmode="numeric"))
        # The rows are table cells without their own <label>: name each input for screen readers.
        for name, field in self.fields.items():
            if name.startswith(("section_", "area_")):
                field.widget.attrs["aria-label"] = f"{field.label} {int(name.split('_')[1]) + 1}"
        for level in LEVELS:
            self.fields[f"difficulty_{level}"] = forms.DecimalField(
                label=_("Level %(level)s") % {"level": level}, required=False, min_value=0, max_value=1,
                max_digits=4, decimal_places=3, widget=_number(step="0.001"))

    # Rows for the template: [(type, count, points), …], [(area, min, max), …], [(level, share), …].
    def section_rows(self):
        return [(self[f"section_{n}_type"], self[f"section_{n}_count"], self[f"section_{n}_points"])
                for n in range(self.section_count)]

    def area_rows(self):
        return [(self[f"area_{n}_code"], self[f"area_{n}_min"], self[f"area_{n}_max"])
                for n in range(self.area_count)]

    def level_rows(self):
        return [(level, self[f"difficulty_{level}"]) for level in LEVELS]

    def clean(self):
        data = super().clean()
        sections, areas, mix = [], [], {}
        for n in range(self.section_count):
            item_type, count, points = (data.get(f"section_{n}_{part}") for part in ("type", "count", "points"))
            if not item_type:
                if count is not None or points is not None:
                    self.add_error(f"section_{n}_type", _("Choose an item type, or empty the row."))
                continue
            if count is None or points is None:
                self.add_error(f"section_{n}_count" if count is None else f"section_{n}_points",
                               _("Give the number of items and the points per item."))
                continue
            sections.append({"item_type": item_type, "count": count, "points": format(points.normalize(), "f")})
        seen = set()
        for n in range(self.area_count):
            code, minimum, maximum = (data.get(f"area_{n}_{part}") for part in ("code", "min", "max"))
            if not code:
                if minimum is not None or maximum is not None:
                    self.add_error(f"area_{n}_code", _("Choose an area, or empty the row."))
                continue
            if code in seen:
                self.add_error(f"area_{n}_code", _("This area has a row already."))
                continue
            seen.add(code)
            areas.append({"area_code": code, "min_items": minimum or 0, "max_items": maximum})
        for level in LEVELS:
            share = data.get(f"difficulty_{level}")
            if share is not None:
                mix[str(level)] = format(share.normalize(), "f")
        data["sections"], data["areas"], data["difficulty_mix"] = sections, areas, mix
        return data

    def save_kwargs(self) -> dict:
        """The keyword arguments of `blueprints.blueprint_save` (without the actor)."""
        d = self.cleaned_data
        return {"program_code": d["program"], "mode": d["mode"], "name": d["name"], "layout": d["layout"],
                "paper_mode": d["paper_mode"], "forms_count": d["forms_count"], "sections": d["sections"],
                "areas": d["areas"], "difficulty_mix": d["difficulty_mix"],
                "exposure_cap": format(d["exposure_cap"].normalize(), "f") if d["exposure_cap"] is not None
                else None,
                "shuffle_items": d["shuffle_items"], "shuffle_options": d["shuffle_options"]}


# Fields kept when the program is switched (the rows belong to the old program and are dropped).
PROGRAM_SWITCH_KEEPS = ("mode", "name", "layout", "paper_mode", "forms_count", "exposure_cap")


class PrepareForm(forms.Form):
    count = forms.IntegerField(label=_("Papers for this session"), required=False, min_value=1,
                               max_value=MAX_PAPERS, widget=_number(inputmode="numeric"),
                               help_text=_("One fresh paper per candidate: empty means one per seat."))
