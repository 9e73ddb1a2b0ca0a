"""What the hub itself says to customers (as ``system`` messages), in Chinese and English.

The assistant's words live in the Rasa domain; these are the hub's: the queue, the agent joining and leaving,
the closing and the rating. Times are shown in Asia/Shanghai.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from handoff.clock import SHANGHAI

SKILL_LABELS = {
    "general": {"zh": "综合业务", "en": "general enquiries"},
    "lending": {"zh": "贷款业务", "en": "lending"},
    "complaints": {"zh": "投诉处理", "en": "complaints"},
    "security": {"zh": "账户安全", "en": "account security"},
    "account_manager": {"zh": "客户经理", "en": "account managers"},
}
LEAVE_QUEUE_PAYLOAD = "/leave_queue"
LEAVE_QUEUE_BUTTON = {
    "zh": {"title": "返回智能助手", "payload": LEAVE_QUEUE_PAYLOAD},
    "en": {"title": "Back to the assistant", "payload": LEAVE_QUEUE_PAYLOAD},
}
_WEEKDAYS = {"zh": "一二三四五六日", "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]}


def lang(language: str | None) -> str:
    return "en" if language == "en" else "zh"


def skill_label(skill: str, language: str | None) -> str:
    return SKILL_LABELS.get(skill, {"zh": skill, "en": skill})[lang(language)]


def when(at: dt.datetime, language: str | None, *, now: dt.datetime | None = None) -> str:
    """A day and time a customer reads at a glance: 今天 14:00 / 明天 09:00 / 12月7日（周一）09:00."""
    local = at.astimezone(SHANGHAI)
    today = (now or local).astimezone(SHANGHAI).date()
    clock = local.strftime("%H:%M")
    days = (local.date() - today).days
    if lang(language) == "en":
        if days == 0:
            return f"today at {clock}"
        if days == 1:
            return f"tomorrow at {clock}"
        return f"{_WEEKDAYS['en'][local.weekday()]} {local.day} {local.strftime('%b')} at {clock}"
    if days == 0:
        return f"今天 {clock}"
    if days == 1:
        return f"明天 {clock}"
    return f"{local.month}月{local.day}日（周{_WEEKDAYS['zh'][local.weekday()]}）{clock}"


def _wait_phrase(eta_seconds: int | None, language: str | None) -> str:
    if eta_seconds is None or eta_seconds < 60:
        return "预计很快接入" if lang(language) == "zh" else "an agent should be with you shortly"
    minutes = math.ceil(eta_seconds / 60)
    return f"预计等待约{minutes}分钟" if lang(language) == "zh" else f"the wait is about {minutes} min"


def queued(position: int, eta_seconds: int | None, language: str | None) -> str:
    wait = _wait_phrase(eta_seconds, language)
    if lang(language) == "en":
        return (
            f"You're in the queue for a person: number {position}, {wait}. You can keep typing here; the agent "
            "will see your messages when they join."
        )
    return f"已为您排队等候人工客服：您当前排在第{position}位，{wait}。排队期间您可以继续留言，客服接入后会看到。"


def still_queued(position: int, eta_seconds: int | None, language: str | None) -> str:
    wait = _wait_phrase(eta_seconds, language)
    if lang(language) == "en":
        return f"You're already in the queue: number {position}, {wait}."
    return f"您已在人工客服队列中，当前排在第{position}位，{wait}。"


def after_hours(skill: str, back_at: dt.datetime | None, language: str | None, *, now: dt.datetime) -> str:
    label = skill_label(skill, language)
    if lang(language) == "en":
        back = f"They are back {when(back_at, language, now=now)} (Beijing time)." if back_at else ""
        return (
            f"Sorry, our {label} agents are not on duty now. {back} Until then the assistant can help with most "
            "questions; your conversation so far is kept."
        ).replace("  ", " ")
    back = f"人工客服将于{when(back_at, language, now=now)}（北京时间）恢复服务。" if back_at else ""
    return f"抱歉，{label}人工客服现在不在服务时间。{back}在此期间智能助手可以继续为您解答，您的对话记录都已保存。"


def no_agent(skill: str, language: str | None) -> str:
    label = skill_label(skill, language)
    if lang(language) == "en":
        return (
            f"Sorry, no {label} agent is available right now. Please try again in a little while; meanwhile the "
            "assistant can keep helping you, and your conversation so far is kept."
        )
    return f"抱歉，目前暂时没有可以接待的{label}人工客服，请稍后再试。在此期间智能助手可以继续为您服务，您的对话记录都已保存。"


def wait_too_long(eta_seconds: int, language: str | None) -> str:
    minutes = math.ceil(eta_seconds / 60)
    if lang(language) == "en":
        return (
            f"Sorry, the queue for a person is long right now (about {minutes} min), longer than we want you to "
            "wait. Please try again later; meanwhile the assistant can keep helping you."
        )
    return f"抱歉，目前人工客服排队较长（预计约{minutes}分钟），超出了我们承诺的等待时间。请您稍后再试，在此期间智能助手可以继续为您服务。"


def agent_joined(name: str, language: str | None) -> str:
    if lang(language) == "en":
        return f"{name} from customer service has joined the chat."
    return f"人工客服{name}已接入，为您服务。"


def agent_lost(language: str | None) -> str:
    if lang(language) == "en":
        return "The agent's connection dropped. You're back at the front of the queue; the next agent will see everything so far."
    return "客服的连接中断了，已为您重新排在队列最前面，下一位客服会看到之前的全部内容。"


def transferred_to_skill(skill: str, language: str | None) -> str:
    label = skill_label(skill, language)
    if lang(language) == "en":
        return f"You're being transferred to our {label} team; please stay in this chat."
    return f"正在为您转接{label}专员，请在本对话中稍候。"


def left_queue(language: str | None) -> str:
    if lang(language) == "en":
        return "You've left the queue; the assistant is back with you."
    return "您已退出排队，智能助手继续为您服务。"


def handed_back(language: str | None) -> str:
    if lang(language) == "en":
        return "The agent has handed the conversation back to the assistant."
    return "人工客服已将对话交还智能助手。"


def closed_with_rating_request(language: str | None) -> tuple[str, list[dict[str, Any]]]:
    buttons = [{"title": str(score), "payload": rating_payload(score)} for score in range(5, 0, -1)]
    if lang(language) == "en":
        return (
            "This chat with our agent has ended. How satisfied are you? (5 = very satisfied, 1 = not at all)",
            buttons,
        )
    return "本次人工服务已结束，感谢您的耐心。请为本次服务打分（5分非常满意，1分非常不满意）：", buttons


def rating_payload(score: int) -> str:
    return '/rate{"score": ' + str(score) + "}"


def thanks_for_rating(language: str | None) -> str:
    return "Thank you for your rating." if lang(language) == "en" else "感谢您的评价！"


def _both(language: str | None, zh: str, en: str) -> str:
    """An error a customer may read: their language first, then the other (a widget may show it as it is)."""
    return f"{en} / {zh}" if lang(language) == "en" else f"{zh} / {en}"


def nothing_to_rate(language: str | None) -> str:
    return _both(language, "目前没有可以评价的人工服务。", "There is no finished chat with an agent to rate.")


def already_rated(language: str | None) -> str:
    return _both(language, "这次服务您已经评价过了，谢谢！", "You have already rated this chat, thank you.")


def invalid_rating(language: str | None) -> str:
    return _both(language, "评分请选择1到5分。", "Please rate from 1 to 5.")
