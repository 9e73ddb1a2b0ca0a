"""Does a message ask for a person? A rule the NLU's statistics cannot replace: whoever asks for a person, in any
words and inside any form, gets one (README, "What customers really type").

The model reads "转人工" well, but a request for a person said inside a form ("先别问了，我要跟真人说") shares most of
its words with the form's answers and is read as one often enough to matter. The rule looks for the thing
asked for (a person: 人工, 真人, 客服, an agent, a human, someone to talk to) together with a way of asking for
it, or for a refusal of the machine ("不想跟机器人聊", "stop the bot"). It does not fire when:

* the clause is negated ("不用转人工", "no need for an agent");
* the clause only asks about the service ("人工客服几点上班", "when are agents available"): the FAQ answers that;
* the person is the account manager or a call back is asked ("让客户经理联系我", "call me back"): that is a
  service request (``request_callback``), which the model reads well;
* 人工 means a person's review or intelligence ("人工审核", "人工智能").

Pure Python (no Rasa import), so the action server's tests and the Rasa component
(``components.person_request.PersonRequestClassifier``) use the same function.
"""

from __future__ import annotations

import re

# The Traditional forms of the characters the patterns use (the model itself reads Traditional through its
# character n-grams; this rule needs only these).
_TRADITIONAL = str.maketrans(
    "轉說話幫請個讓聯繫員務換對談機這叫們線專問給還來沒", "转说话帮请个让联系员务换对谈机这叫们线专问给还来没"
)
_CLAUSES = re.compile(r"[，,。；;！!？?\n]+|\.(?=\s|$)")

# --- Chinese ---------------------------------------------------------------------------------------------------
# 人工 as "a person" (not 人工审核 / 人工智能 / 人工费); 真人, 活人.
_ZH_PERSON_WORD = r"人工(?!审|智能|费|成本|核)|(?<!是)真人|活人|真的人"
# Someone who serves: 客服, 工作人员, 专员, 坐席, 业务员, 柜员, 员工, 同事; a bare 人 only right after a verb of
# reaching ("找人", "跟人说", "换个人"), never 个人贷款 / 人民币 / 法人.
# 员工, 同事, 经理 and a bare 人 are the bank's only when said so ("你们的同事"); "我跟同事商量" is not a request.
_ZH_STAFF = (
    r"(?:客服|工作人员|服务人员|业务人员|业务员|专员|专人|坐席|柜员|客户代表"
    r"|(?:你|你们|银行|贵行|客服)的?(?:同事|员工|经理|人))(?!工资|薪|社保|福利|奖金|发)"
)
_ZH_REACH = r"找|要|转|接|叫|换|请|让|联系(?!人)|跟|和|同|给我|安排|派|喊|见"
_ZH_BARE_PERSON = (
    r"(?:找|要|叫|请|让|跟|和|同|给我|安排|派|喊|见|问|换(?=一?个|一位))(?:一?个|一位|位)?"
    r"(?:懂的|能做主的|能管事的|专门的|银行的)?人(?=$|来|吧|啊|呀|了|说|聊|谈|问|帮|处理|办|看|跟|和|吗|呢|沟通|对话|回答|接|过来)"
)
_ZH_STAFF_REACHED = (
    rf"(?:{_ZH_REACH}).{{0,6}}(?:{_ZH_STAFF})|(?:{_ZH_STAFF}).{{0,4}}(?:吗|在不在|有人|出来|来|帮|接)"
    rf"|有没有.{{0,4}}(?:{_ZH_STAFF})|有(?:{_ZH_STAFF})(?:吗|么|嘛)"
)
_ZH_NO_MACHINE = (
    r"(?:不想|不要|别|不愿意|不用|受够了|烦)(?:再)?(?:跟|和|同|让|用)?(?:你这个|这个)?(?:机器人|机器|智能助手|ai|AI)"
)
_ZH_SOMEONE_THERE = (
    r"有没有人(?:在|可以|能|吗)|有人(?:在线|可以|能|跟我|和我|陪我|帮我)|人呢"
    r"|(?:机器人|机器).{0,4}(?:听不懂|不懂|没用|答非所问|不行|太笨|说不清)"
)
_ZH_ASKS = re.compile(
    rf"{_ZH_PERSON_WORD}|{_ZH_BARE_PERSON}|{_ZH_STAFF_REACHED}|{_ZH_NO_MACHINE}|{_ZH_SOMEONE_THERE}|^(?:客服|坐席)$"
)
_ZH_NEGATED = re.compile(
    r"(?:不用|不需要|不要|无需|没必要|不必|别|先不|暂时不|不想)(?:再)?(?:转|找|叫|接|麻烦)?(?:人工|真人|客服|工作人员|人)"
)

