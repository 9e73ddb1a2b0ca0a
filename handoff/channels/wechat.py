"""The WeChat Official Account's protocol: the callback (URL verification, plaintext and safe-mode messages) and
the customer-service message API.

Callback (服务器配置): WeChat signs each call with SHA-1 over the token, timestamp and nonce (and, in safe mode,
the encrypted message), computed here with wechatpy's signer and compared in constant time (wechatpy's own check
uses ``!=``); safe mode's AES is wechatpy's. Before any XML reaches a parser that could expand it, the body is
read by defusedxml with DTDs forbidden: a billion-laughs or external-entity body is refused, as is anything that
is not UTF-8 XML. The hub's size limit (MAX_BODY_BYTES) has already refused an oversized body.

API: ``cgi-bin/token`` for the access token (shared through Redis by every hub process, see ``AccessTokens``)
and ``cgi-bin/message/custom/send`` for text. The base address is configurable (a bank's proxy, the tests' fake).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json as jsonlib
import logging
import struct
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from xml.etree.ElementTree import ParseError

import httpx
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_fromstring
from redis.asyncio import Redis
from redis.exceptions import RedisError
from wechatpy import parse_message
from wechatpy.crypto import PrpCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.exceptions import InvalidAppIdException
from wechatpy.utils import WeChatSigner

from handoff.channels.errors import (
    BadCallback,
    BadSignature,
    ChannelApiError,
    ChannelUnavailable,
    ReplyNotAllowed,
    TokenRejected,
)
from handoff.clock import Clock

logger = logging.getLogger(__name__)

CHANNEL = "wechat"
MessageMode = Literal["plain", "compatible", "safe"]
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
NOT_ALLOWED_ERRORS = frozenset({43004, 45015, 45047})
# What WeChat sends that the hub reads as media for a person (the assistant reads text only).
MEDIA_KINDS = frozenset({"image", "video", "shortvideo", "file", "location", "link"})


def signature_of(*parts: str) -> str:
    """WeChat's callback signature: SHA-1 over the sorted parts (wechatpy's signer)."""
    signer = WeChatSigner()
    signer.add_data(*parts)
    return str(signer.signature)


def _same(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


def read_xml(raw: bytes | str) -> dict[str, str]:
    """The top-level fields of a WeChat XML document, refusing DTDs, entities and anything not UTF-8 XML."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        root = safe_fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except UnicodeDecodeError as exc:
        raise BadCallback("The callback body is not UTF-8.") from exc
    except DefusedXmlException as exc:
        raise BadCallback("The callback body declares a DTD or entities; they are not accepted.") from exc
    except ParseError as exc:
        raise BadCallback("The callback body is not well-formed XML.") from exc
    if root.tag != "xml":
        raise BadCallback("The callback body is not a WeChat message.")
    return {child.tag: (child.text or "") for child in root}


@dataclass(frozen=True)
class IncomingMessage:
    """One message or event from a channel's customer, as the hub stores it (see ChannelInbound)."""

    account_id: str  # the Official Account (ToUserName), or the WeCom customer-service account
    external_id: str  # the customer (FromUserName: the openid)
    kind: str  # text | voice | image | ... | event | unknown
    dedupe_key: str
    text: str = ""
    event: str | None = None
    event_key: str | None = None
    media: dict[str, str] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        return {"text": self.text, "event": self.event, "event_key": self.event_key, "media": self.media}


