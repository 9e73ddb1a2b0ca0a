"""How a message divides into what it asks and what it says, and what it asks to be done.

"50万，利息怎么算" answers the amount question and asks about interest; "我想还款，提前还款要收违约金吗" asks for a
repayment and asks about a fee. The forms fill their question from the part that says, the FAQ answers the part that
asks, and a request stated beside a question goes on. Pure functions of the text: no model, no index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from textkit.chinese import CJK_CHARS, to_simplified

# Words that make a clause a question (a request with a question in it: "想贷款50万，利息多少").
_QUESTION_MARKERS = re.compile(
    r"[?？]|吗|么|呢|多少|几(?![十百千万])|怎么|怎样|如何|什么|啥|哪|能不能|可不可以|可以吗|是否|有没有|要不要|多久|多长"
    rf"|([{CJK_CHARS}])不\1|请问|问一下|问下|想知道|想了解|了解一下|咨询一下|顺便问"
    r"|^(?:and |also |btw |by the way |but )?(?:how|what|when|where|which|who|why|can|could|is|are|do|does|will|would"
    r"|should)\b|\b(?:tell me|i'd like to know|i want to know|wondering|what about|how about)\b",
    re.IGNORECASE,
)
# Between clauses: punctuation (not the comma of "200,000"), a dash between spaces, a space beside Chinese ("我要贷款
# 100w 查征信会影响吗"), a pause after 吧 or 呢.
_CLAUSE_SPLIT = re.compile(
    rf"(?:[，。；;！!？?\n]|,(?!\d{{3}})|\.(?=\s|$)|\s[-–—]+\s|(?<=[{CJK_CHARS}])\s+|\s+(?=[{CJK_CHARS}]))+\s*"
    r"|(?<=[吧呢])\s*"
)
# Words that ask for information (how much, what, how, which, A or B) rather than ask for something to be done
# ("能帮我提款吗" is a request; "提款上限是多少" is a question about one).
_INFORMATION_MARKERS = re.compile(
    r"多少|几(?![十百千万])|怎么|怎样|如何|什么|啥|哪|多久|多长|还是|是否|为什么|为啥"
    r"|\b(?:how|what|what's|whats|when|where|which|who|why)\b",
    re.IGNORECASE,
)


# Words that ask for something to be done ("能帮我提款吗", "could you draw 200k for me"): a question with one of them
# is a polite request.
_REQUEST_MARKERS = re.compile(
    r"帮我|给我|替我|为我|我要|想(?!知道|了解|问|请教)|请|麻烦|办一下|办理|"
    r"(?<![a-z])(?:can you|could you|would you|will you|please|i want|i'd like|i would like|i need|help me|let me)(?![a-z])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Clause:
    """One clause of a message: where it is in the text, and whether it asks something (a question word, or a
    question mark after it)."""

    start: int
    end: int
    text: str
    asks: bool


def clauses_of(text: str) -> list[Clause]:
    clauses: list[Clause] = []
    position = 0
    for separator in [*_CLAUSE_SPLIT.finditer(text), None]:
        end = separator.start() if separator else len(text)
        piece = text[position:end]
        if piece.strip():
            marked = separator is not None and ("?" in separator.group() or "？" in separator.group())
            asks = marked or bool(_QUESTION_MARKERS.search(to_simplified(piece)))
            clauses.append(Clause(position, end, piece.strip(), asks))
        if separator is None:
            break
        position = separator.end()
    return clauses


def question_clause(text: str) -> str | None:
    """The part of a message that asks something (None: the message asks nothing)."""
    asking = [c.text for c in clauses_of(text) if c.asks]
    return "，".join(asking) if asking else None


def answer_part(text: str) -> str | None:
    """What a message says besides what it asks ("50万，利息怎么算" -> "50万", "Bright Harbor Co., Ltd. Do I need a
    guarantor?" -> "Bright Harbor Co., Ltd"), as the customer wrote it; None when it asks nothing or only asks."""
    clauses = clauses_of(text)
    if not any(c.asks for c in clauses) or all(c.asks for c in clauses):
        return None
    runs: list[list[Clause]] = [[]]
    for clause in clauses:
        if clause.asks:
            runs.append([])
        else:
            runs[-1].append(clause)
    said = " ".join(text[run[0].start : run[-1].end].strip() for run in runs if run)
    return said.strip(" ，,。.；;:：-–—") or None


def only_asks_for_information(text: str) -> bool:
    """Every clause of the message asks for information ("提款上限是多少", "what's the ATM limit"): a question about
    a request, not the request itself."""
    clauses = clauses_of(text)
    return bool(clauses) and all(_INFORMATION_MARKERS.search(c.text) for c in clauses)


# A way of doing a request (early, in part, online): "can I repay early" asks whether it may be done that way.
_MANNER = re.compile(
    r"提前|部分|线上|网上|手机上|随时|多次|再次|分期|周末|晚上"
    r"|(?<![a-z])(?:early|in part|partially|part of|online|at any time|anytime|twice|again|on weekends?|at night)(?![a-z])",
    re.IGNORECASE,
)


def only_asks_whether(text: str) -> bool:
    """Every clause asks whether the request may be done in some way ("可以提前还款吗", "can I repay early") and none
    asks for something to be done: a question about a request, not the request. "can I renew my loan" and a polite
    "能帮我提款吗" are requests."""
    clauses = clauses_of(text)
    return (
        bool(clauses)
        and all(c.asks for c in clauses)
        and _MANNER.search(text) is not None
        and not _REQUEST_MARKERS.search(text)
    )


# What each money request is called, in the words a customer uses (simplified; typos 代款, 续代 included). Renewal
# first: 续贷 also holds 贷.
_MONEY_REQUEST_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("renew_loan", re.compile(r"续贷|续代|续借|续期|(?<![a-z])(?:renew|roll ?over|extend (?:my|the|our) loan)", re.I)),
    (
        "drawdown",
        re.compile(
            r"提款|提(?:一笔|一部分|点|些)?(?:款|钱|出来)|用款"
            r"|(?<![a-z])(?:draw ?down|draw (?:on|from|some)|withdraw from (?:my|the|our) (?:credit )?line)",
            re.I,
        ),
    ),
    (
        "repay",
        re.compile(
            r"还款|还贷|还钱|还清|还(?:一部分|部分|掉|一笔)|把(?:钱|贷款|款|这笔)还"
            r"|(?<![a-z])(?:repay|pay (?:off|back|down)|make a (?:loan )?(?:re)?payment)",
            re.I,
        ),
    ),
    (
        "apply_loan",
        re.compile(
            r"贷款|代款|借款|借钱|贷(?:个|一笔|点)?\d"
            r"|(?<![a-z])(?:apply (?:for )?(?:a |an )?(?:\w+ )?loan|aply|borrow|take out a loan|get a (?:\w+ )?loan)",
            re.I,
        ),
    ),
)
# Words that say the customer wants it done, in the same clause ("我想还款", "I'd like to renew").
_WISH = re.compile(
    r"我想|我要|想|要|需要|准备|打算|申请|办|帮我|麻烦|请"
    r"|(?<![a-z])(?:i'd like|i would like|we'd like|we would like|i want|we want|want to|wanna|need to|looking to"
    r"|planning to|going to|let me|please|help me)(?![a-z])",
    re.I,
)


_NOT_WISHED = re.compile(r"不想|不要|不用|不需要|别|(?<![a-z])(?:don't|do not|no longer|not)(?![a-z])", re.I)


def stated_money_request(text: str) -> str | None:
    """The money request a clause that asks nothing says the customer wants (``apply_loan``, ``drawdown``, ``repay``,
    ``renew_loan``): "我想还款，提前还款要收违约金吗" -> ``repay``; "提款会上征信吗" (only a question) -> None."""
    for clause in clauses_of(text):
        said = to_simplified(clause.text)
        if clause.asks or not _WISH.search(said) or _NOT_WISHED.search(said):
            continue
        for request, words in _MONEY_REQUEST_WORDS:
            if words.search(said):
                return request
    return None
