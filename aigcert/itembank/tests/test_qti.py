"""QTI import and export: the spec's scoring examples, what is refused and why, packages with images, round trips.

Fixtures live in tests/fixtures/qti/; packages (zips, images) are assembled in tmp_path so each test shows what
it feeds the importer. The command line is driven through call_command; SystemExit carries its exit code.
"""

import hashlib
import io
import json
import re
import shutil
import zipfile
from decimal import Decimal
from pathlib import Path

import defusedxml.ElementTree as SafeET
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from PIL import Image

from aigcert.accounts.api import Role
from aigcert.core.api import audit_events
from aigcert.itembank import content as c
from aigcert.itembank import demo, qti, rules, services
from aigcert.itembank.models import Asset, Item, ItemVersion

FIXTURES = Path(__file__).parent / "fixtures" / "qti"
PACKAGE = FIXTURES / "package"
PROGRAM = "aigc-general"
QTI3 = "{http://www.imsglobal.org/xsd/imsqtiasi_v3p0}"
V3_TEMPLATES = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/"
ASSET_SRC = re.compile(r'src="/itembank/assets/([0-9a-f]{64})\.png"')


@pytest.fixture(autouse=True)
def _media_and_language(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with translation.override("en"):  # reasons are asserted word for word, in the source language
        yield


# -- helpers ------------------------------------------------------------------------------------------------

def run(command: str, *args) -> tuple[int, str]:
    """(exit code, stdout) of an aigcert command."""
    out = io.StringIO()
    try:
        call_command(command, *[str(a) for a in args], stdout=out, stderr=io.StringIO())
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


def import_json(path: Path, *flags) -> tuple[int, dict]:
    code, out = run("import_items", path, "--program", PROGRAM, "--json", *flags)
    return code, json.loads(out)


def stored(item: Item) -> c.ItemContent:
    return services.version_content(ItemVersion.objects.get(pk=item.head_id))


def import_one(path: Path) -> c.ItemContent:
    """Import one QTI file through the command line; the content the bank stored for it."""
    before = set(Item.objects.values_list("pk", flat=True))
    code, summary = import_json(path)
    assert (code, summary["imported"], summary["rejected"]) == (0, 1, [])
    (item,) = Item.objects.exclude(pk__in=before)
    return stored(item)


def read_one(path: Path) -> qti.QtiItem:
    result = qti.qti_read(path)
    assert result.rejected == []
    (item,) = result.items
    return item


def image_bytes(fmt: str = "PNG", color=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), color).save(buffer, format=fmt)
    return buffer.getvalue()


