"""Banking the bank serves elsewhere: transfers, debit cards, PINs and passwords, changing the details on file,
statements, foreign exchange, personal loans, personal credit cards, deposits. The assistant recognises them and says
where to go (corporate e-banking, the mobile app, a branch, the official hotline, or a person), and never starts one
of its lending forms for them.

The topic is read from the words of the message (a small bilingual lexicon, checked in order: a statement of a
deposit is a statement); with no topic word the answer is the general one.
"""

from __future__ import annotations

import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.entities import mentions_foreign_currency
from actions.forms import language_of
from actions.texts import HUMAN_BUTTON

# (topic, pattern): the first that matches names the topic. Lower-cased text, Traditional already Simplified.
TOPICS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (topic, re.compile(pattern))
    for topic, pattern in (
        ("credit_card", r"信用卡|credit ?card"),
        (
            "personal_loan",
            r"房贷|车贷|住房贷款|购房贷款|公积金贷款|个人消费贷|消费贷|助学贷款|学生贷款|个人信用贷|装修贷"
            r"|mortgage|home loan|car loan|auto loan|student loan|personal loan|consumer loan|home equity",
        ),
        ("pin_password", r"密码|(?<![a-z])pin(?![a-z])|password|passcode"),
        (
            "statement",
            r"流水|对账单|交易明细|账户明细|回单|存款证明|资信证明|账户余额|卡里.{0,2}余额|余额查询"
            r"|statement|transaction history|account balance|proof of deposit|payment receipt",
        ),
        ("foreign_exchange", r"外汇|汇率|购汇|结汇|外币|跨境|境外汇款|付汇|exchange rate|foreign currency|forex"),
        (
            "debit_card",
            r"银行卡|借记卡|储蓄卡|结算卡|挂失|吞卡|补卡|换卡|销卡|激活.{0,3}卡|卡.{0,3}(?:丢|掉|被盗|过期|消磁|冻结)"
            r"|取现|柜员机|(?<![a-z])atm(?![a-z])"
            r"|debit card|lost (?:my )?card|block my card|replacement card|card (?:was )?swallowed|activate my (?:new )?card"
            r"|cash machine",
        ),
        (
            "contact_change",
            r"(?:改|换|变更|修改|更新).{0,6}(?:预留手机|手机号|电话|地址|邮箱|联系人|法人|法定代表人|财务负责人)"
            r"|(?:change|update) (?:my |our )?(?:phone|mobile|address|email|details|contact)",
        ),
        (
            "deposit",
            r"定期存款|存.{0,6}定期|[一二三五两\d]年定期|大额存单|活期|通知存款|结构性存款|储蓄账户"
            r"|time deposit|fixed deposit|certificate of deposit|savings account|deposit rate",
        ),
        (
            "transfer",
            r"转账|汇款|打款|转钱|转给|转到|汇到|转.{1,8}到.{0,6}(?:卡|账户|户头|名下)|同名账户|(?<![a-z])wire|transfer money|send money|remit"
            r"|move .{0,30} to my",
        ),
    )
)
OTHER_BANKING_RESPONSE = "utter_other_banking_{topic}"


def other_banking_topic(text: str) -> str | None:
    """The topic of banking served elsewhere that the message names, or None."""
    lowered = text.lower()
    for topic, pattern in TOPICS:
        if pattern.search(lowered):
            return topic
    return None


def tell_where_to_go(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """Say where the message's banking is done (its topic's answer, or the general one), with a person one tap
    away. A foreign-currency amount is never taken for yuan: the lending forms work in yuan only."""
    text = str((tracker.latest_message or {}).get("text") or "")
    topic = other_banking_topic(text)
    if topic is None and mentions_foreign_currency(text):
        topic = "foreign_exchange"
    response = OTHER_BANKING_RESPONSE.format(topic=topic or "general")
    dispatcher.utter_message(response=response, buttons=[HUMAN_BUTTON[language_of(tracker)]])


class ActionOtherBanking(Action):
    """Banking served elsewhere: where to go for it."""

    def name(self) -> str:
        return "action_other_banking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        tell_where_to_go(dispatcher, tracker)
        return []
