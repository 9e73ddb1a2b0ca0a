"""Conversation repair: "say that again" repeats the assistant's last answer, "I don't know / not sure" gets help
with the question asked (or skips it where the question has a sensible default), and a finished request is followed
by "anything else?".

Both actions leave the form in progress as it was: after ``action_repeat_last`` the assistant listens (what it
repeated already ends with the question), after ``action_dont_know`` the form asks again or moves on (rules in
bot/data/form_rules.yml).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.forms import language_of
from actions.texts import HUMAN_BUTTON
from textkit.chinese import fold

# Questions that may be skipped, with the value taken instead: the assistant says which.
SKIPPABLE: dict[str, Callable[[Tracker], Any]] = {
    # a suggested summary is there to be kept
    "service_request_summary": lambda tracker: "suggested" if tracker.get_slot("service_request_context") else None,
    # "either is fine": a phone call
    "contact_method": lambda tracker: "call",
    # "any time": the earliest window offered
    "contact_window": lambda tracker: (tracker.get_slot("contact_window_options") or [None])[0],
}


def last_answer(tracker: Tracker) -> list[dict[str, Any]]:
    """The assistant's messages between the customer's last two messages (what it said last), oldest first."""
    seen_latest = False
    said: list[dict[str, Any]] = []
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            if seen_latest:
                break
            seen_latest = True
        elif kind == "bot" and seen_latest:
            said.append(event)
    return list(reversed(said))


class ActionRepeatLast(Action):
    """Says the assistant's last answer again, with its buttons."""

    def name(self) -> str:
        return "action_repeat_last"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        said = last_answer(tracker)
        if not said:
            dispatcher.utter_message(response="utter_nothing_to_repeat")
            return []
        for event in said:
            data = event.get("data") or {}
            custom = data.get("custom")
            dispatcher.utter_message(
                text=event.get("text") or None,
                buttons=data.get("buttons") or [],
                json_message=custom if isinstance(custom, dict) else None,
            )
        return []


# "Not sure" in words, for an answer the model read as something else (actions/forms.py asks): the phrase, and
# what may be said around it without being an answer ("嗯，这个我也不太清楚啊").
_NOT_SURE = re.compile(
    r"不(?:太|大|是很)?(?:知道|清楚|确定|了解|懂|晓得)|没想好|说不好|说不准|没概念|拿不准|不好说|还没定|没定好|你建议|你推荐|看着办"
    r"|帮我定|随便"
    r"|无所谓|跳过|答不上|(?<![a-z])(?:not sure|unsure|don'?t know|do not know|dunno|no idea|no clue|haven'?t decided"
    r"|not decided|undecided|you decide|what do you (?:suggest|recommend)|whatever|up to you|skip)(?![a-z])",
    re.IGNORECASE,
)
_AROUND_NOT_SURE = re.compile(
    r"我|也|还|真|的|啊|呢|吧|呀|哦|嗯|额|这个|那个|问题|一下|现在|暂时|具体|太|都|其实|说实话|老实说|[^\w]|_"
    r"|(?<![a-z])(?:i|i'm|im|am|really|yet|right now|now|sorry|honestly|to be honest|this|that|one|it|just|so|well"
    r"|um|uh|hmm|the|answer|question)(?![a-z])",
    re.IGNORECASE,
)


# Putting the answer off in words: the customer has to look it up, ask someone or decide later ("我得问问老板",
# "let me check the licence"), with anything said around it.
_PUTS_OFF = re.compile(
    r"记不(?:得|清|太清|住)|忘了|没印象|还没(?:完全|最后)?(?:决定|定|想好|算|考虑|问)|没(?:算过|考虑过|想过)|说不清|拿不准"
    r"|[得要](?:先|回去)?(?:[跟和找问去到在][\w]{1,8}?)?(?:问问|问一下|查一下|查查|算算|核对|商量|确认|翻一下|找找)"
    r"|我去查|稍等|再(?:考虑|想想)|让我想想|看情况"
    r"|(?<![a-z])(?:let me (?:check|look|think|see|ask|find)|(?:need|have|got) to (?:check|ask|run|think|look|find|confirm)"
    r"|i'?d (?:need|have) to|(?:don'?t|can'?t|do not|cannot) (?:remember|recall)"
    r"|haven'?t (?:thought|decided|figured|worked)|still (?:figuring|deciding|working)|get back to you|one sec"
    r"|look it up|check with)(?![a-z])",
    re.IGNORECASE,
)


def puts_off_answering(text: str) -> bool:
    """The message says the customer does not know or has to find out first, and holds no figure (an amount, a
    term, a code or a number said with it is an answer): "金额还不确定，要看订单情况", "I'd have to check with my
    partner". The caller also makes sure no value of the question's kind was found in it."""
    folded = fold(text).lower()
    if re.search(r"\d", folded):
        return False
    return bool(_NOT_SURE.search(folded) or _PUTS_OFF.search(folded))


def says_not_sure(text: str) -> bool:
    """The message says the customer does not know, and little else (an amount or a name given with it is an
    answer, read as one)."""
    folded = fold(text).lower()
    if not _NOT_SURE.search(folded):
        return False
    rest = _AROUND_NOT_SURE.sub("", _NOT_SURE.sub("", folded))
    return len(rest) <= 4


def help_with_the_question(dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
    """Take the default where the question asked may be skipped, else explain what it asks (a person one tap away);
    with no question asked, say what the assistant can do."""
    asked = tracker.get_slot("requested_slot")
    if not (tracker.active_loop or {}).get("name") or not asked:
        dispatcher.utter_message(response="utter_how_can_i_help")
        return []
    default = SKIPPABLE[asked](tracker) if asked in SKIPPABLE else None
    if default is not None:
        dispatcher.utter_message(response=f"utter_skipped_{asked}")
        return [SlotSet(asked, default)]
    # A question with its own help text in the domain (utter_dont_know_<slot>) gets it; any other the general one.
    helped = f"utter_dont_know_{asked}"
    response = helped if helped in (domain.get("responses") or {}) else "utter_dont_know"
    dispatcher.utter_message(response=response, buttons=[HUMAN_BUTTON[language_of(tracker)]])
    return []


class ActionDontKnow(Action):
    """ "I don't know" to a question of a form: take the default where the question may be skipped, else explain
    what the question asks (with a person one tap away). Outside a form: say what the assistant can do."""

    def name(self) -> str:
        return "action_dont_know"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return help_with_the_question(dispatcher, tracker, domain)
