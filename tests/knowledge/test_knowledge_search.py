"""Search on a fixture corpus: right entries, answers by language, abstention, Traditional Chinese, reload."""

from __future__ import annotations

import copy
import json
import threading
import time

import pytest
from knowledge_fixtures import FIXTURE_ENTRIES, write_corpus

from knowledge.calibration import Calibration, save_calibration
from knowledge.config import KnowledgeSettings
from knowledge.corpus import load_corpus
from knowledge.encoders import Encoder
from knowledge.index import BuildOptions, build_index
from knowledge.search import FaqSearcher


@pytest.fixture()
def searcher(fixture_settings: KnowledgeSettings, use_encoder: Encoder) -> FaqSearcher:
    build_index(
        load_corpus(fixture_settings.corpus_dir),
        use_encoder,
        fixture_settings.index_dir,
        BuildOptions(progress=False),
    )
    return FaqSearcher(fixture_settings, encoder_factory=lambda name, model: use_encoder)


@pytest.mark.parametrize(
    ("query", "entry_id"),
    [
        ("钱提出来以后要等多久才到", "drawdown-arrival-001"),
        ("how soon does the withdrawn money show up", "drawdown-arrival-001"),
        ("你们家贷款利息多少", "loan-rate-001"),
        ("贷款快到期了，可以不还本金续一下吗", "renewal-what-001"),
        ("what paperwork do I have to prepare", "loan-materials-001"),
        ("有人自称银行客服让我转账", "security-fraud-001"),
    ],
)
def test_returns_the_right_entry(searcher: FaqSearcher, query: str, entry_id: str) -> None:
    result = searcher.search(query)
    assert result.best is not None and result.best.entry_id == entry_id
    assert not result.abstained
    assert result.hits[0].version == 1 and result.build_id == searcher.build_id


def test_answer_follows_requested_language(searcher: FaqSearcher) -> None:
    zh = searcher.search("提款多久到账")
    assert zh.language == "zh" and "5分钟" in zh.hits[0].answer
    en = searcher.search("提款多久到账", language="en", k=2)
    assert en.language == "en" and en.hits[0].answer.startswith("Drawn money") and len(en.hits) == 2
    assert searcher.search("When does the money arrive?").hits[0].answer.startswith("Drawn money")


def test_abstains_on_unrelated_text_and_logs_it(searcher: FaqSearcher, fixture_settings: KnowledgeSettings) -> None:
    for query in ("今天天气怎么样", "讲个笑话吧", "asdfgh qwerty"):
        result = searcher.search(query)
        assert result.abstained, (query, result.hits[0].score)
        assert result.hits, "closest entries are still returned as suggestions"
    lines = fixture_settings.abstain_log.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["query"] for line in lines] == ["今天天气怎么样", "讲个笑话吧", "asdfgh qwerty"]
    assert json.loads(lines[0])["closest"][0]["entry_id"]
    assert searcher.search("   ").abstained and searcher.search("").hits == []


def test_traditional_chinese_is_normalised(searcher: FaqSearcher) -> None:
    simplified = searcher.search("什么是无还本续贷")
    traditional = searcher.search("什麼是無還本續貸")
    assert traditional.best is not None and simplified.best is not None
    assert traditional.best.entry_id == "renewal-what-001"
    assert traditional.best.score == pytest.approx(simplified.best.score, abs=1e-4)


def test_calibration_file_is_used(fixture_settings: KnowledgeSettings, use_encoder: Encoder) -> None:
    build_index(
        load_corpus(fixture_settings.corpus_dir),
        use_encoder,
        fixture_settings.index_dir,
        BuildOptions(progress=False),
    )
    save_calibration(
        fixture_settings.calibration_file,
        Calibration("use-multilingual", lexical_weight=0.0, abstain_threshold=0.99),
        {},
    )
    searcher = FaqSearcher(fixture_settings, encoder_factory=lambda name, model: use_encoder)
    assert searcher.calibration.abstain_threshold == 0.99 and searcher.calibration.lexical_weight == 0.0
    result = searcher.search("提款后多长时间到账呢")
    assert result.abstained and result.hits[0].score == pytest.approx(result.hits[0].dense_score)


def test_reload_swaps_builds_without_failed_requests(
    searcher: FaqSearcher, fixture_settings: KnowledgeSettings, use_encoder: Encoder
) -> None:
    old_build = searcher.build_id
    errors: list[BaseException] = []
    versions: set[int] = set()
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            try:
                searcher.reload_if_changed()
                result = searcher.search("提款多久能到账")
                assert result.best is not None and result.best.entry_id == "drawdown-arrival-001"
                versions.add(result.best.version)
            except BaseException as exc:  # collected and asserted on below
                errors.append(exc)

    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.3)
        entries = copy.deepcopy(FIXTURE_ENTRIES)
        entries[0]["version"] = 2
        entries[0]["answer"]["zh"] = "提款一般5分钟内到账（第二版）。"
        corpus_dir = write_corpus(fixture_settings.corpus_dir.parent / "faq-v2", entries)
        new_path = build_index(
            load_corpus(corpus_dir), use_encoder, fixture_settings.index_dir, BuildOptions(progress=False)
        )
        deadline = time.monotonic() + 20
        while searcher.build_id != new_path.name and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors[:3]
    assert searcher.build_id == new_path.name != old_build
    assert versions == {1, 2}
    assert searcher.search("提款多久到账").hits[0].answer.endswith("（第二版）。")
    assert searcher.reload_errors == 0


def test_reload_check_is_rate_limited(fixture_settings: KnowledgeSettings, use_encoder: Encoder) -> None:
    build_index(
        load_corpus(fixture_settings.corpus_dir),
        use_encoder,
        fixture_settings.index_dir,
        BuildOptions(progress=False),
    )
    settings = fixture_settings.model_copy(update={"reload_check_seconds": 60.0})
    searcher = FaqSearcher(settings, encoder_factory=lambda name, model: use_encoder)
    build_index(load_corpus(settings.corpus_dir), use_encoder, settings.index_dir, BuildOptions(progress=False))
    assert searcher.reload_if_changed() is True  # first look happens at once
    searcher.reload_if_changed(wait=True)
    build_index(load_corpus(settings.corpus_dir), use_encoder, settings.index_dir, BuildOptions(progress=False))
    assert searcher.reload_if_changed() is False  # within 60 s: the pointer is not even looked at


def test_out_of_scope_anchors_trigger_abstention(fixture_settings: KnowledgeSettings, use_encoder: Encoder) -> None:
    anchors = ["明天会不会下雨", "推荐一只股票", "will it rain tomorrow"]
    build_index(
        load_corpus(fixture_settings.corpus_dir),
        use_encoder,
        fixture_settings.index_dir,
        BuildOptions(progress=False),
        negatives=anchors,
    )
    save_calibration(
        fixture_settings.calibration_file,
        Calibration("use-multilingual", lexical_weight=0.3, abstain_threshold=0.0, negative_margin=0.0),
        {},
    )
    searcher = FaqSearcher(fixture_settings, encoder_factory=lambda name, model: use_encoder)
    assert searcher.index.manifest.negative_count == 3
    weather = searcher.search("后天下不下雨啊")
    assert weather.abstained and weather.out_of_scope_similarity is not None
    assert weather.out_of_scope_similarity >= weather.hits[0].dense_score
    in_scope = searcher.search("提款多久能到账")
    assert not in_scope.abstained and in_scope.hits[0].entry_id == "drawdown-arrival-001"