def zip_write(path: Path, files: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def package_files(image: bytes | None) -> dict[str, bytes | str]:
    """The fixture package (manifest, a QTI 3.0 and a QTI 2.1 item), with `image` as items/images/x.png."""
    files: dict[str, bytes | str] = {
        str(p.relative_to(PACKAGE)): p.read_bytes() for p in sorted(PACKAGE.rglob("*")) if p.is_file()
    }
    if image is not None:
        files["items/images/x.png"] = image
    return files


def single_choice(template: str, version: str = "v3") -> str:
    """A single-choice item (key B) scored by `template`, in QTI 3.0 or 2.x markup."""
    if version == "v3":
        return f"""<?xml version="1.0" encoding="UTF-8"?>
<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" identifier="capital" title="Capital"
    adaptive="false" time-dependent="false">
  <qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="identifier">
    <qti-correct-response><qti-value>B</qti-value></qti-correct-response>
  </qti-response-declaration>
  <qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float"/>
  <qti-item-body>
    <qti-choice-interaction response-identifier="RESPONSE" max-choices="1">
      <qti-prompt>What is the capital of France?</qti-prompt>
      <qti-simple-choice identifier="A">Lyon</qti-simple-choice>
      <qti-simple-choice identifier="B">Paris</qti-simple-choice>
      <qti-simple-choice identifier="C">Nice</qti-simple-choice>
    </qti-choice-interaction>
  </qti-item-body>
  <qti-response-processing template="{template}"/>
</qti-assessment-item>
"""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_{version}" identifier="capital" title="Capital"
    adaptive="false" timeDependent="false">
  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier">
    <correctResponse><value>B</value></correctResponse>
  </responseDeclaration>
  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"/>
  <itemBody>
    <choiceInteraction responseIdentifier="RESPONSE" maxChoices="1">
      <prompt>What is the capital of France?</prompt>
      <simpleChoice identifier="A">Lyon</simpleChoice>
      <simpleChoice identifier="B">Paris</simpleChoice>
      <simpleChoice identifier="C">Nice</simpleChoice>
    </choiceInteraction>
  </itemBody>
  <responseProcessing template="{template}"/>
</assessmentItem>
"""


# -- 1. the spec's scoring examples, imported and then scored by our rules -------------------------------------

@pytest.mark.django_db
def test_qti3_text_entry_example_scores_york_1_and_lowercase_york_half(catalog):
    item = import_one(FIXTURES / "text_entry_v3.xml")

    assert item.item_type == c.FILL_IN
    assert c.BLANK.findall(item.stem) == ["1"]
    assert "Made glorious summer by this sun of" in item.stem
    assert item.points == 1
    assert len(item.blanks) == 1

    def score(response):
        return rules.score_fill_in([b.mapping() for b in item.blanks], [response])

    assert score("York") == [Decimal(1)]
    assert score("york") == [Decimal("0.5")]
    assert score("YORK") == [Decimal("0.5")]  # the 0.5 entry is case-insensitive
    assert score("Leeds") == [Decimal(0)]
    assert score(None) == [Decimal(0)]


@pytest.mark.django_db
def test_qti21_choice_multiple_example_scores_as_the_spec_says(catalog):
    item = import_one(FIXTURES / "choice_multiple_v2p1.xml")

    assert item.item_type == c.MULTIPLE_CHOICE
    assert item.scoring == c.MAP
    assert item.points == 2
    assert [o.id for o in item.options] == ["H", "He", "C", "O", "N", "Cl"]
    assert [o.html for o in item.options][:2] == ["Hydrogen", "Helium"]
    assert item.key == ["H", "O"]
    assert "Which of the following elements are used to form water?" in item.stem
    mapping = item.choice_map
    assert (mapping.default, mapping.lower, mapping.upper) == (Decimal(-2), Decimal(0), Decimal(2))

    assert rules.map_response(mapping, ["H", "O"]) == 2
    assert rules.map_response(mapping, ["H", "O", "Cl"]) == 1
    assert rules.map_response(mapping, ["H", "He"]) == 0  # 1 + default -2 = -1, clamped to the lower bound 0
    assert rules.map_response(mapping, ["O", "H", "O", "H"]) == 2  # each distinct value counts once
    assert rules.map_response(mapping, []) == 0


@pytest.mark.django_db
def test_choice_multiple_with_default_0_sums_mapped_values_and_ignores_unmapped(catalog, tmp_path):
    xml = (FIXTURES / "choice_multiple_v2p1.xml").read_text().replace('defaultValue="-2"', 'defaultValue="0"')
    path = tmp_path / "default0.xml"
    path.write_text(xml)

    mapping = import_one(path).choice_map

    assert mapping.default == 0
    assert rules.map_response(mapping, ["H", "He"]) == 1  # He is unmapped: the default, 0
    assert rules.map_response(mapping, ["H", "O", "He", "C"]) == 2
    assert rules.map_response(mapping, ["H", "Cl"]) == 0


@pytest.mark.django_db
def test_map_response_without_bounds_scores_empty_as_0_and_duplicates_once(catalog, tmp_path):
    # Without the lower bound a negative sum shows, so these scores can only come from the template's rules.
    xml = (FIXTURES / "choice_multiple_v2p1.xml").read_text().replace(' lowerBound="0" upperBound="2"', "")
    path = tmp_path / "unbounded.xml"
    path.write_text(xml)

    item = import_one(path)
    mapping = item.choice_map

    assert (mapping.lower, mapping.upper) == (None, None)
    assert item.points == 2  # the best response: H and O
    assert rules.map_response(mapping, ["H", "He"]) == -1
    assert rules.map_response(mapping, []) == 0  # NULL response: 0, not the default
    assert rules.map_response(mapping, [""]) == 0
    assert rules.map_response(mapping, ["H", "H"]) == 1
    assert rules.map_response(mapping, ["Cl", "Cl"]) == -1
    assert rules.map_response(mapping, ["He", "N"]) == -4


# -- 2. response-processing templates are known by the last segment of their URI -------------------------------

@pytest.mark.parametrize(("version", "template"), [
    ("v3", "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct"),
    ("v3", "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct.xml"),
    ("v2p1", "http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct"),
    ("v2p1", "http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct.xml"),
    ("v2p2", "http://www.imsglobal.org/question/qti_v2p2/rptemplates/match_correct"),
])
def test_match_correct_template_is_recognized_by_its_last_segment(tmp_path, version, template):
    path = tmp_path / "capital.xml"
    path.write_text(single_choice(template, version))

    item = read_one(path).content

    assert item.item_type == c.SINGLE_CHOICE
    assert item.scoring == c.EXACT
    assert item.key == ["B"]
    assert [(o.id, o.html) for o in item.options] == [("A", "Lyon"), ("B", "Paris"), ("C", "Nice")]
    assert item.points == 1
    assert "What is the capital of France?" in item.stem
    assert rules.score_single_choice(item.key[0], "B", item.points) == 1
    assert rules.score_single_choice(item.key[0], "A", item.points) == 0


# -- 3. unsupported items: listed with the reason, never half-imported ------------------------------------------

@pytest.mark.parametrize(("fixture", "identifier", "reason"), [
    ("order_v3.xml", "order-v3", "Uses qti-order-interaction, which aigcert doesn't support."),
    ("order_v2p1.xml", "order-v2", "Uses qti-order-interaction, which aigcert doesn't support."),
    ("custom_processing_v2p1.xml", "custom-rp", "Uses custom response processing, which isn't supported."),
    ("map_response_point_v2p1.xml", "map-point",
     "Uses the response-processing template “map_response_point”, which isn't supported."),
])
def test_unsupported_item_is_rejected_with_its_reason(fixture, identifier, reason):
    result = qti.qti_read(FIXTURES / fixture)

    assert result.items == []
    assert result.rejected == [qti.QtiRejected(identifier, reason)]


@pytest.fixture
def mixed_package(tmp_path) -> Path:
    """Two good items (QTI 3.0 text entry, QTI 2.1 multiple choice) and a QTI 3.0 order item; no manifest."""
    return zip_write(tmp_path / "mixed.zip", {
        name: (FIXTURES / name).read_bytes()
        for name in ("text_entry_v3.xml", "choice_multiple_v2p1.xml", "order_v3.xml")
    })


ORDER_REJECTED = {"where": "order-v3", "reason": "Uses qti-order-interaction, which aigcert doesn't support."}


@pytest.mark.django_db
def test_package_with_an_unsupported_item_imports_nothing(catalog, mixed_package):
    code, out = run("import_items", mixed_package, "--program", PROGRAM)

    assert code == 1
    assert Item.objects.count() == 0
    assert ItemVersion.objects.count() == 0
    assert "imported 0 items, rejected 1" in out
    assert "rejected order-v3: Uses qti-order-interaction" in out

    code, summary = import_json(mixed_package)
    assert code == 1
    assert (summary["imported"], summary["rejected"]) == (0, [ORDER_REJECTED])
    assert Item.objects.count() == 0


@pytest.mark.django_db
def test_skip_unsupported_imports_the_good_items_and_still_reports_the_rest(catalog, mixed_package):
    code, summary = import_json(mixed_package, "--skip-unsupported")

    assert code == 1
    assert summary["imported"] == 2
    assert summary["rejected"] == [ORDER_REJECTED]
    items = Item.objects.order_by("pk")
    assert sorted(i.item_type for i in items) == [c.FILL_IN, c.MULTIPLE_CHOICE]
    assert {i.status for i in items} == {Item.Status.SUBMITTED}
    assert {i.program.code for i in items} == {PROGRAM}
    stems = [stored(i).stem for i in items]
    assert not any("Michael Schumacher" in s or "finishing order" in s for s in stems)


# -- 4. hostile XML -------------------------------------------------------------------------------------------

HOSTILE = ["xxe.xml", "billion_laughs.xml", "doctype.xml"]
DTD_REASON = "The XML declares a DTD or entities, which are refused for safety."


def passwd_lines() -> list[str]:
    passwd = Path("/etc/passwd")
    return [line for line in passwd.read_text().splitlines() if line.strip()] if passwd.exists() else []


@pytest.mark.parametrize("fixture", HOSTILE)
def test_reader_refuses_dtds_and_entities(fixture):
    result = qti.qti_read(FIXTURES / fixture)

    assert result.items == []
    assert result.rejected == [qti.QtiRejected(fixture, DTD_REASON)]


@pytest.mark.django_db
@pytest.mark.parametrize("fixture", HOSTILE)
def test_import_of_hostile_xml_creates_nothing_and_leaks_nothing(catalog, tmp_path, fixture):
    path = tmp_path / fixture
    shutil.copy(FIXTURES / fixture, path)
    package = zip_write(tmp_path / "hostile.zip", {"item.xml": (FIXTURES / fixture).read_bytes()})

    for source, where in ((path, fixture), (package, "item.xml")):
        code, out = run("import_items", source, "--program", PROGRAM, "--json", "--skip-unsupported")
        assert code == 1
        assert json.loads(out)["rejected"] == [{"where": where, "reason": DTD_REASON}]
        assert "DTD" in out and "entities" in out
        assert not any(line in out for line in passwd_lines())
        assert "root:x:0:0" not in out
    assert Item.objects.count() == 0
    assert ItemVersion.objects.count() == 0


def test_manifest_with_an_external_entity_is_refused(tmp_path):
    manifest = (FIXTURES / "xxe.xml").read_text().split("]>")[0] + """]>
