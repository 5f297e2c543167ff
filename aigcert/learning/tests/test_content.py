"""Lesson text: Markdown rendering, sanitizing, and the section anchors citations point at. No database."""

import re
from html.parser import HTMLParser

from aigcert.learning import content

HOSTILE = """开头

## 是什么
<script>alert(1)</script> **粗体** <img src=x onerror=alert(2)>

[点我](javascript:alert(3)) ![外链](https://cdn.example.com/x.png) ![本站](/learn/files/abc/)

```
## 代码块里的井号不是标题
```

## 示例 <b onclick=x>
| 列 | 值 |
|---|---|
| a | 1 |
"""


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_rendering_keeps_no_script_no_handlers_no_foreign_images():
    html = content.markdown_render(HOSTILE)
    parser = _Tags()
    parser.feed(html)
    assert {tag for tag, _attrs in parser.tags} <= {"p", "h2", "strong", "img", "pre", "code", "table", "thead",
                                                     "tbody", "tr", "th", "td"}
    attributes = {name for _tag, attrs in parser.tags for name in attrs}
    assert attributes <= {"id", "src", "alt"}  # no event handler, no href to javascript:, no style
    assert [a["src"] for tag, a in parser.tags if tag == "img"] == ["/learn/files/abc/"]
    assert "cdn.example.com" not in html
    assert '<img src="/learn/files/abc/" alt="本站">' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text, not run
    assert "<strong>粗体</strong>" in html and "<table>" in html


def test_every_section_heading_gets_the_anchor_sections_report():
    html = content.markdown_render(HOSTILE)
    found = content.sections(HOSTILE)
    assert [s.anchor for s in found] == ["", "s-1", "s-2"]
    assert [s.heading for s in found][1:] == ["是什么", "示例 <b onclick=x>"]
    for section in found[1:]:
        assert f'<h2 id="{section.anchor}">' in html
    assert html.count("<h2") == 2  # the "##" inside the code block is code
    assert "代码块里的井号不是标题" in found[1].text


def test_embed_urls_need_https_and_an_allowed_host():
    hosts = {"player.bilibili.com"}
    assert content.embed_url_allowed("https://player.bilibili.com/player.html?bvid=1", hosts)
    assert not content.embed_url_allowed("http://player.bilibili.com/player.html", hosts)
    assert not content.embed_url_allowed("https://evil.example/player.bilibili.com", hosts)
    assert not content.embed_url_allowed("https://x.player.bilibili.com/", hosts)
    assert not content.embed_url_allowed("javascript:alert(1)", hosts)


def test_anchors_match_the_page_for_every_kind_of_heading():
    text = "导言\n\n第一节\n---\n正文一\n\n  ## 第二节\n正文二\n\n> ## 引用里的标题\n\n## 第四节\n正文四"
    html = content.markdown_render(text)
    found = content.sections(text)
    page_headings = dict(re.findall(r'<h2 id="(s-\d)">(.*?)</h2>', html))
    assert {s.anchor: s.heading for s in found if s.anchor} == page_headings
    assert [s.anchor for s in found] == ["", "s-1", "s-2", "s-3", "s-4"]
    assert found[4].text == "正文四" and found[1].text == "正文一"
