"""Retrieval quality over the fictional Maple Street Dental KB, with the real MiniLM model."""


import pytest

from appliance.knowledge import KnowledgeBase


@pytest.mark.parametrize(("question", "source", "expected"), [
    ("What are your opening hours?", "clinic.md", "Monday to Friday from 8 am"),
    ("Are you open on Saturday?", "clinic.md", "Saturday from 9 am"),
    ("Are you open over Christmas?", "clinic.md", "Christmas Eve"),
    ("How much does a check-up cost?", "clinic.md", "check-up costs 45 euros"),
    ("How much is teeth whitening?", "clinic.md", "whitening costs 350 euros"),
    ("Where can I park my car?", "clinic.md", "Free parking"),
    ("What is your address?", "clinic.md", "42 Maple Street"),
    ("Do you take my insurance?", "faq.csv", "public health insurance"),
    ("How do I cancel my appointment?", "faq.csv", "24 hours"),
    ("Who does implants?", "team.txt", "Samuel Ortiz"),
])
def test_top_passage_answers(dental_kb: KnowledgeBase, question: str, source: str,
                             expected: str) -> None:
    top = dental_kb.search(question, k=3)
    assert top[0].source == source and expected in top[0].text, [
        (p.score, p.text[:60]) for p in top]
    assert top[0].score > 0.2


def test_heading_prefix_reaches_the_index(dental_kb: KnowledgeBase) -> None:
    top = dental_kb.search("Where can I park?", k=1)[0]
    assert top.text.startswith("Maple Street Dental > Location > Parking: ")
