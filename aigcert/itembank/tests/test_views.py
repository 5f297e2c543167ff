"""Staff pages: who may see what, writing through the form (with an image), preview, search, bulk actions."""

import io
import re

import pytest
from django.urls import reverse
from PIL import Image

from aigcert.accounts.api import Role
from aigcert.itembank import services
from aigcert.itembank.demo import template_examples
from aigcert.itembank.models import Asset, Item

pytestmark = pytest.mark.usefixtures("catalog")
LIST = reverse("itembank:item_list")


def _png(color=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), color).save(buffer, "PNG")
    return buffer.getvalue()


def _upload(name, data, content_type="image/png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)


def _create(author, item_type="single_choice"):
    program, content = next((p, i) for p, i in template_examples() if i.item_type == item_type)
    return services.item_create(actor=author, program_code=program, content=content)


def _mc_form(**extra):
    data = {"stem": "以下哪些属于生成式模型？", "option_a": "GAN", "option_b": "扩散模型", "option_c": "K-means",
            "option_d": "VAE", "key": ["A", "B", "D"], "points": "2", "scoring": "partial",
            "partial_credit": "0.5", "difficulty": "3", "standards": ["A1.3"], "explanation": "K-means 是聚类算法。"}
    data.update(extra)
    return data


NEW_MC = reverse("itembank:item_new") + "?program=aigc-general&item_type=multiple_choice"


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get(LIST)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("role", [Role.CANDIDATE, Role.EMPLOYER, Role.ORG_ADMIN, Role.PROCTOR, Role.MARKER])
def test_people_outside_the_bank_get_403(client, make_user, role, item_author):
    item = _create(item_author)
    client.force_login(make_user(role))
    for url in (LIST, reverse("itembank:item_detail", args=[item.code]),
                reverse("itembank:item_preview", args=[item.code]), reverse("itembank:template"),
                reverse("itembank:export") + "?format=xlsx"):
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("role", [Role.ITEM_AUTHOR, Role.ITEM_REVIEWER, Role.EXAM_ADMIN, Role.STAFF])
def test_bank_roles_see_the_bank(client, make_user, role, item_author):
    item = _create(item_author)
    client.force_login(make_user(role))
    assert client.get(LIST).status_code == 200
    assert client.get(reverse("itembank:item_detail", args=[item.code])).status_code == 200


def test_unknown_items_are_404(client, item_author):
    client.force_login(item_author)
    assert client.get("/staff/items/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/staff/items/not-a-uuid/").status_code == 404


def test_reviewers_cannot_open_the_writing_form(client, item_reviewer):
    client.force_login(item_reviewer)
    assert client.get(NEW_MC).status_code == 403


def test_author_writes_a_multiple_choice_item_with_an_image(client, item_author):
    client.force_login(item_author)
    response = client.post(NEW_MC, _mc_form(images=_upload("diagram.png", _png())))
    item = Item.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/staff/items/{item.code}/")
    content = services.version_content(item.head)
    asset = Asset.objects.get()
    assert f'<img src="/itembank/assets/{asset.sha256}.png"' in content.stem
    assert content.key == ["A", "B", "D"] and content.scoring == "partial" and str(content.partial_credit) == "0.5"
    assert content.standards == ["A1.3"]
    image = client.get(f"/itembank/assets/{asset.sha256}.png")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert b"".join(image.streaming_content) == _png()


@pytest.mark.parametrize(("name", "data"), [
    ("fake.png", b"<script>alert(1)</script>"),
    ("photo.jpg", None),  # a real PNG named .jpg
    ("vector.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
])
def test_images_whose_content_does_not_match_are_rejected(client, item_author, name, data):
    client.force_login(item_author)
    response = client.post(NEW_MC, _mc_form(images=_upload(name, data if data is not None else _png())))
    assert response.status_code == 200
    assert response.context["form"].errors["images"]
    assert Item.objects.count() == 0 and Asset.objects.count() == 0


def test_form_shows_problems_next_to_their_fields_and_saves_nothing(client, item_author):
    client.force_login(item_author)
    response = client.post(NEW_MC, _mc_form(key=[], stem=" "))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "stem" in errors and "key" in errors
    assert Item.objects.count() == 0


def test_hostile_markup_is_stripped_from_the_stem(client, item_author):
    client.force_login(item_author)
    client.post(NEW_MC, _mc_form(stem='<p onmouseover="x()">题干<script>alert(1)</script>'
                                      '<iframe src="//evil"></iframe><a href="javascript:x()">链接</a></p>'))
    stem = Item.objects.get().head.stem
    for bad in ("onmouseover", "<script", "<iframe", "javascript:"):
        assert bad not in stem
    assert "题干" in stem


def test_preview_shows_the_candidate_view_without_the_key(client, item_author):
    client.force_login(item_author)
    client.post(NEW_MC, _mc_form(explanation="解析：K-means 是聚类算法，不是生成式模型。"))
    item = Item.objects.get()
    page = client.get(reverse("itembank:item_preview", args=[item.code])).content.decode()
    assert 'type="checkbox" name="response" value="A"' in page
    assert "扩散模型" in page
    assert "聚类算法" not in page and "✓" not in page
    detail = client.get(reverse("itembank:item_detail", args=[item.code])).content.decode()
    assert "✓" in detail and "聚类算法" in detail  # staff see the key and explanation on the item page


def test_search_and_filters(client, item_author, item_reviewer):
    single = _create(item_author, "single_choice")
    fill = _create(item_author, "fill_in")
    essay = _create(item_author, "essay")
    services.item_submit(actor=item_author, item=fill)
    client.force_login(item_reviewer)

    def codes(**params):
        page = client.get(LIST, params).context["page"]
        return {item.code for item in page}

    assert codes() == {single.code, fill.code, essay.code}
    assert codes(item_type="fill_in") == {fill.code}
    assert codes(status="submitted") == {fill.code}
    assert codes(q="Transformer") == {single.code}
    assert codes(program="aigc-general", standard="A1.3") == {single.code, fill.code}
    assert codes(difficulty=3) == {essay.code}
    assert codes(program="aigc-professional") == set()


def test_bulk_retire_from_the_list(client, item_author, item_reviewer):
    items = [_create(item_author) for _ in range(3)]
    client.force_login(item_reviewer)
    response = client.post(reverse("itembank:item_bulk"), {
        "action": "retire", "reason": "题目过时", "items": [str(items[0].code), str(items[1].code)], "next": LIST})
    assert response.status_code == 302
    assert sorted(Item.objects.values_list("status", flat=True)) == ["draft", "retired", "retired"]


def test_bulk_retire_needs_the_role(client, item_author):
    item = _create(item_author)
    client.force_login(item_author)
    client.post(reverse("itembank:item_bulk"), {"action": "retire", "reason": "x", "items": [str(item.code)]})
    assert Item.objects.get().status == "draft"


def test_review_actions_through_the_pages(client, item_author, item_reviewer):
    item = _create(item_author)
    client.force_login(item_author)
    client.post(reverse("itembank:item_action", args=[item.code, "submit"]))
    page = client.get(reverse("itembank:item_detail", args=[item.code])).content.decode()
    assert "another reviewer" in page or "其他审题员" in page or "审" in page
    client.force_login(item_reviewer)
    client.post(reverse("itembank:item_action", args=[item.code, "return"]), {"comment": "请补充解析"})
    item.refresh_from_db()
    assert item.status == "returned"
    client.force_login(item_author)
    page = client.get(reverse("itembank:item_detail", args=[item.code])).content.decode()
    assert "请补充解析" in page
    response = client.post(reverse("itembank:item_action", args=[item.code, "approve"]))
    item.refresh_from_db()
    assert item.status == "returned" and response.status_code == 302


def test_edit_form_round_trips_an_item_unchanged(client, item_author):
    for item_type in ("single_choice", "multiple_choice", "true_false", "fill_in", "essay", "work_upload",
                      "program", "prompt_task"):
        item = _create(item_author, item_type)
        before = services.version_content(item.head)
        client.force_login(item_author)
        url = reverse("itembank:item_edit", args=[item.code])
        form = client.get(url).context["form"]
        data = {}
        for name, field in form.fields.items():
            value = form.initial.get(name, field.initial)
            if value is None or name == "images":
                continue
            data[name] = value if isinstance(value, list) else str(value)
        if item_type == "fill_in":
            data.pop("case_sensitive") if data.get("case_sensitive") == "False" else None
        response = client.post(url, data)
        assert response.status_code == 302, (item_type, response.context["form"].errors if response.context else "")
        item.refresh_from_db()
        after = services.version_content(item.head)
        assert after == before, item_type


def test_list_has_links_for_template_and_exports(client, item_author):
    client.force_login(item_author)
    page = client.get(LIST).content.decode()
    assert re.search(r'href="/staff/items/template\.xlsx"', page)
    assert "format=qti3" in page and "format=xlsx" in page
