"""The real corpus (knowledge/faq), when present: schema, ids, topic coverage, size, agreement with the
lending core's configured figures."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from knowledge.config import PACKAGE_DIR, REPO_ROOT
from knowledge.corpus import Corpus, load_corpus, load_topics

FAQ_DIR = PACKAGE_DIR / "faq"
TOPICS_FILE = REPO_ROOT / "docs" / "faq_topics.md"
RULES_DOC = REPO_ROOT / "docs" / "product_rules.md"
_TIME = re.compile(r"(?<!\d)([01]?\d|2[0-4]):[0-5]\d(?!\d)")


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    if not FAQ_DIR.is_dir() or not any(FAQ_DIR.glob("*.y*ml")):
        pytest.skip("the real corpus knowledge/faq/*.yaml is not there yet")
    return load_corpus(FAQ_DIR)  # validates the schema and refuses duplicate ids


def lending_rules() -> Any:
    """The lending core's configured figures (its pydantic settings)."""
    from lending_core.config import Settings

    return Settings().rules


def service_hours() -> dict[str, tuple[str, str]]:
    """Agent and branch hours from the product rules' service-hours table (the core does not hold them)."""
    text = RULES_DOC.read_text(encoding="utf-8")
    hours = {}
    for who in ("live agents", "branches"):
        match = re.search(rf"\|\s*{who}\s*\|[^|\n]*?(\d\d:\d\d) to (\d\d:\d\d)", text)
        assert match, f"no hours for {who} in {RULES_DOC}"
        hours[who] = (match.group(1), match.group(2))
    return hours


def amount_forms(value: Decimal) -> tuple[list[str], list[str]]:
    """How an amount in yuan is written in Chinese and English answers."""
    n = int(value)
    zh = [f"{n:,}元", f"{n}元"]
    if n % 10_000 == 0:
        zh.append(f"{n // 10_000}万")
    en = [f"{n:,}", str(n)]
    if n % 1_000_000 == 0:
        en.append(f"{n // 1_000_000} million")
    return zh, en


def _answers(corpus: Corpus, topic: str, lang: str) -> list[str]:
    texts = [e.answer(lang) for e in corpus.entries if e.topic == topic]
    assert texts, f"no entry for {topic}"
    return texts


def _amounts_zh(text: str) -> set[int]:
    found = set()
    for number, wan in re.findall(r"(\d[\d,]*(?:\.\d+)?)\s*(万)?元", text):
        value = Decimal(number.replace(",", "")) * (10_000 if wan else 1)
        found.add(int(value))
    return found


def _amounts_en(text: str) -> set[int]:
    found = set()
    for number, million in re.findall(r"(\d[\d,]*(?:\.\d+)?)\s*(million)?\s*(?:yuan|RMB)", text):
        found.add(int(Decimal(number.replace(",", "")) * (1_000_000 if million else 1)))
    return found


def test_real_corpus_size_and_topic_coverage(corpus: Corpus) -> None:
    assert len(corpus) >= 150
    topics = load_topics(TOPICS_FILE)
    missing = sorted(set(topics) - corpus.topics)
    assert not missing, f"topics without an entry: {missing}"
    unknown = sorted(corpus.topics - set(topics))
    assert not unknown, f"entries with topics not in docs/faq_topics.md: {unknown}"


def test_amount_answers_agree_with_the_lending_core(corpus: Corpus) -> None:
    check_amounts(corpus, lending_rules())


def test_the_check_catches_a_changed_figure(corpus: Corpus) -> None:
    entries = list(corpus.entries)
    i = next(n for n, e in enumerate(entries) if e.topic == "loan.amount_limit")
    answers = dict(entries[i].answers)
    answers["zh"] += "单笔最高2000万元。"
    entries[i] = replace(entries[i], answers=answers)
    with pytest.raises(AssertionError, match="20000000"):
        check_amounts(Corpus(tuple(entries)), lending_rules())


def check_amounts(corpus: Corpus, rules: Any) -> None:
    """Assert the loan.amount_limit answers state the configured amounts and no other amount."""
    figures = [rules.application_amount_min, rules.application_amount_max, rules.online_amount_limit]
    allowed = {int(v) for v in (*figures, rules.drawdown_min, rules.drawdown_daily_max)}
    zh, en = _answers(corpus, "loan.amount_limit", "zh"), _answers(corpus, "loan.amount_limit", "en")
    for value in figures:
        zh_forms, en_forms = amount_forms(value)
        assert any(f in a for a in zh for f in zh_forms), f"no zh amount_limit answer mentions {value}"
        assert any(f in a for a in en for f in en_forms), f"no en amount_limit answer mentions {value}"
    for answer in zh + en:
        stray = (_amounts_zh(answer) | _amounts_en(answer)) - allowed
        assert not stray, f"amounts {stray} are not configured in the lending core: {answer}"


def test_term_answers_agree_with_the_lending_core(corpus: Corpus) -> None:
    rules = lending_rules()
    terms = set(rules.loan_terms_months)
    allowed = terms | {
        rules.line_term_months,
        rules.review_interval_months,
        rules.renewal_extension_months,
        rules.renewal_clean_history_months,
    }
    for lang, unit in (("zh", r"\s*个月"), ("en", r"[ -]months?")):
        answers = _answers(corpus, "loan.term", lang)
        listed = [a for a in answers if all(re.search(rf"(?<!\d){t}(?!\d)", a) for t in terms)]
        assert listed, f"no {lang} loan.term answer lists every configured term {sorted(terms)}"
        for answer in answers:
            stray = {int(n) for n in re.findall(rf"(?<!\d)(\d+){unit}", answer)} - allowed
            assert not stray, f"terms {stray} months are not configured in the lending core: {answer}"


def test_renewal_window_answers_agree_with_the_lending_core(corpus: Corpus) -> None:
    rules = lending_rules()
    window = rules.renewal_window_days
    allowed = {window, rules.renewal_manual_review_max_overdue_days}
    for lang, unit in (("zh", r"\s*天"), ("en", r"[ -]days?")):
        answers = _answers(corpus, "renewal.process", lang)
        assert any(re.search(rf"(?<!\d){window}{unit}", a) for a in answers), (
            f"no {lang} renewal.process answer states the {window}-day window"
        )
        for answer in answers:
            stray = {int(n) for n in re.findall(rf"(?<!\d)(\d+){unit}", answer)} - allowed
            assert not stray, f"day counts {stray} disagree with the lending core: {answer}"


def test_service_hours_answers_agree_with_the_service_rules(corpus: Corpus) -> None:
    hours = service_hours()
    allowed = {t for pair in hours.values() for t in pair}
    for lang in ("zh", "en"):
        answers = _answers(corpus, "service.hours", lang)
        for who, (start, end) in hours.items():
            assert any(start in a and end in a for a in answers), f"no {lang} answer gives {who} {start}-{end}"
        assert any("24" in a for a in answers), f"no {lang} answer says the assistant serves 24 hours"
        for answer in answers:
            stray = {m.group(0).zfill(5) for m in _TIME.finditer(answer)} - allowed
            assert not stray, f"times {stray} are not in the service hours: {answer}"


def test_lending_core_figures_match_the_product_rules_table() -> None:
    rules = lending_rules()
    text = RULES_DOC.read_text(encoding="utf-8")
    assert f"{int(rules.application_amount_min):,} yuan" in text
    assert f"{int(rules.application_amount_max):,} yuan" in text
    assert f"{int(rules.online_amount_limit):,} yuan" in text
    assert ", ".join(map(str, rules.loan_terms_months)) + " months" in text
    assert f"within {rules.renewal_window_days} days before maturity" in text
