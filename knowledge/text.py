"""The index's words: text folded by textkit (width, Traditional to Simplified), then jieba tokens and bigrams."""

from __future__ import annotations

import logging
import re
import threading

import jieba

from textkit.chinese import CJK_CHARS, fold

_WORD = re.compile(rf"[\w{CJK_CHARS}]+", re.UNICODE)
_LOCK = threading.Lock()
_READY = False

# Domain words jieba would otherwise split, so the lexical index matches them whole.
DOMAIN_WORDS = (
    "无还本续贷",
    "续贷",
    "提款",
    "用款",
    "还款",
    "年审",
    "年审核",
    "长额度",
    "受托支付",
    "自主支付",
    "税易贷",
    "经营贷",
    "信用贷",
    "抵押贷",
    "担保贷",
    "客户经理",
    "网银",
    "手机银行",
    "企业网银",
    "代发工资",
    "对公账户",
    "征信",
    "征信报告",
    "额度",
    "授信",
    "循环额度",
    "提前还款",
    "逾期",
    "罚息",
    "到账",
    "放款",
    "利率",
    "等额本息",
    "等额本金",
    "先息后本",
    "营业执照",
    "普惠金融",
    "转人工",
    "人工客服",
)

# Particles and fillers that carry no topic; idf removes most of the rest.
STOPWORDS = frozenset(
    "的 了 吗 呢 吧 啊 呀 哦 嘛 么 我 我们 你 你们 您 是 在 就 都 也 还 和 与 及 或 请问 请 一下 "
    "下 个 这 那 这个 那个 什么 啥 咋 a an the is are am be do does did i me my we our you your "
    "to of for in on at it its and or can could would should will please hi hello".split()
)


def _ensure_jieba() -> None:
    global _READY
    if _READY:
        return
    with _LOCK:
        if _READY:
            return
        jieba.setLogLevel(logging.WARNING)
        for word in DOMAIN_WORDS:
            jieba.add_word(word, freq=20000)
        jieba.initialize()
        _READY = True


def normalize(text: str) -> str:
    """NFKC (full-width to half-width), Traditional to Simplified Chinese, trimmed, single spaces."""
    return fold(text)


def tokenize(text: str) -> list[str]:
    """Lower-cased jieba tokens of normalised text, without punctuation and stopwords."""
    _ensure_jieba()
    tokens: list[str] = []
    for piece in jieba.lcut(normalize(text).lower()):
        piece = piece.strip()
        if not piece or not _WORD.fullmatch(piece) or piece in STOPWORDS:
            continue
        tokens.append(piece)
    return tokens


_CJK_RUN = re.compile(f"[{CJK_CHARS}]{{2,}}")


def lexical_terms(text: str) -> list[str]:
    """Terms of the lexical index: jieba tokens plus character bigrams of Chinese runs (prefixed '#'),
    which match colloquial wordings that jieba segments differently."""
    terms = tokenize(text)
    for run in _CJK_RUN.findall(normalize(text)):
        terms.extend("#" + run[i : i + 2] for i in range(len(run) - 1))
    return terms


def warm_up() -> None:
    """Load jieba's dictionary and OpenCC now instead of on the first request."""
    _ensure_jieba()
    normalize("預熱")
