"""Load and validate the FAQ corpus (`knowledge/faq/*.yaml`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from knowledge.errors import CorpusError

LANGUAGES = ("zh", "en")
MIN_QUESTIONS = {"zh": 3, "en": 2}
_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_TOPIC = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")


@dataclass(frozen=True, slots=True)
class FaqEntry:
    """One FAQ entry: stable id, topic slug, version, phrasings and answer per language."""

    id: str
    topic: str
    version: int
    effective_date: dt.date
    questions: Mapping[str, tuple[str, ...]]
    answers: Mapping[str, str]
    source: str = ""

    def answer(self, language: str) -> str:
        """The answer in `language`, falling back to Chinese."""
        return self.answers.get(language) or self.answers["zh"]

    def phrasings(self) -> list[tuple[str, str]]:
        """(language, text) for every question phrasing of the entry."""
        return [(lang, q) for lang in LANGUAGES for q in self.questions.get(lang, ())]

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable form (stored in the index folder and used for the hash)."""
        return {
            "id": self.id,
            "topic": self.topic,
            "version": self.version,
            "effective_date": self.effective_date.isoformat(),
            "questions": {lang: list(self.questions.get(lang, ())) for lang in LANGUAGES},
            "answers": {lang: self.answers[lang] for lang in LANGUAGES},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FaqEntry:
        """Inverse of `to_json`."""
        return cls(
            id=data["id"],
            topic=data["topic"],
            version=int(data["version"]),
            effective_date=dt.date.fromisoformat(data["effective_date"]),
            questions={lang: tuple(data["questions"].get(lang, ())) for lang in LANGUAGES},
            answers=dict(data["answers"]),
        )


@dataclass(frozen=True, slots=True)
class Corpus:
    """Every entry of the corpus, in id order, with a content hash."""

    entries: tuple[FaqEntry, ...]

    @property
    def hash(self) -> str:
        """sha256 over the canonical JSON of every entry (independent of file layout and order)."""
        payload = json.dumps([e.to_json() for e in self.entries], ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    @property
    def topics(self) -> set[str]:
        """Topic slugs that have at least one entry."""
        return {e.topic for e in self.entries}

    def __len__(self) -> int:
        return len(self.entries)

    def by_id(self) -> dict[str, FaqEntry]:
        """Entries keyed by id."""
        return {e.id: e for e in self.entries}


def _text_list(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise CorpusError(f"{where}: expected a list of non-empty strings")
    return tuple(v.strip() for v in value)


def parse_entry(raw: Any, where: str) -> FaqEntry:
    """Validate one raw YAML mapping and turn it into a `FaqEntry`."""
    if not isinstance(raw, dict):
        raise CorpusError(f"{where}: an entry must be a mapping")
    missing = {"id", "topic", "version", "effective_date", "questions", "answer"} - raw.keys()
    if missing:
        raise CorpusError(f"{where}: missing {', '.join(sorted(missing))}")
    entry_id, topic = raw["id"], raw["topic"]
    if not isinstance(entry_id, str) or not _ID.match(entry_id):
        raise CorpusError(f"{where}: bad id {entry_id!r}")
    where = f"{where} ({entry_id})"
    if not isinstance(topic, str) or not _TOPIC.match(topic):
        raise CorpusError(f"{where}: bad topic {topic!r}")
    version = raw["version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CorpusError(f"{where}: version must be a positive integer")
    effective = raw["effective_date"]
    if isinstance(effective, str):
        try:
            effective = dt.date.fromisoformat(effective)
        except ValueError as exc:
            raise CorpusError(f"{where}: bad effective_date {effective!r}") from exc
    if not isinstance(effective, dt.date) or isinstance(effective, dt.datetime):
        raise CorpusError(f"{where}: effective_date must be a date")
    questions_raw, answer_raw = raw["questions"], raw["answer"]
    if not isinstance(questions_raw, dict) or not isinstance(answer_raw, dict):
        raise CorpusError(f"{where}: questions and answer must be mappings by language")
    questions: dict[str, tuple[str, ...]] = {}
    answers: dict[str, str] = {}
    for lang in LANGUAGES:
        qs = _text_list(questions_raw.get(lang), f"{where}: questions.{lang}")
        if len(qs) < MIN_QUESTIONS[lang]:
            raise CorpusError(f"{where}: needs at least {MIN_QUESTIONS[lang]} {lang} phrasings")
        if len(set(qs)) != len(qs):
            raise CorpusError(f"{where}: duplicate {lang} phrasing")
        questions[lang] = qs
        answer = answer_raw.get(lang)
        if not isinstance(answer, str) or not answer.strip():
            raise CorpusError(f"{where}: answer.{lang} must be a non-empty string")
        answers[lang] = answer.strip()
    return FaqEntry(entry_id, topic, version, effective, questions, answers, source=where)


def corpus_from_entries(entries: Iterable[FaqEntry]) -> Corpus:
    """A corpus from parsed entries, refusing duplicate ids."""
    seen: dict[str, str] = {}
    items = sorted(entries, key=lambda e: e.id)
    for entry in items:
        if entry.id in seen:
            raise CorpusError(f"duplicate id {entry.id!r} in {seen[entry.id]} and {entry.source}")
        seen[entry.id] = entry.source
    if not items:
        raise CorpusError("the corpus has no entries")
    return Corpus(tuple(items))


def _read_yaml_mapping(path: Path, key: str, kind: type, expected: str) -> dict[str, Any]:
    """A YAML file holding a mapping whose `key` is a `kind`; CorpusError saying `expected` otherwise."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CorpusError(f"{path}: invalid YAML: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get(key), kind):
        raise CorpusError(f"{path}: expected {expected}")
    return doc


def load_corpus(directory: Path) -> Corpus:
    """Read every `*.yaml`/`*.yml` under `directory` (each `{entries: [...]}`) and validate it."""
    if not directory.is_dir():
        raise CorpusError(f"corpus folder {directory} does not exist")
    files = sorted([*directory.rglob("*.yaml"), *directory.rglob("*.yml")])
    if not files:
        raise CorpusError(f"no YAML files in {directory}")
    entries: list[FaqEntry] = []
    for path in files:
        doc = _read_yaml_mapping(path, "entries", list, "a mapping with an 'entries' list")
        for i, raw in enumerate(doc["entries"]):
            entries.append(parse_entry(raw, f"{path.name}#{i}"))
    return corpus_from_entries(entries)


def load_topics(path: Path) -> list[str]:
    """Topic slugs listed in the first column of the table of docs/faq_topics.md."""
    topics: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.lstrip().startswith("|") and cells and _TOPIC.match(cells[0]):
            topics.append(cells[0])
    return topics


def load_out_of_scope(path: Path) -> list[str]:
    """Out-of-scope anchor phrasings (`phrasings: {zh: [...], en: [...]}`); none when the file is absent."""
    if not path.exists():
        return []
    doc = _read_yaml_mapping(path, "phrasings", dict, "a mapping with 'phrasings' by language")
    texts: list[str] = []
    for lang, items in doc["phrasings"].items():
        texts.extend(_text_list(items, f"{path}: phrasings.{lang}"))
    return list(dict.fromkeys(texts))
