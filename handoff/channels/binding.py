"""A channel's customer proves which bank customer they are, once: their mobile, a one-time code from the lending
core, and the binding is kept (``ChannelUser.customer_id``) until they unbind.

The hub verifies the code itself (the assistant never sets identity): a bound customer's conversations carry
``customer_id`` with ``verified_by = "channel_binding"``, which the assistant trusts to look things up; moving
money still takes a fresh one-time code in the form (actions/verification.py), as it would in the web page.

The dialogue is the hub's, a step at a time in ``ChannelUser.binding``: ``{"step": "mobile"}``, then
``{"step": "code", "verification_id": ..., "masked_mobile": ...}``. The code itself is never stored: the
transcript keeps "[验证码]" in its place, and the mobile is masked in every staff view.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from handoff.clock import Clock
from handoff.lending import LendingCoreClient, LendingRefused, LendingUnavailable
from handoff.models import ChannelUser, Conversation
from handoff.system_texts import channel_text

logger = logging.getLogger(__name__)

VERIFIED_BY = "channel_binding"
BIND_COMMAND = "绑定"
BIND_WORDS = frozenset({BIND_COMMAND, "绑定身份", "身份绑定", "bind"})
UNBIND_WORDS = frozenset({"解绑", "解除绑定", "unbind"})
CANCEL_WORDS = frozenset({"取消", "退出", "cancel", "stop"})
_MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")
_CODE = re.compile(r"^\d{6}$")
CODE_PLACEHOLDER = "[验证码]"


def wants_binding(text: str) -> bool:
    return text.strip().lower() in BIND_WORDS | UNBIND_WORDS


@dataclass(frozen=True)
class Step:
    """What the hub answers, and what the transcript keeps of the customer's words (None: as written)."""

    answer: str
    stored_text: str | None = None


class Binding:
    def __init__(self, *, lending: LendingCoreClient, clock: Clock):
        self.lending = lending
        self.clock = clock

    def in_dialogue(self, user: ChannelUser) -> bool:
        return bool(user.binding)

    async def handle(self, session: AsyncSession, *, user: ChannelUser, conversation: Conversation, text: str) -> Step:
        """One turn of the dialogue (the caller commits). ``text`` is "bind", "unbind", or an answer to a step."""
        words = text.strip()
        lowered = words.lower()
        language = user.language or conversation.language
        if lowered in UNBIND_WORDS:
            user.binding = None
            if not user.customer_id:
                return Step(channel_text("not_bound", language))
            user.customer_id, user.bound_at = None, None
            conversation.customer_id, conversation.verified_by = None, None
            logger.info("channel user %s unbound", user.id)
            return Step(channel_text("unbound", language))
        if lowered in BIND_WORDS:
            if user.customer_id:
                user.binding = None
                return Step(channel_text("bind_already", language))
            user.binding = {"step": "mobile"}
            return Step(channel_text("bind_ask_mobile", language))
        if lowered in CANCEL_WORDS:
            user.binding = None
            return Step(channel_text("bind_cancelled", language))
        step = (user.binding or {}).get("step")
        if step == "mobile":
            return await self._mobile(user, words, language)
        if step == "code":
            return await self._code(user, conversation, words, language)
        user.binding = None
        return Step(channel_text("bind_cancelled", language))

    async def _mobile(self, user: ChannelUser, words: str, language: str | None) -> Step:
        match = _MOBILE.match(re.sub(r"[\s-]", "", words))
        if not match:
            return Step(channel_text("bind_mobile_invalid", language))
        try:
            sent = await self.lending.start_verification(match.group(1))
        except LendingRefused as exc:
            user.binding = None
            key = "bind_rate_limited" if exc.code == "otp_rate_limited" else "bind_mobile_invalid"
            return Step(channel_text(key, language))
        except LendingUnavailable:
            user.binding = None
            return Step(channel_text("bind_unavailable", language))
        user.binding = {"step": "code", "verification_id": sent.verification_id, "masked_mobile": sent.masked_mobile}
        return Step(channel_text("bind_code_sent", language, masked=sent.masked_mobile))

    async def _code(self, user: ChannelUser, conversation: Conversation, words: str, language: str | None) -> Step:
        if not _CODE.match(words):
            return Step(channel_text("bind_code_format", language))
        verification_id = str((user.binding or {}).get("verification_id"))
        try:
            customer_id = await self.lending.confirm_verification(verification_id, words)
        except LendingRefused as exc:
            remaining = exc.details.get("attempts_remaining")
            if exc.code == "otp_invalid" and remaining:
                return Step(channel_text("bind_code_invalid", language, remaining=remaining), CODE_PLACEHOLDER)
            user.binding = None
            key = "bind_code_expired" if exc.code == "otp_expired" else "bind_locked"
            return Step(channel_text(key, language), CODE_PLACEHOLDER)
        except LendingUnavailable:
            return Step(channel_text("bind_unavailable", language), CODE_PLACEHOLDER)
        user.binding = None
        user.customer_id, user.bound_at = customer_id, self.clock.now()
        conversation.customer_id, conversation.verified_by = customer_id, VERIFIED_BY
        logger.info("channel user %s bound to a customer", user.id)
        return Step(channel_text("bind_done", language), CODE_PLACEHOLDER)
