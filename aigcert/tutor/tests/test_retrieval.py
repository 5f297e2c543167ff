"""Segmentation and BM25 ranking. No database."""

from aigcert.tutor import retrieval


def test_chinese_is_segmented_and_function_words_dropped():
    found = retrieval.tokens("提示词应该怎么写？ChatGPT的Prompts")
    assert "提示" in found and "chatgpt" in found and "prompt" in found
    assert "的" not in found and "怎么" not in found and "？" not in found


def test_english_questions_pick_up_the_courses_chinese_terms():
    found = retrieval.query_tokens("Who came up with GANs?")
    assert "生成" in found and "对抗" in found and "提出" in found


def test_ranking_prefers_the_passage_about_the_question_and_keeps_to_kinds():
    index = retrieval.PassageIndex([
        (1, retrieval.tokens("生成对抗网络由生成器和判别器组成，两者相互博弈"), "lesson"),
        (2, retrieval.tokens("提示词要写清角色、任务、格式和限制条件"), "lesson"),
        (3, retrieval.tokens("判别器判断图片真假的练习题解析"), "practice"),
    ])
    assert {pk for pk, _ in index.search(retrieval.query_tokens("判别器是干什么的"), k=3)} == {1, 3}
    assert [pk for pk, _ in index.search(retrieval.query_tokens("判别器"), k=3, kinds={"lesson"})] == [1]
    assert [pk for pk, _ in index.search(retrieval.query_tokens("判别器"), k=3, kinds={"practice"})] == [3]
    assert [pk for pk, _ in index.search(retrieval.query_tokens("提示词怎么写"), k=1)] == [2]
    assert index.search(retrieval.query_tokens("量子力学"), k=3) == []
    assert retrieval.PassageIndex([]).search(["x"]) == []