<manifest xmlns="http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1" identifier="m">
  <resources><resource identifier="a" type="imsqti_item_xmlv3p0" href="&xxe;"/></resources>
</manifest>"""
    package = zip_write(tmp_path / "evil.zip", {"imsmanifest.xml": manifest,
                                                "a.xml": single_choice(V3_TEMPLATES + "match_correct")})

    result = qti.qti_read(package)

    assert result.items == []
    assert result.rejected == [qti.QtiRejected("imsmanifest.xml", DTD_REASON)]


# -- 5. content packages with images --------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("layout", ["zip", "folder"])
def test_package_images_become_assets_in_the_stems(catalog, tmp_path, layout):
    png = image_bytes()
    files = package_files(png)
    if layout == "zip":
        source = zip_write(tmp_path / "package.zip", files)
    else:
        source = tmp_path / "package"
        for name, data in files.items():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            (source / name).write_bytes(data)

    code, summary = import_json(source)

    assert code == 0
    assert (summary["imported"], summary["rejected"]) == (2, [])  # the webcontent resource is not an item
    sha = hashlib.sha256(png).hexdigest()
    (asset,) = Asset.objects.all()
    assert (asset.sha256, asset.extension, asset.content_type, asset.size) == (sha, "png", "image/png", len(png))
    with asset.file.open("rb") as handle:
        assert handle.read() == png
    contents = {stored(i).item_type: stored(i) for i in Item.objects.all()}
    assert set(contents) == {c.SINGLE_CHOICE, c.FILL_IN}
    for content in contents.values():
        assert ASSET_SRC.findall(content.stem) == [sha]
        assert "asset:" not in content.stem and "images/x.png" not in content.stem
    assert contents[c.SINGLE_CHOICE].key == ["up"]
    assert [b.answers[0].text for b in contents[c.FILL_IN].blanks] == ["oxygen"]


@pytest.mark.django_db
@pytest.mark.parametrize(("fake", "reason"), [
    (b"just some text, not an image\n", "“images/x.png” is not a valid image."),
    (image_bytes("JPEG"), "“images/x.png” is named .png but its content is JPEG."),
])
def test_package_image_that_is_not_what_its_name_says_is_rejected(catalog, tmp_path, fake, reason):
    package = zip_write(tmp_path / "package.zip", package_files(fake))

    code, summary = import_json(package, "--skip-unsupported")

    assert code == 1
    assert summary["imported"] == 0
    assert summary["rejected"] == [{"where": "chart", "reason": reason}, {"where": "gas", "reason": reason}]
    assert Item.objects.count() == 0
    assert Asset.objects.count() == 0


@pytest.mark.django_db
def test_package_missing_an_image_is_rejected(catalog, tmp_path):
    package = zip_write(tmp_path / "package.zip", package_files(None))

    code, summary = import_json(package, "--skip-unsupported")

    assert code == 1
    reason = "The image “images/x.png” is missing from the package."
    assert summary["rejected"] == [{"where": "chart", "reason": reason}, {"where": "gas", "reason": reason}]
    assert Item.objects.count() == 0


@pytest.mark.django_db
def test_manifest_listing_a_missing_file_is_rejected_and_blocks_the_import(catalog, tmp_path):
    files = package_files(image_bytes())
    files["imsmanifest.xml"] = files["imsmanifest.xml"].replace(b"</resources>", b"""
    <resource identifier="lost" type="imsqti_item_xmlv3p0" href="items/lost.xml">
      <file href="items/lost.xml"/>
    </resource>
  </resources>""")
    package = zip_write(tmp_path / "package.zip", files)
    missing = {"where": "items/lost.xml", "reason": "The manifest lists a file the package doesn't contain."}

    code, summary = import_json(package)
    assert code == 1
    assert (summary["imported"], summary["rejected"]) == (0, [missing])
    assert Item.objects.count() == 0

    code, summary = import_json(package, "--skip-unsupported")
    assert code == 1
    assert (summary["imported"], summary["rejected"]) == (2, [missing])
    assert Item.objects.count() == 2


@pytest.mark.django_db
def test_images_in_choice_options_are_imported_too(catalog, tmp_path):
    png = image_bytes(color=(10, 120, 10))
    item = (PACKAGE / "items" / "chart_v3.xml").read_text().replace(
        '<qti-simple-choice identifier="down">Down</qti-simple-choice>',
        '<qti-simple-choice identifier="down">Down <img src="images/y.png" alt="down"/></qti-simple-choice>')
    package = zip_write(tmp_path / "package.zip", {"chart.xml": item, "images/x.png": image_bytes(),
                                                   "images/y.png": png})

    code, summary = import_json(package)

    assert (code, summary["imported"], summary["rejected"]) == (0, 1, [])
    (content,) = [stored(i) for i in Item.objects.all()]
    down = next(o for o in content.options if o.id == "down")
    assert ASSET_SRC.findall(down.html) == [hashlib.sha256(png).hexdigest()]
    assert Asset.objects.filter(sha256=hashlib.sha256(png).hexdigest()).exists()


# -- 6. dangerous markup never reaches the bank ----------------------------------------------------------------

@pytest.mark.django_db
def test_scripts_frames_handlers_and_javascript_links_are_stripped(catalog):
    item = import_one(FIXTURES / "unsafe_stem_v3.xml")

    markup = item.stem + "".join(o.html for o in item.options)
    for bad in ("<script", "<iframe", "onclick", "onmouseover", "javascript:", "alert(", "steal(", "evil.example"):
        assert bad not in markup.lower()
    assert "<p>Which protocol encrypts web traffic? <a" in item.stem
    assert ">hint</a></p>" in item.stem
    assert [(o.id, re.sub(r"<[^>]+>", "", o.html)) for o in item.options] == [("A", "HTTP"), ("B", "HTTPS")]
    assert item.key == ["B"]


@pytest.mark.django_db
def test_inline_feedback_inside_choices_does_not_become_option_text(catalog):
    # Feedback is for after the answer; in the option text it would tell candidates which one is right.
    item = import_one(FIXTURES / "mexican_president_v2p1.xml")

    assert item.key == ["MGH001C"]
    assert "Who is the President of Mexico?" in item.stem
    assert [(o.id, o.html.strip()) for o in item.options] == [
        ("MGH001A", "George W Bush"), ("MGH001B", "Tony Blair"), ("MGH001C", "Vicente Fox")]


# -- 7. export and re-import ----------------------------------------------------------------------------------

@pytest.fixture
def bank(catalog, make_user) -> list[Item]:
    """One item of every type: the spreadsheet template's examples, imported into the bank."""
    author = make_user(Role.ITEM_AUTHOR)
    cache: dict[str, dict[str, int]] = {}
    prepared = []
    for program, content in demo.template_examples():
        assert services.items_prepare(program, content, cache) == []
        prepared.append(services.PreparedItem(program, content))
    items = services.items_import(actor=author, prepared=prepared, source="t", standards_cache=cache)
    assert sorted(i.item_type for i in items) == sorted(c.ITEM_TYPES)
    return list(Item.objects.filter(pk__in=[i.pk for i in items]).order_by("pk"))


