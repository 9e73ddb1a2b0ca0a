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


# ---- service requests for account managers ------------------------------------------------------------------

REQUEST_KINDS = {
    "callback": {"zh": "客户经理回电", "en": "call back"},
    "visit": {"zh": "客户经理上门", "en": "visit"},
    "annual_review": {"zh": "额度年审", "en": "annual review"},
    "financing": {"zh": "融资需求", "en": "financing need"},
    "renewal_review": {"zh": "续贷人工审核", "en": "renewal review"},
}
REQUEST_STATES = {
    "submitted": {"zh": "已提交，等待客户经理受理", "en": "submitted, waiting for the account manager"},
    "accepted": {"zh": "客户经理已受理", "en": "accepted by the account manager"},
    "scheduled": {"zh": "已安排", "en": "scheduled"},
    "done": {"zh": "已办结", "en": "done"},
    "cancelled": {"zh": "已取消", "en": "cancelled"},
}
CALLBACK_PAYLOAD = "/request_callback"
CALLBACK_BUTTON = {
    "zh": {"title": "请客户经理联系我", "payload": CALLBACK_PAYLOAD},
    "en": {"title": "Have my account manager contact me", "payload": CALLBACK_PAYLOAD},
}


def window_text(start: dt.datetime, end: dt.datetime, language: str | None, *, now: dt.datetime) -> str:
    """明天 09:00-12:00 / tomorrow 09:00-12:00."""
    return f"{when(start, language, now=now)}-{end.astimezone(SHANGHAI).strftime('%H:%M')}".replace(" at ", " ")


def request_created(number: str, manager: str | None, window: str, mobile_tail: str, language: str | None) -> str:
    if lang(language) == "en":
        who = f"Your account manager {manager}" if manager else "An account manager"
        return (
            f"Your request is in: number {number}. {who} will contact you {window} on the mobile ending {mobile_tail}. "
            'You can ask "status of my request" at any time.'
        )
    who = f"客户经理{manager}" if manager else "客户经理"
    return (
        f"您的服务请求已提交，编号{number}。{who}会在{window}通过尾号{mobile_tail}的手机与您联系。"
        "您可以随时发送“我的服务请求进度”查询。"
    )


def request_accepted(number: str, manager: str, language: str | None) -> str:
    if lang(language) == "en":
        return f"Your account manager {manager} has taken your request {number}."
    return f"客户经理{manager}已受理您的服务请求{number}。"


def request_scheduled(
    number: str, manager: str, method: str, at: dt.datetime, language: str | None, *, now: dt.datetime
) -> str:
    moment = when(at, language, now=now)
    if lang(language) == "en":
        how = "will call you" if method == "call" else "will visit you"
        return f"Your account manager {manager} {how} {moment} (request {number})."
    how = "致电联系您" if method == "call" else "上门拜访"
    return f"客户经理{manager}已安排在{moment}{how}（服务请求{number}）。"


def request_done(number: str, language: str | None) -> str:
    if lang(language) == "en":
        return f"Your request {number} is done. Thank you; we are here whenever you need us."
    return f"您的服务请求{number}已办结，感谢您的耐心。如还有需要，欢迎随时联系我们。"


def request_status_line(
    number: str,
    kind: str,
    state: str,
    manager: str | None,
    scheduled: dt.datetime | None,
    language: str | None,
    *,
    now: dt.datetime,
) -> str:
    language = lang(language)
    kind_label = REQUEST_KINDS.get(kind, {"zh": kind, "en": kind})[language]
    state_label = REQUEST_STATES.get(state, {"zh": state, "en": state})[language]
    if language == "en":
        line = f"{number} ({kind_label}): {state_label}"
        if scheduled is not None and state == "scheduled":
            line += f" for {when(scheduled, language, now=now)}"
        return line + (f"; account manager {manager}." if manager else ".")
    line = f"{number}（{kind_label}）：{state_label}"
    if scheduled is not None and state == "scheduled":
        line += f"，时间{when(scheduled, language, now=now)}"
    return line + (f"，客户经理{manager}。" if manager else "。")


def no_such_request(number: str, language: str | None) -> str:
    if lang(language) == "en":
        return f"There is no request numbered {number}. Please check the number (SR and 10 digits)."
    return f"没有找到编号为{number}的服务请求，请核对编号（SR加10位数字）。"


def no_requests(language: str | None) -> str:
    if lang(language) == "en":
        return 'You have no service requests. Say "have my account manager contact me" whenever you need one.'
    return "您目前没有服务请求。如需客户经理联系您，可以说“请客户经理联系我”。"


def your_requests(lines: list[str], language: str | None) -> str:
    head = "Your requests:" if lang(language) == "en" else "您的服务请求："
    return "\n".join([head, *lines])


def request_not_taken(language: str | None) -> str:
    if lang(language) == "en":
        return "Sorry, we could not register your request just now. Nothing was lost; please try again in a moment."
    return "抱歉，刚才未能登记您的服务请求，请稍后再试一次。"


def account_manager_business(language: str | None) -> str:
    if lang(language) == "en":
        return (
            "This is handled by your account manager. Leave a request and they will contact you at a time you choose."
        )
    return "这项业务由客户经理为您办理。请留下服务请求，客户经理会在您方便的时间联系您。"


def wait_ran_out(language: str | None) -> str:
    if lang(language) == "en":
        return (
            "Sorry for the long wait. You can keep waiting, or leave a request and your account manager will "
            "contact you at a time you choose."
        )
    return "抱歉让您久等了。您可以继续等待，也可以留下服务请求，客户经理会在您方便的时间联系您。"


# ---- outside channels (handoff/channels/) ------------------------------------------------------------------------

