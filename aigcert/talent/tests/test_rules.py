"""Pure rules: no database."""

import pytest

from aigcert.talent import rules

LINK_MAX = 300


@pytest.mark.parametrize("code", ["91350100M000100Y43", "9144030071526726XG", "91110108551385082Q"])
def test_real_credit_codes_pass_the_check(code):
    assert rules.uscc_valid(code)


@pytest.mark.parametrize("code", [
    "91350100M000100Y44",   # wrong check character
    "91110108551385082",    # 17 characters
    "91110108551385082QQ",  # 19
    "91110108551385O82Q",   # O is not in the alphabet
    "",
])
def test_wrong_credit_codes_fail(code):
    assert not rules.uscc_valid(code)


def test_a_mistyped_character_is_caught():
    good = "91110108551385082Q"
    for position in range(17):
        for replacement in "0123456789ABCDEFGHJKLMNPQRTUWXY":
            if replacement != good[position]:
                bad = good[:position] + replacement + good[position + 1:]
                assert not rules.uscc_valid(bad), bad


def test_credit_code_typed_loosely_is_normalized():
    assert rules.uscc_normalize(" ９１１１０１０８-5513 85082q ") == "91110108551385082Q"


def test_check_character_refuses_foreign_characters():
    assert rules.uscc_check_character("9111010855138508I") is None
    assert rules.uscc_check_character("short") is None


@pytest.mark.parametrize("url", [
    "https://works.example.com/me",
    "https://www.zcool.com.cn/u/123?tab=works#top",
    "https://example.com:8443/portfolio",
])
def test_https_links_to_public_sites_are_allowed(url):
    assert rules.link_valid(url, max_chars=LINK_MAX)


@pytest.mark.parametrize("url", [
    "http://works.example.com/me",          # not https
    "javascript:alert(1)",
    "https://user:pass@example.com/",       # credentials
    "https://example.com@evil.example/",
    "https://localhost/me",                 # no public host name
    "https://127.0.0.1/me",
    "https://[::1]/me",
    "https://10.0.0.8/admin",
    "https://exa mple.com/",
    "https://example.com/\nnext",
    "https://example.com:99999/",
    "//example.com/me",
    "https://.example.com/",
    "",
])
def test_other_links_are_refused(url):
    assert not rules.link_valid(url, max_chars=LINK_MAX)


def test_links_are_limited_in_length():
    assert not rules.link_valid("https://example.com/" + "a" * LINK_MAX, max_chars=LINK_MAX)


@pytest.mark.parametrize(("name", "masked"), [
    ("张三", "张*"), ("张小三", "张*三"), ("欧阳小明", "欧**明"), ("李", "*"), ("", ""), (" 王五 ", "王*"),
    ("John Smith", "J********h"),
])
def test_names_are_masked(name, masked):
    assert rules.mask_name(name) == masked


def test_display_name_follows_the_holders_choice():
    assert rules.display_name("张小三", rules.NAME_MASKED) == "张*三"
    assert rules.display_name("张小三", rules.NAME_FULL) == "张小三"


def test_skill_keys():
    assert rules.skill_key("aigc-general", "A1.1") == "aigc-general:A1.1"
    assert rules.skill_split("aigc-general:A1.1") == ("aigc-general", "A1.1")
    assert rules.skill_split("nonsense") is None
    assert rules.skill_split(":A1") is None
    assert rules.skills_outside({"a:1", "b:2"}, {"a:1"}) == {"b:2"}


def test_only_open_requests_are_answered_and_pages_are_capped():
    assert rules.can_answer(rules.OPEN)
    assert not any(rules.can_answer(s) for s in (rules.ACCEPTED, rules.DECLINED, rules.CLOSED))
    assert rules.page_allowed(10, 10) and not rules.page_allowed(11, 10) and not rules.page_allowed(0, 10)