def export(tmp_path: Path) -> Path:
    out = tmp_path / "export.zip"
    code, text = run("export_items", out, "--format", "qti3")
    assert code == 0
    assert "items exported as qti3" in text
    return out


@pytest.mark.django_db
def test_export_reads_back_to_identical_content_for_every_type(bank, tmp_path):
    result = qti.qti_read(export(tmp_path))

    assert result.rejected == []
    read = {entry.identifier: services._clean(entry.content) for entry in result.items}
    assert set(read) == {f"item-{item.code}" for item in bank}
    for item in bank:
        original = stored(item)
        assert read[f"item-{item.code}"] == original, item.item_type
        assert original.standards, item.item_type  # so the manifest extension really had something to carry


@pytest.mark.django_db
def test_export_is_plain_qti3_with_the_standard_templates(bank, tmp_path):
    with zipfile.ZipFile(export(tmp_path)) as archive:
        names = set(archive.namelist())
        manifest = SafeET.fromstring(archive.read("imsmanifest.xml"))
        documents = {name: SafeET.fromstring(archive.read(name)) for name in names if name.startswith("items/")}

    resources = [r for r in manifest.iter() if r.tag.endswith("}resource")]
    assert {r.get("type") for r in resources} == {"imsqti_item_xmlv3p0"}
    assert {r.get("href") for r in resources} == set(documents)
    by_code = {f"items/item-{item.code}.xml": item for item in bank}
    assert set(documents) == set(by_code)
    for name, root in documents.items():
        item_type = by_code[name].item_type
        assert root.tag == QTI3 + "qti-assessment-item"
        assert root.get("identifier") == f"item-{by_code[name].code}"
        processing = root.find(QTI3 + "qti-response-processing")
        if item_type in (c.SINGLE_CHOICE, c.MULTIPLE_CHOICE, c.TRUE_FALSE):
            assert processing.get("template") == V3_TEMPLATES + "match_correct", item_type
            assert root.find(f"{QTI3}qti-item-body/{QTI3}qti-choice-interaction") is not None
        elif item_type == c.FILL_IN:
            assert processing.get("template") == V3_TEMPLATES + "map_response"
            assert root.find(f".//{QTI3}qti-text-entry-interaction") is not None
        else:
            assert processing is None, item_type


