"""A visitor's first journey in real Chromium: browse in Chinese, switch to English, open a program,
sign up, log in, open the personal center, log out. Screenshots go to var/screenshots/ (README)."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from aigcert.conftest import shot

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_visitor_journey(live_server, browser_page):
    call_command("load_catalog", stdout=io.StringIO())
    User = get_user_model()
    page = browser_page
    page.goto(live_server.url + "/")
    # Chinese by default even though this browser asks for English.
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.locator("h1").inner_text() == "AIGC 技能培训与认证"
    shot(page, "01-home-zh")

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="认证项目").click()
    assert page.locator("h1").inner_text() == "认证项目"
    assert page.get_by_role("link", name="AIGC技能（通用级）").count() == 1
    page.get_by_label("系列").select_option("aigc-skills")
    page.get_by_label("方向").select_option("design")
    page.get_by_role("button", name="筛选").click()
    assert page.locator(".card h2").all_inner_texts() == ["AIGC设计方向（专业级）"]
    shot(page, "02-programs-zh-filtered")

    page.get_by_role("button", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Programs").click()
    assert page.locator("h1").inner_text() == "Certification programs"
    shot(page, "03-programs-en")

    page.get_by_role("link", name="AIGC Skills (General)").click()
    assert page.locator("h1").inner_text() == "AIGC Skills (General)"
    fees = page.locator("#fees").inner_text()
    assert "¥798" in fees and "¥498" in fees and "¥300" in fees
    assert "60 minutes" in page.locator("#exam").inner_text()
    shot(page, "04-program-general-en")

    page.get_by_role("link", name="Sign up to register").click()
    page.get_by_label("Mobile number or email").fill("13912345678")
    page.get_by_label("Password", exact=True).fill("Lantern-Orchid-77")
    page.get_by_label("Confirm password").fill("Lantern-Orchid-78")
    page.get_by_label("I have read and agree").check()
    page.get_by_role("button", name="Sign up").click()
    assert "The two passwords do not match." in page.locator(".errorlist").inner_text()
    assert not User.objects.filter(phone="13912345678").exists()
    shot(page, "05-signup-error-en")

    page.get_by_label("Password", exact=True).fill("Lantern-Orchid-77")
    page.get_by_label("Confirm password").fill("Lantern-Orchid-77")
    page.get_by_role("button", name="Sign up").click()
    assert page.locator("h1").inner_text() == "My center"
    assert User.objects.filter(phone="13912345678").exists()
    for section in ("My programs", "My exams", "My results", "My certificates"):
        assert page.get_by_role("heading", name=section).count() == 1
    shot(page, "06-center-after-signup")

    page.get_by_role("button", name="Log out").click()
    assert page.get_by_role("link", name="Log in").count() == 1

    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Mobile number or email").fill("139 1234 5678")
    page.get_by_label("Password").fill("Lantern-Orchid-77")
    page.get_by_role("button", name="Log in").click()
    assert page.locator("h1").inner_text() == "My center"
    shot(page, "07-center-after-login")

    page.get_by_role("button", name="Log out").click()
    page.goto(live_server.url + "/me/")
    assert "/accounts/login/" in page.url
    shot(page, "08-logged-out")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/programs/aigc-professional/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, "09-program-professional-phone")
