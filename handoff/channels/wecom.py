"""WeCom customer service (微信客服): the ``kf_msg_or_event`` callback, pulling messages with ``kf/sync_msg``,
replying with ``kf/send_msg``, and the session's state with ``service_state/trans``.

WeCom pushes no message, only a nudge: the callback (always encrypted, with the corp id inside) says that an
account (``OpenKfId``) has something new, with a short-lived ``Token`` for pulling it. The hub answers at once and
pulls (``KfSync``), one hub process at a time per account (a Redis lock), from the cursor kept in SQL
(``ChannelCursor``). Each pulled message goes through the same inbound path as WeChat's (stored, deduplicated by
its msgid, processed in order per customer), so pulling the same page twice (a hub killed before it saved the
cursor) processes nothing twice; pulling is also what the sweep does now and then, should a nudge be lost.

The session's state: WeCom lets the API reply only while a session is new (0) or "served by the assistant" (1);
in the queue (2) or with a WeCom servicer (3) only a person in WeCom's own client can. The hub's agents work in
the hub's console and their words go out through this API, so the hub moves a new session to 1 when it first
answers it and keeps it there while it is the hub's, and ends it (4) when an agent closes the chat. A bank whose
agents work in WeCom's client instead would move sessions to 2 and 3: that is not built.
"""

from __future__ import annotations

import base64
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

import httpx
from redis.asyncio import Redis
from redis.exceptions import LockError, RedisError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from wechatpy.enterprise.crypto import PrpCrypto

from handoff.channels.errors import BadCallback, BadSignature, ChannelApiError, ChannelUnavailable
from handoff.channels.inbound import ChannelInbox
from handoff.channels.wechat import (
    IncomingMessage,
    TokenApi,
    _same,
    check_fresh,
    decrypt_checked,
    open_envelope,
    read_xml,
    signature_of,
)
from handoff.clock import Clock
from handoff.models import ChannelCursor

logger = logging.getLogger(__name__)

CHANNEL = "wecom"
CUSTOMER_ORIGIN = 3
# WeCom's session states (service_state)
STATE_ASSISTANT = 1
STATE_ENDED = 4
_MEDIA = {"image", "voice", "video", "file", "location", "link", "miniprogram", "business_card"}


class KfCallback:
    """Checks and opens WeCom's callbacks (always encrypted; the corp id is the receiver)."""

    def __init__(self, *, token: str, corp_id: str, encoding_aes_key: str, max_skew_seconds: int, clock: Clock):
        self.token = token
        self.corp_id = corp_id
        self.max_skew_seconds = max_skew_seconds
        self.clock = clock
        self._crypto = PrpCrypto(base64.b64decode(encoding_aes_key + "="))

    def verify_url(self, *, msg_signature: str | None, timestamp: str | None, nonce: str | None, echostr: str) -> str:
        """The GET WeCom sends when the URL is saved: the decrypted echo string, if the signature is ours."""
        check_fresh(self.clock, timestamp, self.max_skew_seconds)
        if not _same(signature_of(self.token, timestamp or "", nonce or "", echostr), msg_signature):
            raise BadSignature("The signature does not match.")
        return decrypt_checked(self._crypto.decrypt, echostr, self.corp_id)

    def open(self, *, body: bytes, query: Mapping[str, str]) -> tuple[str, str] | None:
        """The account to pull and the pull token of a ``kf_msg_or_event`` callback (None: another event)."""
        timestamp = query.get("timestamp")
        check_fresh(self.clock, timestamp, self.max_skew_seconds)
        xml = open_envelope(
            self._crypto.decrypt,
            receiver_id=self.corp_id,
            token=self.token,
            body=body,
            timestamp=timestamp,
            nonce=query.get("nonce"),
            msg_signature=query.get("msg_signature"),
        )
        fields = read_xml(xml)
        if fields.get("Event") != "kf_msg_or_event":
            return None
        account, pull_token = fields.get("OpenKfId", ""), fields.get("Token", "")
        if not account or len(account) > 64 or len(pull_token) > 256:
            raise BadCallback("The event has no customer-service account.")
        return account, pull_token


