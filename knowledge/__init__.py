"""Bilingual FAQ knowledge base: corpus, vector + lexical index, hybrid search with abstention."""

from knowledge.errors import (
    CorpusError,
    EncoderError,
    IndexNotFoundError,
    KnowledgeError,
)

__all__ = ["CorpusError", "EncoderError", "IndexNotFoundError", "KnowledgeError"]
