"""JSON stored as written: Chinese text stays Chinese instead of six-byte \\uXXXX escapes (a frozen paper is
mostly Chinese; on SQLite the escapes would make it 60 % larger)."""

from django.core.serializers.json import DjangoJSONEncoder


class UnicodeJSONEncoder(DjangoJSONEncoder):
    def __init__(self, *args, **kwargs):
        kwargs["ensure_ascii"] = False
        super().__init__(*args, **kwargs)