@pytest.mark.django_db
def test_export_imports_back_through_the_command_line_unchanged(bank, tmp_path):
    code, summary = import_json(export(tmp_path))

    assert code == 0
    assert (summary["imported"], summary["rejected"]) == (len(bank), [])
    copies = list(Item.objects.exclude(pk__in=[i.pk for i in bank]).order_by("pk"))
    assert [i.item_type for i in copies] == [i.item_type for i in bank]
    for original, copy in zip(bank, copies, strict=True):
        assert stored(copy) == stored(original), original.item_type
        assert copy.status == Item.Status.SUBMITTED


@pytest.mark.django_db
def test_single_exported_item_file_alone_keeps_stem_options_key_and_points(bank, tmp_path):
    (original_item,) = [i for i in bank if i.item_type == c.SINGLE_CHOICE]
    original = stored(original_item)
    with zipfile.ZipFile(export(tmp_path)) as archive:
        xml = archive.read(f"items/item-{original_item.code}.xml")
    path = tmp_path / "single.xml"
    path.write_bytes(xml)

    item = services._clean(read_one(path).content)

    assert item.item_type == c.SINGLE_CHOICE
    assert item.stem == original.stem
    assert item.options == original.options
    assert item.key == original.key == ["B"]
    assert item.points == original.points == 1
    assert item.scoring == c.EXACT