# --- English ---------------------------------------------------------------------------------------------------
# Staff, a team, a colleague or a manager are the bank's only when said so ("your team"; "my team" is not).
_EN_PERSON = (
    r"(?:(?:a |an |the |some )?(?:real |live |actual |human |proper )?"
    r"(?:human(?: being)?|person|agent|representative|rep|operator|someone|somebody|anyone|anybody"
    r"|customer service|customer support|support(?: team)?|advisor|adviser|banker|officer|teller|live chat|live support)"
    r"|(?:your|the bank'?s) (?:staff(?: member)?|team|colleagues?|manager|employees?|people)"
    r"|(?:a|an|one of your) (?:staff member|member of staff|colleagues?|employees?))"
)
_EN_REACH = (
    r"talk|speak|chat|connect|transfer me|transfer (?:this|the) chat|put me (?:through|in touch)|get me|give me"
    r"|pass me|hand me|reach|let me (?:talk|speak|chat)|deal with|explain (?:this|it) to|take over"
)
_EN_ASKS = re.compile(
    rf"\b(?:{_EN_REACH})\b.{{0,20}}?\b{_EN_PERSON}\b"
    rf"|\b(?:need|want|like|prefer|request)\b(?: to (?:talk|speak|chat) (?:to|with))? (?:a |an |some )?"
    rf"(?:real |live |actual |human )?(?:human|person|agent|representative|operator|live support|live agent)\b"
    r"|\b(?:real|live|actual) (?:human|person|agent|people)\b|\bhuman agent\b|\bhuman being\b"
    r"|\b(?:is|are) (?:there )?(?:anyone|anybody|someone|somebody)\b.{0,20}\b(?:real|there|online|human)\b"
    r"|\b(?:stop|enough|hate|tired of|fed up with|no more|not)\b.{0,15}\b(?:the |this |a )?(?:bot|robot|machine|chatbot)\b"
    r"|\bcan (?:a |an |some ?)(?:human|person|agent|one|body)\b.{0,25}\b(?:help|take over|look)"
    r"|\b(?:get|have)\b (?:a|an) (?:real |live |human )?(?:human|person|agent|representative|operator)\b"
    r"|^(?:agent|human|operator|representative|a person|person|live agent|customer service)(?: please| now| pls)?[.!]*$"
)
_EN_NEGATED = re.compile(
    r"\b(?:don'?t|do not|no need|not now|never mind|without)\b.{0,20}\b(?:human|person|agent|someone|somebody"
    r"|representative|operator|staff)\b"
)

# --- Not a request for a person here ---------------------------------------------------------------------------
# Only asks about the service: its hours, its number, how long; "怎么转人工" is answered by handing over anyway.
_ABOUT_THE_SERVICE = re.compile(
    r"几点|什么时候|时间|多久|电话|号码|热线|上班|下班|营业|周末|节假日|晚上|夜里|夜间|周六|周日|24小时|全天"
    r"|\b(?:when|what time|hours|opening|number|phone number|how long)\b",
    re.IGNORECASE,
)
_CALL_BACK = re.compile(
    r"客户经理|回电|回拨|打电话给我|给我打电话|来个电话|回个电话|来电|联系我|跟我联系|和我联系|与我联系"
    r"|call me|call back|callback|ring me|account manager"
    r"|relationship manager",
    re.IGNORECASE,
)
_PLAIN_ASK = re.compile(r"转|找|要|接|叫|换|让|跟|和|请|\b(?:talk|speak|chat|connect|transfer|get me|want|need)\b")


def asks_for_a_person(text: str) -> bool:
    """True when some clause of the message asks for a person and none of the exceptions above holds for it."""
    folded = text.translate(_TRADITIONAL).lower().strip()
    if not folded or folded.startswith("/") or _CALL_BACK.search(folded):
        return False
    for clause in (c.strip() for c in _CLAUSES.split(folded)):
        if not clause or _ZH_NEGATED.search(clause) or _EN_NEGATED.search(clause):
            continue
        if not (_ZH_ASKS.search(clause) or _EN_ASKS.search(clause)):
            continue
        if _ABOUT_THE_SERVICE.search(clause) and not _PLAIN_ASK.search(clause):
            continue
        return True
    return False
