"""An author and a reviewer in real Chromium: write a multiple-choice item with an image, submit it, get it
returned with a comment, fix it, get it approved, and preview it as a candidate. Screenshots: var/screenshots/."""

import io

import pytest
from django.core.management import call_command
from PIL import Image

from aigcert.accounts.api import Role
from aigcert.conftest import log_in, shot
from aigcert.itembank import services
from aigcert.itembank.models import Item

pytestmark = pytest.mark.browser


def _log_out(page):
    page.locator("header form[action$='/logout/'] button").click()
    page.wait_for_load_state()


@pytest.mark.django_db(transaction=True)
def test_author_and_reviewer_journey(live_server, browser_page, make_user, password, tmp_path):
    call_command("load_catalog", stdout=io.StringIO())
    author = make_user(Role.ITEM_AUTHOR)
    reviewer = make_user(Role.ITEM_REVIEWER)
    for user, email in ((author, "author@example.com"), (reviewer, "reviewer@example.com")):
        user.email = email
        user.save()
    image_path = tmp_path / "diffusion.png"
    Image.new("RGB", (320, 120), (40, 90, 200)).save(image_path)
    page, base = browser_page, live_server.url

    # The author writes a multiple-choice item with an image.
    log_in(page, base, author.email, password)
    page.goto(base + "/staff/")
    page.get_by_role("link", name="打开题库").click()
    assert page.locator("h1").inner_text() == "题库"
    page.get_by_role("link", name="编写题目").click()
    page.locator("#id_program").select_option("aigc-general")
    page.locator("#id_item_type").select_option("multiple_choice")
    page.locator("main form button[type=submit]").click()
    page.locator("#id_stem").fill("下图所示的去噪过程属于哪些模型的思想？")
    for field, text in (("a", "扩散模型"), ("b", "Stable Diffusion"), ("c", "K-means"), ("d", "决策树")):
        page.locator(f"#id_option_{field}").fill(text)
    for letter in ("A", "B", "D"):
        page.locator(f"input[name=key][value={letter}]").check()
    page.locator("#id_points").fill("2")
    page.locator("#id_scoring").select_option("partial")
    page.locator("input[name=standards][value='A1.3']").check()
    page.locator("#id_explanation").fill("扩散模型通过逐步去噪生成图像，Stable Diffusion 是其代表。")
    page.locator("#id_images").set_input_files(str(image_path))
    shot(page, "item-01-author-writes")
    page.locator("main form.item-form button[type=submit]").click()
    assert page.locator("#item-status").inner_text() == "草稿"
    image_url = page.locator(".exam-stem img").get_attribute("src")
    response = page.request.get(base + image_url)
    assert response.status == 200 and response.headers["content-type"] == "image/png", response.status
    page.wait_for_function("() => document.querySelector('.exam-stem img').complete")
    assert page.locator(".exam-stem img").evaluate("img => img.naturalWidth") == 320
    item = Item.objects.get()
    detail = page.url

    page.locator("form[action$='/submit/'] button").click()
    assert page.locator("#item-status").inner_text() == "待审核"
    assert page.get_by_role("button", name="通过").count() == 0  # authors can't review their own item
    _log_out(page)

    # The reviewer returns it with a comment.
    log_in(page, base, reviewer.email, password)
    page.goto(detail)
    page.locator("#return-comment").fill("选项 D 与题干无关，请换成一个有迷惑性的生成模型干扰项。")
    page.locator("form[action$='/return/'] button").click()
    assert page.locator("#item-status").inner_text() == "已退回"
    shot(page, "item-02-reviewer-returned")
    _log_out(page)

    # The author reads the comment, fixes the item and submits it again.
    log_in(page, base, author.email, password)
    page.goto(detail)
    assert "选项 D 与题干无关" in page.locator(".review-comment").inner_text()
    page.get_by_role("link", name="编辑").click()
    page.locator("#id_option_d").fill("GAN（生成对抗网络）")
    page.locator("input[name=key][value=D]").uncheck()
    page.locator("main form.item-form button[type=submit]").click()
    page.locator("form[action$='/submit/'] button").click()
    assert page.locator("#item-status").inner_text() == "待审核"
    _log_out(page)

    # The reviewer approves it.
    log_in(page, base, reviewer.email, password)
    page.goto(detail)
    page.locator("form[action$='/approve/'] button").click()
    assert page.locator("#item-status").inner_text() == "已通过"
    shot(page, "item-03-approved")

    # The preview shows what a candidate will see: the options and the image, no key, no explanation.
    page.get_by_role("link", name="以考生视角预览").click()
    preview = page.locator(".exam-item")
    assert preview.locator("input[type=checkbox][name=response]").count() == 4
    assert preview.locator(".option-text").all_inner_texts() == ["扩散模型", "Stable Diffusion", "K-means",
                                                                "GAN（生成对抗网络）"]
    page.wait_for_function("() => document.querySelector('.exam-stem img').complete")
    assert preview.locator(".exam-stem img").evaluate("img => img.naturalWidth") == 320
    text = page.locator("main").inner_text()
    assert "✓" not in text and "逐步去噪生成图像" not in text
    shot(page, "item-04-candidate-preview")

    item.refresh_from_db()
    assert item.status == "approved" and item.head.number == 1
    content = services.version_content(item.live)
    assert content.key == ["A", "B"] and content.scoring == "partial"
    assert content.options[3].html == "<p>GAN（生成对抗网络）</p>"