@pytest.mark.django_db
def test_map_scoring_multi_blank_fill_in_and_stem_images_survive_the_round_trip(catalog, tmp_path):
    png = image_bytes(color=(0, 0, 200))
    code, _summary = import_json(zip_write(tmp_path / "img.zip", {
        "chart.xml": (PACKAGE / "items" / "chart_v3.xml").read_bytes(), "images/x.png": png}))
    assert code == 0
    (pictured,) = Item.objects.all()
    multiple = c.ItemContent(
        item_type=c.MULTIPLE_CHOICE, stem="<p>Pick the primes &amp; nothing else &lt;10</p>", difficulty=4,
        options=[c.Option("A", "2"), c.Option("B", "4"), c.Option("C", "<strong>5</strong>")], key=["A", "C"],
        scoring=c.MAP, choice_map=rules.Mapping((rules.MapEntry("A", Decimal("1.5")), rules.MapEntry("C", Decimal(1)),
                                                 rules.MapEntry("B", Decimal(-1))),
                                                Decimal("-0.5"), Decimal(0), Decimal("2.5")))
    fill_in = c.ItemContent(
        item_type=c.FILL_IN, stem="<p>[[1]] wrote Hamlet; [[2]] wrote Faust.</p>", difficulty=2,
        blanks=[c.Blank([c.Answer("Shakespeare", Decimal(2), True), c.Answer("shakespeare", Decimal(1), False)]),
                c.Blank([c.Answer("Goethe", Decimal(1))], Decimal(0), None, Decimal(1))])
    cache: dict[str, dict[str, int]] = {}
    for content in (multiple, fill_in):
        assert services.items_prepare(PROGRAM, content, cache) == []
    services.items_import(actor=None, prepared=[services.PreparedItem(PROGRAM, multiple),
                                                services.PreparedItem(PROGRAM, fill_in)],
                          source="t", standards_cache=cache)
    originals = list(Item.objects.order_by("pk"))

    code, summary = import_json(export(tmp_path))

    assert (code, summary["imported"], summary["rejected"]) == (0, 3, [])
    copies = list(Item.objects.exclude(pk__in=[i.pk for i in originals]).order_by("pk"))
    for original, copy in zip(originals, copies, strict=True):
        assert stored(copy) == stored(original), original.item_type
    assert ASSET_SRC.findall(stored(pictured).stem) == [hashlib.sha256(png).hexdigest()]
    assert Asset.objects.count() == 1
    copied_fill_in = stored(copies[2])
    assert rules.score_fill_in([b.mapping() for b in copied_fill_in.blanks], ["shakespeare", "Goethe"]) == [1, 1]
    assert rules.map_response(stored(copies[1]).choice_map, ["A", "C", "B"]) == Decimal("1.5")