class OfficialAccountCallback:
    """Checks and opens the Official Account's callbacks (no state; one per hub process)."""

    def __init__(
        self,
        *,
        token: str,
        app_id: str,
        encoding_aes_key: str,
        mode: MessageMode,
        max_skew_seconds: int,
        clock: Clock,
    ):
        self.token = token
        self.app_id = app_id
        self.mode = mode
        self.max_skew_seconds = max_skew_seconds
        self.clock = clock
        self._crypto = PrpCrypto(base64.b64decode(encoding_aes_key + "=")) if encoding_aes_key else None

    def verify_url(self, *, signature: str | None, timestamp: str | None, nonce: str | None, echostr: str) -> str:
        """The GET that WeChat sends when the URL is configured: answer the echo string if the signature is ours."""
        check_fresh(self.clock, timestamp, self.max_skew_seconds)
        if not _same(signature_of(self.token, timestamp or "", nonce or ""), signature):
            raise BadSignature("The signature does not match.")
        return echostr

    def open(self, *, body: bytes, query: Mapping[str, str]) -> IncomingMessage:
        """A POSTed message: signature (and safe mode's decryption) checked, then parsed. Raises BadSignature (403,
        nothing changes) or BadCallback (400)."""
        timestamp, nonce = query.get("timestamp"), query.get("nonce")
        check_fresh(self.clock, timestamp, self.max_skew_seconds)
        if query.get("encrypt_type", "raw").lower() == "aes":
            if self._crypto is None or self.mode == "plain":
                raise BadSignature("Encrypted messages are not configured (WECHAT_ENCODING_AES_KEY).")
            xml: bytes | str = open_envelope(
                self._crypto.decrypt,
                receiver_id=self.app_id,
                token=self.token,
                body=body,
                timestamp=timestamp,
                nonce=nonce,
                msg_signature=query.get("msg_signature"),
            )
        else:
            if self.mode == "safe":
                raise BadSignature("Only encrypted messages are accepted (safe mode).")
            if not _same(signature_of(self.token, timestamp or "", nonce or ""), query.get("signature")):
                raise BadSignature("The signature does not match.")
            xml = body
        return self.parse(xml)

    @staticmethod
    def parse(xml: bytes | str) -> IncomingMessage:
        fields = read_xml(xml)  # refuses DTDs and entities before wechatpy's parser sees the text
        if not fields.get("MsgType") or not fields.get("FromUserName"):
            raise BadCallback("The message has no MsgType or FromUserName.")
        message = parse_message(xml)
        kind = str(message.type)
        source, target = str(message.source), str(message.target)
        msg_id = fields.get("MsgId")
        # WeChat's retries carry the same MsgId (kept with its sender: a key no other account's push can hit);
        # events have none: their sender and time identify them.
        dedupe_key = f"msg:{source}:{msg_id}" if msg_id else f"evt:{source}:{fields.get('CreateTime', '')}:{kind}"
        if kind == "text":
            return IncomingMessage(target, source, "text", dedupe_key, text=str(message.content or ""))
        if kind == "voice":
            return IncomingMessage(
                target, source, "voice", dedupe_key, text=str(message.recognition or ""), media=_media(fields)
            )
        if kind in MEDIA_KINDS:
            return IncomingMessage(target, source, kind, dedupe_key, media=_media(fields))
        if kind == "event":
            event = str(fields.get("Event", "")).lower()
            key = fields.get("EventKey") or None
            return IncomingMessage(target, source, "event", f"{dedupe_key}:{event}", event=event, event_key=key)
        return IncomingMessage(target, source, "unknown", dedupe_key)


def check_fresh(clock: Clock, timestamp: str | None, max_skew_seconds: int) -> None:
    """A callback's timestamp within ``max_skew_seconds`` of the hub's clock (else a replay: BadSignature)."""
    try:
        sent = int(timestamp or "")
    except ValueError as exc:
        raise BadSignature("The timestamp is missing or not a number.") from exc
    if abs(clock.now().timestamp() - sent) > max_skew_seconds:
        raise BadSignature("The timestamp is too far from now (a replayed callback?).")


def open_envelope(
    decrypt: Callable[[str, str], Any],
    *,
    receiver_id: str,
    token: str,
    body: bytes,
    timestamp: str | None,
    nonce: str | None,
    msg_signature: str | None,
) -> str:
    """The XML inside a safe-mode envelope (``<xml><Encrypt>...</Encrypt></xml>``): the message signature over the
    token, timestamp, nonce and ciphertext checked in constant time, then wechatpy's AES with the receiver's id
    (the Official Account's AppID, or WeCom's corp id) checked at its end."""
    encrypted = read_xml(body).get("Encrypt", "")
    expected = signature_of(token, timestamp or "", nonce or "", encrypted)
    if not encrypted or not _same(expected, msg_signature):
        raise BadSignature("The message signature does not match.")
    return decrypt_checked(decrypt, encrypted, receiver_id)


def decrypt_checked(decrypt: Callable[[str, str], Any], encrypted: str, receiver_id: str) -> str:
    try:
        return str(decrypt(encrypted, receiver_id))
    except (InvalidAppIdException, InvalidCorpIdException) as exc:
        raise BadSignature("The message is for another AppID or corp.") from exc
    except (ValueError, binascii.Error, UnicodeDecodeError, struct.error) as exc:
        raise BadCallback("The encrypted message cannot be decrypted.") from exc


def _media(fields: dict[str, str]) -> dict[str, str]:
    """What an agent may want to open (the link WeChat gives, the title), never more than that."""
    keep = ("MediaId", "PicUrl", "Format", "Title", "Description", "Url", "Label", "Location_X", "Location_Y")
    return {name: fields[name][:500] for name in keep if fields.get(name)}


# ---- the API ---------------------------------------------------------------------------------------------------


