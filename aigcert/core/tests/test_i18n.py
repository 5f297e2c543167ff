"""zh-Hans is the default and must be complete; the compiled catalogs must match their sources."""

from pathlib import Path

import polib
import pytest
from django.conf import settings

LOCALE = Path(settings.LOCALE_PATHS[0])


def test_chinese_catalog_is_complete():
    po = polib.pofile(str(LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []
    assert len(po.translated_entries()) > 200


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
def test_compiled_catalogs_are_up_to_date(language):
    folder = LOCALE / language / "LC_MESSAGES"
    po = polib.pofile(str(folder / "django.po"))
    mo = polib.mofile(str(folder / "django.mo"))
    compiled = {(e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items()))) for e in mo}
    for entry in po.translated_entries():
        assert (entry.msgctxt, entry.msgid) in compiled, f"{language}: {entry.msgid!r} missing from django.mo"
        assert compiled[(entry.msgctxt, entry.msgid)] == (entry.msgstr, tuple(sorted(entry.msgstr_plural.items())))


def test_placeholders_survive_translation():
    import re

    po = polib.pofile(str(LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    pattern = re.compile(r"%\(\w+\)[sd]")
    for entry in po.translated_entries():
        source = set(pattern.findall(entry.msgid)) | set(pattern.findall(entry.msgid_plural or ""))
        targets = [entry.msgstr] if entry.msgstr else list(entry.msgstr_plural.values())
        for target in targets:
            if entry.msgid_plural:
                # One Chinese form stands for both English ones; it must use one of their placeholder sets.
                options = {frozenset(pattern.findall(entry.msgid)), frozenset(pattern.findall(entry.msgid_plural))}
                assert frozenset(pattern.findall(target)) in options, entry.msgid
            else:
                assert set(pattern.findall(target)) == source, entry.msgid