# -- 8. the command line ---------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_dry_run_checks_everything_and_writes_nothing(catalog, tmp_path):
    package = zip_write(tmp_path / "package.zip", package_files(image_bytes()))
    audit_before = len(audit_events())

    code, out = run("import_items", package, "--program", PROGRAM, "--dry-run")
    assert code == 0
    assert out.strip() == f"{package}: would import 2 items, rejected 0"

    code, summary = import_json(package, "--dry-run")
    assert code == 0
    assert (summary["dry_run"], summary["checked"], summary["imported"], summary["rejected"]) == (True, 2, 0, [])
    assert Item.objects.count() == 0
    assert ItemVersion.objects.count() == 0
    assert Asset.objects.count() == 0
    assert len(audit_events()) == audit_before


@pytest.mark.django_db
def test_dry_run_still_reports_rejections_with_exit_code_1(catalog, mixed_package):
    code, summary = import_json(mixed_package, "--dry-run")

    assert code == 1
    assert (summary["checked"], summary["imported"], summary["rejected"]) == (2, 0, [ORDER_REJECTED])
    assert Item.objects.count() == 0


@pytest.mark.django_db
def test_json_summary_is_valid_json_with_imported_and_rejected(catalog):
    code, out = run("import_items", FIXTURES / "text_entry_v3.xml", "--program", PROGRAM, "--json")

    assert code == 0
    summary = json.loads(out)
    assert {"imported", "rejected"} <= set(summary)
    assert (summary["format"], summary["imported"], summary["rejected"]) == ("qti", 1, [])
    assert Item.objects.count() == 1


@pytest.mark.django_db
def test_qti_import_needs_a_known_program(catalog):
    with pytest.raises(CommandError, match="pass --program CODE"):
        run("import_items", FIXTURES / "text_entry_v3.xml")
    with pytest.raises(CommandError, match="unknown program 'no-such-program'"):
        run("import_items", FIXTURES / "text_entry_v3.xml", "--program", "no-such-program")
    assert Item.objects.count() == 0
