from django import forms
from django.utils.translation import gettext_lazy as _

PROOF_TYPES = {".pdf", ".jpg", ".jpeg", ".png"}
PROOF_MAX_BYTES = 10 << 20


class EligibilityClaimForm(forms.Form):
    work_years = forms.IntegerField(label=_("Years of AIGC work"), min_value=1, max_value=50)
    employer = forms.CharField(label=_("Employer"), max_length=120)
    description = forms.CharField(label=_("What you did"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    proof = forms.FileField(label=_("Proof (PDF, JPG or PNG, at most 10 MB)"),
                            help_text=_("E.g. an employment certificate or a contract page."))

    def clean_proof(self):
        proof = self.cleaned_data["proof"]
        name = proof.name.lower()
        if not any(name.endswith(ext) for ext in PROOF_TYPES):
            raise forms.ValidationError(_("Upload a PDF, JPG or PNG file."))
        if proof.size > PROOF_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        head = proof.read(8)
        proof.seek(0)
        if not (head.startswith(b"%PDF") or head.startswith(b"\xff\xd8\xff") or head.startswith(b"\x89PNG")):
            raise forms.ValidationError(_("The file's content is not a PDF, JPG or PNG."))
        return proof


class ClaimDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class SessionGenerateForm(forms.Form):
    program = forms.ChoiceField(label=_("Program"))
    day = forms.DateField(label=_("Exam day"), widget=forms.DateInput(attrs={"type": "date"}))
    capacity = forms.IntegerField(label=_("Seats per sitting"), min_value=1, max_value=100_000, required=False,
                                  help_text=_("Empty: the program's default."))

    def __init__(self, *args, programs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].choices = programs


class SessionCancelForm(forms.Form):
    replacement = forms.ChoiceField(label=_("Move the candidates to"), required=False)
    reason = forms.CharField(label=_("Reason (sent to the candidates)"), max_length=300)

    def __init__(self, *args, replacements=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["replacement"].choices = [("", "—"), *replacements]


class CandidateImportForm(forms.Form):
    file = forms.FileField(label=_("Candidate list (.xlsx)"))


class OrgPriceForm(forms.Form):
    deposit = forms.DecimalField(label=_("Deposit (yuan)"), min_value=0, max_value=20_000_000, decimal_places=2)
    balance = forms.DecimalField(label=_("Balance (yuan)"), min_value=0, max_value=20_000_000, decimal_places=2)
    retake = forms.DecimalField(label=_("Retake fee (yuan)"), min_value=0, max_value=20_000_000, decimal_places=2)


class VoucherBuyForm(forms.Form):
    program = forms.ChoiceField(label=_("Program"))
    quantity = forms.IntegerField(label=_("Number of seat codes"), min_value=1, max_value=1000)

    def __init__(self, *args, programs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].choices = programs


def fen(value) -> int:
    """Yuan as typed (at most two decimals, checked by the field) to integer fen, exactly."""
    return int(value * 100)