class AccessTokens:
    """An access token per app, cached in Redis for every hub process (so they do not take turns invalidating
    each other's: fetching a new one ends the old one's life at WeChat). One process fetches at a time, under a
    Redis lock; the others wait for it and read what it stored. A token the API refuses is dropped only if it is
    still the cached one, so a fresh token fetched meanwhile is not thrown away."""

    def __init__(self, redis: Redis, *, key: str, fetch: Callable[[], Awaitable[tuple[str, int]]]):
        self.redis = redis
        self.key = key
        self._fetch = fetch
        self._local: str | None = None  # when Redis is down, this process keeps its own

    async def get(self) -> str:
        try:
            cached = await self.redis.get(self.key)
            if cached:
                return str(cached)
            async with self.redis.lock(f"{self.key}:refresh", timeout=15, blocking_timeout=15):
                cached = await self.redis.get(self.key)
                if cached:
                    return str(cached)
                token, expires_in = await self._fetch()
                # Refreshed five minutes early: a token handed out just before its end would fail in flight.
                await self.redis.set(self.key, token, ex=max(expires_in - 300, 60))
                return token
        except RedisError:
            logger.warning("access token: Redis unavailable, this process fetches its own")
            if self._local is None:
                self._local, _ = await self._fetch()
            return self._local

    async def drop(self, token: str) -> None:
        self._local = None
        try:
            if await self.redis.get(self.key) == token:
                await self.redis.delete(self.key)
        except RedisError:
            pass


def check_answer(response: httpx.Response) -> dict[str, Any]:
    """The API's JSON answer, or the error it stands for (WeChat and WeCom answer errors as 200 with errcode)."""
    if response.status_code >= 500:
        raise ChannelUnavailable(f"the API answered {response.status_code}")
    try:
        data = response.json()
    except ValueError as exc:
        raise ChannelUnavailable(f"the API answered {response.status_code} without JSON") from exc
    if not isinstance(data, dict):
        raise ChannelUnavailable("the API answered something other than an object")
    errcode = int(data.get("errcode") or 0)
    errmsg = str(data.get("errmsg") or "")
    if errcode == 0:
        return data
    if errcode == -1:
        raise ChannelUnavailable(f"the API is busy (-1: {errmsg})")
    if errcode in TOKEN_ERRORS:
        raise TokenRejected(errcode, errmsg)
    if errcode in NOT_ALLOWED_ERRORS:
        raise ReplyNotAllowed(errcode, errmsg)
    raise ChannelApiError(errcode, errmsg)


class TokenApi:
    """Calls to an API that takes ``access_token`` in the query (WeChat's and WeCom's), with the token shared by
    every hub process and replaced once when the API calls it invalid or expired."""

    def __init__(self, *, base_url: str, token_key: str, http: httpx.AsyncClient, redis: Redis):
        self.base_url = base_url.rstrip("/")
        self.http = http
        self.tokens = AccessTokens(redis, key=token_key, fetch=self._fetch_token)

    async def _fetch_token(self) -> tuple[str, int]:
        raise NotImplementedError

    async def _call(
        self, method: str, path: str, *, params: dict[str, str], json: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        # WeChat reads the JSON's text as UTF-8 as is: Chinese is sent as characters, not \u escapes.
        content = jsonlib.dumps(json, ensure_ascii=False).encode() if json is not None else None
        headers = {"Content-Type": "application/json; charset=utf-8"} if json is not None else None
        try:
            response = await self.http.request(
                method, f"{self.base_url}{path}", params=params, content=content, headers=headers
            )
        except httpx.HTTPError as exc:
            raise ChannelUnavailable(f"the API did not answer ({type(exc).__name__})") from exc
        return check_answer(response)

    async def call_with_token(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST with the access token; a token the API calls invalid or expired is replaced once."""
        for attempt in (1, 2):
            token = await self.tokens.get()
            try:
                return await self._call("POST", path, params={"access_token": token}, json=body)
            except TokenRejected:
                await self.tokens.drop(token)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _token_from(self, data: dict[str, Any]) -> tuple[str, int]:
        token = data.get("access_token")
        if not isinstance(token, str) or not token:
            raise ChannelUnavailable("the token endpoint answered without a token")
        return token, int(data.get("expires_in") or 7200)


class OfficialAccountApi(TokenApi):
    """Sends customer-service messages (``message/custom/send``)."""

    channel = CHANNEL

    def __init__(self, *, base_url: str, app_id: str, app_secret: str, http: httpx.AsyncClient, redis: Redis):
        super().__init__(base_url=base_url, token_key=f"hub:wechat:{app_id}:access_token", http=http, redis=redis)
        self.app_id = app_id
        self._app_secret = app_secret

    async def _fetch_token(self) -> tuple[str, int]:
        params = {"grant_type": "client_credential", "appid": self.app_id, "secret": self._app_secret}
        token = self._token_from(await self._call("GET", "/cgi-bin/token", params=params))
        logger.info("wechat: a new access token for %s", self.app_id)
        return token

    async def send_text(self, *, account_id: str, external_id: str, text: str) -> None:
        await self.call_with_token(
            "/cgi-bin/message/custom/send", {"touser": external_id, "msgtype": "text", "text": {"content": text}}
        )

    async def end_session(self, *, account_id: str, external_id: str) -> None:
        """An Official Account has no session to end."""