class KfApi(TokenApi):
    """WeCom's customer-service API, with the customer-service secret's access token."""

    channel = CHANNEL

    def __init__(self, *, base_url: str, corp_id: str, secret: str, http: httpx.AsyncClient, redis: Redis):
        super().__init__(base_url=base_url, token_key=f"hub:wecom:{corp_id}:access_token", http=http, redis=redis)
        self.corp_id = corp_id
        self._secret = secret

    async def _fetch_token(self) -> tuple[str, int]:
        params = {"corpid": self.corp_id, "corpsecret": self._secret}
        token = self._token_from(await self._call("GET", "/cgi-bin/gettoken", params=params))
        logger.info("wecom: a new access token for %s", self.corp_id)
        return token

    async def send_text(self, *, account_id: str, external_id: str, text: str) -> None:
        body = {"touser": external_id, "open_kfid": account_id, "msgtype": "text", "text": {"content": text}}
        await self.call_with_token("/cgi-bin/kf/send_msg", body)

    async def sync(self, *, account_id: str, cursor: str | None, pull_token: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {"open_kfid": account_id, "limit": 1000}
        if cursor:
            body["cursor"] = cursor
        if pull_token:
            body["token"] = pull_token
        return await self.call_with_token("/cgi-bin/kf/sync_msg", body)

    async def move_session(self, *, account_id: str, external_id: str, state: int) -> None:
        body = {"open_kfid": account_id, "external_userid": external_id, "service_state": state}
        await self.call_with_token("/cgi-bin/kf/service_state/trans", body)

    async def end_session(self, *, account_id: str, external_id: str) -> None:
        """An agent closed the chat: WeCom's session ends too (the customer's next message opens a new one)."""
        await self.move_session(account_id=account_id, external_id=external_id, state=STATE_ENDED)


def incoming(message: dict[str, Any]) -> IncomingMessage | None:
    """A pulled message as the hub stores it (None: the servicers' own messages, and events: entering a session
    allows only WeCom's one welcome within seconds, through another call, and the assistant greets whoever writes)."""
    account, customer = str(message.get("open_kfid") or ""), str(message.get("external_userid") or "")
    msgid, kind, origin = str(message.get("msgid") or ""), str(message.get("msgtype") or ""), message.get("origin")
    if not msgid or not account:
        return None
    key = f"kf:{msgid}"[:200]
    if origin != CUSTOMER_ORIGIN or not customer:
        return None
    if kind == "text":
        text = str((message.get("text") or {}).get("content") or "")
        return IncomingMessage(account, customer, "text", key, text=text)
    if kind in _MEDIA:
        media = message.get(kind) or {}
        kept = {name: str(value)[:500] for name, value in media.items() if isinstance(value, str | int | float)}
        return IncomingMessage(account, customer, "voice" if kind == "voice" else _media_kind(kind), key, media=kept)
    return IncomingMessage(account, customer, "unknown", key)


def _media_kind(kind: str) -> str:
    return kind if kind in {"image", "video", "file", "location", "link"} else "link"


class KfSync:
    """Pulls an account's new messages into the inbound path, from the cursor in SQL."""

    def __init__(
        self, *, api: KfApi, inbox: ChannelInbox, sessions: async_sessionmaker[AsyncSession], redis: Redis, clock: Clock
    ):
        self.api = api
        self.inbox = inbox
        self.sessions = sessions
        self.redis = redis
        self.clock = clock

    async def pull(self, account_id: str, pull_token: str | None = None) -> int:
        """Every page since the cursor; the number of messages stored. One process per account at a time."""
        lock = self.redis.lock(f"hub:wecom:{account_id}:sync", timeout=60, blocking_timeout=10)
        try:
            if not await lock.acquire():
                return 0
        except RedisError:
            lock = None  # type: ignore[assignment]
        stored = 0
        try:
            async with self.sessions() as session:
                row = await session.get(ChannelCursor, (CHANNEL, account_id))
                cursor = row.cursor if row else None
            for _ in range(100):  # pages of 1,000: a bound, not a limit anyone reaches
                page = await self.api.sync(account_id=account_id, cursor=cursor, pull_token=pull_token)
                for message in page.get("msg_list") or []:
                    found = incoming(message) if isinstance(message, dict) else None
                    if found is not None and await self.inbox.accept(CHANNEL, found):
                        stored += 1
                        if found.kind != "event":
                            await self._served_by_the_hub(found)
                cursor = str(page.get("next_cursor") or cursor or "")
                await self._save(account_id, cursor)
                if not page.get("has_more"):
                    break
        except (ChannelApiError, ChannelUnavailable) as exc:
            logger.warning("wecom: pulling %s failed (%s); the next nudge or sweep pulls again", account_id, exc)
        finally:
            if lock is not None:
                with contextlib.suppress(LockError, RedisError):
                    await lock.release()
        return stored

    async def _served_by_the_hub(self, message: IncomingMessage) -> None:
        """A new or waiting session becomes "served by the assistant" (1), where the API may reply; WeCom refuses
        the move for a session a WeCom servicer holds, which is then left to them."""
        try:
            await self.api.move_session(
                account_id=message.account_id, external_id=message.external_id, state=STATE_ASSISTANT
            )
        except (ChannelApiError, ChannelUnavailable) as exc:
            logger.info("wecom: the session stays where it is (%s)", exc)

    async def _save(self, account_id: str, cursor: str) -> None:
        if not cursor:
            return
        async with self.sessions() as session:
            row = await session.get(ChannelCursor, (CHANNEL, account_id))
            if row is None:
                session.add(ChannelCursor(channel=CHANNEL, account_id=account_id, cursor=cursor))
            else:
                row.cursor, row.updated_at = cursor, self.clock.now()
            await session.commit()

    async def accounts(self) -> list[str]:
        """The accounts the hub has pulled from (the sweep pulls each now and then)."""
        async with self.sessions() as session:
            result = await session.execute(select(ChannelCursor.account_id).where(ChannelCursor.channel == CHANNEL))
            return list(result.scalars())