_CHANNEL_TEXTS: dict[str, dict[str, str]] = {
    "welcome": {
        "zh": "您好，欢迎关注！我是银行小微企业24小时智能客服，可以解答贷款问题，帮您申请贷款、提款、还款和续贷，"
        "也可以为您转接人工客服或预约客户经理。\n\n直接发文字提问即可；回复「绑定」验证身份后，查询和办理无需每次验证。",
        "en": "Welcome! I am the bank's 24-hour assistant for small businesses: I answer loan questions, help you "
        "apply, draw down, repay and renew, and put you through to an agent or your account manager.\n\n"
        'Just type your question. Reply "bind" to verify who you are once, so you need not verify every time.',
    },
    "media_to_person": {
        "zh": "已收到，客服人员可以看到您发送的内容。",
        "en": "Received: the agent can see what you sent.",
    },
    "media_to_assistant": {
        "zh": "抱歉，智能助手目前只能阅读文字。请用文字描述您的问题；如需人工服务，请回复「人工」。",
        "en": 'Sorry, the assistant reads text only. Please describe your question in words, or reply "agent" '
        "to talk to a person.",
    },
    "voice_unrecognised": {
        "zh": "抱歉，没有听清您的语音。请再说一次，或直接发送文字。",
        "en": "Sorry, I could not make out your voice message. Please try again, or type it.",
    },
    "unsupported": {
        "zh": "抱歉，暂不支持这类消息，请发送文字。",
        "en": "Sorry, this kind of message is not supported; please send text.",
    },
    "choose_by_number": {"zh": "请回复数字选择：", "en": "Reply with a number:"},
    "bind_ask_mobile": {
        "zh": "请回复您在本行登记的手机号，我们将发送验证码完成绑定。回复「取消」可退出。",
        "en": "Please reply with the mobile number registered with the bank; we will text you a code. Reply "
        '"cancel" to stop.',
    },
    "bind_mobile_invalid": {
        "zh": "手机号格式不正确，请回复11位手机号（例如 138 0013 8000），或回复「取消」。",
        "en": 'That is not a mobile number: please reply with the 11 digits (e.g. 138 0013 8000), or "cancel".',
    },
    "bind_code_sent": {
        "zh": "验证码已发送至 {masked}，请回复6位验证码。",
        "en": "A code has been texted to {masked}; please reply with its 6 digits.",
    },
    "bind_code_format": {
        "zh": "请回复短信中的6位数字验证码。",
        "en": "Please reply with the 6-digit code from the text.",
    },
    "bind_code_invalid": {
        "zh": "验证码不正确，还可以再试 {remaining} 次。",
        "en": "That code is not right; {remaining} tries left.",
    },
    "bind_code_expired": {
        "zh": "验证码已失效，请回复「绑定」重新获取。",
        "en": 'The code has expired; reply "bind" for a new one.',
    },
    "bind_locked": {
        "zh": "验证未通过次数过多，请稍后再试，或回复「人工」联系客服。",
        "en": 'Too many wrong tries; please try again later, or reply "agent" for a person.',
    },
    "bind_rate_limited": {
        "zh": "验证码发送过于频繁，请稍后再回复「绑定」。",
        "en": 'Codes have been sent too often; please reply "bind" again a little later.',
    },
    "bind_unavailable": {
        "zh": "抱歉，验证服务暂时不可用，请稍后再回复「绑定」。",
        "en": 'Sorry, verification is unavailable for now; please reply "bind" again later.',
    },
    "bind_done": {
        "zh": "绑定成功！以后在本公众号查询和办理业务无需重复验证身份（提款等资金操作仍需短信验证）。回复「解绑」可解除绑定。",
        "en": "Done: you need not verify again here to look things up (moving money still takes a texted code). "
        'Reply "unbind" to undo.',
    },
    "bind_already": {
        "zh": "您的微信已绑定本行客户身份。如需解除，请回复「解绑」。",
        "en": 'Your WeChat is already bound to your customer record. Reply "unbind" to undo.',
    },
    "bind_cancelled": {"zh": "已取消绑定。", "en": "Binding cancelled."},
    "unbound": {"zh": "已解除绑定。", "en": "Unbound: we will ask you to verify again when needed."},
    "not_bound": {"zh": "您的微信尚未绑定。", "en": "Your WeChat is not bound."},
    "undelivered_note": {
        "zh": "【系统】{count} 条回复未能通过{channel}送达客户（{reason}），已保存；客户再次发消息时将补发。{handover}",
        "en": "[System] {count} replies could not be delivered through {channel} ({reason}); they are kept and "
        "will be sent when the customer writes again. {handover}",
    },
    "undelivered_summary": {
        "zh": "客户通过{channel}咨询，但回复未能送达（{reason}），请联系客户。未送达的内容：\n{texts}",
        "en": "The customer wrote through {channel} but our replies could not be delivered ({reason}); please "
        "contact them. What was not delivered:\n{texts}",
    },
}
CHANNEL_NAMES = {"wechat": {"zh": "微信公众号", "en": "WeChat"}, "wecom": {"zh": "微信客服", "en": "WeCom"}}
UNDELIVERED_REASONS = {
    "window_closed": {"zh": "回复时限已过", "en": "the reply window has closed"},
    "unsubscribed": {"zh": "客户已取消关注", "en": "the customer unfollowed"},
    "refused": {"zh": "微信拒绝发送", "en": "WeChat refused the message"},
}


def channel_text(key: str, language: str | None, **values: Any) -> str:
    """One of the channels' texts in the customer's language (Chinese unless English)."""
    text = _CHANNEL_TEXTS[key][lang(language)]
    return text.format(**values) if values else text
