"""Every seed fact about fees, durations and pass marks reaches the public program page."""

import re

import pytest
from django.urls import reverse

# Values from seed 000 (the official notice), written out here on purpose: if the data file or the
# page drifts from the seed, these tests fail.
SEED_PROGRAMS = [
    # code, total, deposit, balance, minutes, study-time text (zh)
    ("aigc-general", "798", "498", "300", 60, "1 周"),
    ("aigc-professional", "4,680", "3,999", "681", 90, "2–3 周"),
    ("aigc-mentor", "7,980", "6,980", "1,000", 90, "3–4 周"),
    ("aigc-design-pro", "4,680", "3,999", "681", 90, "2–3 周"),
    ("aigc-anime-pro", "4,680", "3,999", "681", 90, "2–3 周"),
]


def text_of(response) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def section(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}".*?</(table|dl|ul)>', html, re.S)
    assert match, element_id
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0)))


@pytest.mark.parametrize(("code", "total", "deposit", "balance", "minutes", "study"), SEED_PROGRAMS)
def test_seed_fees_duration_and_pass_mark_on_the_program_page(client, catalog, code, total, deposit, balance,
                                                               minutes, study):
    response = client.get(reverse("catalog:program_detail", args=[code]))
    assert response.status_code == 200
    html = response.content.decode()
    fees = section(html, "fees")
    assert f"总费用 ¥{total} " in fees
    assert f"首款（报名时缴纳） ¥{deposit} " in fees
    assert f"尾款（考试通过后缴纳，领取证书） ¥{balance} " in fees
    assert "¥199" in fees
    exam = section(html, "exam")
    assert f"{minutes} 分钟" in exam
    assert "及格分 60" in exam and "总分 100" in exam
    assert "10 天" in exam and "15–40" in exam
    assert "每月一次：上午场 09:00、下午场 14:00" in exam
    assert study in section(html, "study")


def test_general_level_is_objective_only_and_professional_adds_subjective(client, catalog):
    general = section(client.get(reverse("catalog:program_detail", args=["aigc-general"])).content.decode(), "exam")
    assert "单选题" in general and "多选题" in general and "判断题" in general
    assert "论文" not in general and "编程" not in general
    client.cookies["aigcert_language"] = "en"
    pro = section(client.get(reverse("catalog:program_detail", args=["aigc-professional"])).content.decode(),
                  "exam")
    assert "Single choice" in pro and "Essay" in pro and "Work upload" in pro and "Programming" in pro


def test_english_page_shows_the_same_numbers_in_english(client, catalog):
    client.cookies["aigcert_language"] = "en"
    html = client.get(reverse("catalog:program_detail", args=["aigc-general"])).content.decode()
    assert "AIGC Skills (General)" in html
    assert "Total ¥798" in section(html, "fees")
    exam = section(html, "exam")
    assert "60 minutes" in exam and "Pass mark 60" in exam and "10 days after the exam" in exam
    assert "Monthly: Morning 09:00, Afternoon 14:00" in exam
    assert "Single choice, Multiple choice, True/false" in exam


def test_syllabus_and_standard_are_on_the_page(client, catalog):
    text = text_of(client.get(reverse("catalog:program_detail", args=["aigc-general"])))
    for title in ("AIGC行业概述", "Transformer与ChatGPT", "AIGC岗位能力测评备考指南（通用级）"):
        assert title in text
    assert "掌握提示词的书写方式与优化技巧" in text


def test_announced_program_is_shown_but_not_open(client, catalog):
    text = text_of(client.get(reverse("catalog:program_detail", args=["aigc-expert"])))
    assert "AIGC技能（专家级）" in text
    assert "暂未开放报名" in text
    assert "注册并报名" not in text


def test_assumed_values_are_marked_as_platform_defaults(client, catalog):
    text = text_of(client.get(reverse("catalog:program_detail", args=["aigc-engineer-junior"])))
    assert "参考价" in text
    assert "以下为平台默认设置，以官方公布为准：考试时长、总分、及格分" in text
    general = text_of(client.get(reverse("catalog:program_detail", args=["aigc-general"])))
    assert "以下为平台默认设置，以官方公布为准：场次开考时间、每场考位数、预约截止时间、准考证下载时间。" in general
    assert "参考价" in text_of(client.get(reverse("portal:home")))


def test_prerequisites_are_listed(client, catalog):
    client.cookies["aigcert_language"] = "en"
    html = client.get(reverse("catalog:program_detail", args=["aigc-engineer-senior"])).content.decode()
    options = section(html, "prerequisites")
    assert "AIGC Application Engineer (Intermediate)" in options
    assert "At least 3 years of AIGC work experience" in options


def test_unknown_program_is_404(client, catalog):
    assert client.get(reverse("catalog:program_detail", args=["no-such-program"])).status_code == 404


def test_program_list_filters_by_series_and_direction(client, catalog):
    url = reverse("catalog:program_list")
    every = client.get(url).context["programs"]
    assert len(every) == 10
    skills = {p.code for p in client.get(url, {"series": "aigc-skills"}).context["programs"]}
    assert skills == {"aigc-general", "aigc-professional", "aigc-mentor", "aigc-expert", "aigc-design-pro",
                      "aigc-anime-pro"}
    design = [p.code for p in client.get(url, {"series": "aigc-skills", "direction": "design"}).context["programs"]]
    assert design == ["aigc-design-pro"]
    engineers = [p.code for p in client.get(url, {"series": "aigc-app-engineer"}).context["programs"]]
    assert engineers == ["aigc-engineer-junior", "aigc-engineer-intermediate", "aigc-engineer-senior"]


def test_program_page_query_count_is_fixed(client, catalog, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        client.get(reverse("catalog:program_detail", args=["aigc-mentor"]))


def test_retake_line_follows_the_fee_schedule(client, catalog):
    from aigcert.catalog.models import FeeSchedule

    FeeSchedule.objects.filter(program__code="aigc-general").update(free_retakes=0, retake_fee_fen=25000)
    fees = section(client.get(reverse("catalog:program_detail", args=["aigc-general"])).content.decode(), "fees")
    assert "每次补考 ¥250" in fees
    assert "免费" not in fees
