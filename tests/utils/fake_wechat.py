"""A stand-in for WeChat's servers, speaking their API: ``cgi-bin/token`` and ``cgi-bin/message/custom/send``
(errors as HTTP 200 with ``errcode``, as WeChat answers them), and ways for a test to inject what WeChat does
when things go wrong: an access token refused (40001) or expired (42001), the reply window closed (45015), the
allowance used (45047), a 5xx, a customer who unfollowed (43004). And WeCom customer service's: ``gettoken``,
``kf/sync_msg`` (messages kept per account, pulled from a cursor with the callback's token), ``kf/send_msg`` and
``kf/service_state/trans`` (the session's state, with WeCom's allowed moves).

It runs in a thread of the test process on a free port, so a hub process can call it while the test reads what
arrived. And the other direction: ``Customer`` builds the callbacks WeChat would send, signed and (in safe mode)
encrypted with wechatpy's own code, not the hub's.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from wechatpy.crypto import WeChatCrypto
from wechatpy.enterprise.crypto import PrpCrypto as WeComPrp
from wechatpy.enterprise.crypto import WeChatCrypto as WeComCrypto
from wechatpy.utils import WeChatSigner

from tests.utils.services import free_port

APP_ID = "wx5e1f0c0ffee0b0a7"
APP_SECRET = "test-app-secret-0123456789abcdef"
TOKEN = "test-callback-token"
# 43 characters, as the Official Account's admin shows them.
ENCODING_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
ACCOUNT = "gh_0123456789ab"
CORP_ID = "ww0123456789abcdef"
KF_SECRET = "test-kf-secret-0123456789"
KF_TOKEN = "test-wecom-callback-token"
KF_ENCODING_AES_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
KF_ACCOUNT = "wkTestAccount0001"
# WeCom's allowed session moves: from each state, the states it may go to.
KF_MOVES = {0: {1, 2, 3, 4}, 1: {1, 2, 3, 4}, 2: {2, 3, 4}, 3: {3, 4}, 4: set()}


@dataclass
class Sent:
    touser: str
    content: str
    at: float


@dataclass
class FakeWeChat:
    url: str = ""
    sent: list[Sent] = field(default_factory=list)
    tokens_issued: int = 0
    valid_tokens: set[str] = field(default_factory=set)
    # errcodes (or 500 for an HTTP 500) the next custom/send calls answer, in order; per customer or for anyone
    failures: deque[int] = field(default_factory=deque)
    failures_for: dict[str, deque[int]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # WeCom: each account's messages (what sync_msg returns), the pull tokens it handed out, sessions' states
    kf_messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    kf_pull_tokens: set[str] = field(default_factory=set)
    kf_states: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    kf_syncs: int = 0

    # ---- what a test sees and does ----

    def to(self, openid: str) -> list[str]:
        with self.lock:
            return [s.content for s in self.sent if s.touser == openid]

    def fail_next(self, *codes: int, openid: str | None = None) -> None:
        with self.lock:
            target = self.failures if openid is None else self.failures_for.setdefault(openid, deque())
            target.extend(codes)

    def expire_tokens(self) -> None:
        with self.lock:
            self.valid_tokens.clear()

    async def wait_for(self, openid: str, contains: str, *, seconds: float = 30) -> list[str]:
        """Every message the customer got, once one of them contains ``contains``."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            got = self.to(openid)
            if any(contains in text for text in got):
                return got
            await asyncio.sleep(0.1)
        raise AssertionError(f"{openid} never got a message containing {contains!r}; got {self.to(openid)}")

    def kf_customer_says(self, account: str, external_userid: str, text: str) -> str:
        """A WeCom customer writes: the message waits at WeCom; the pull token for the nudge is returned."""
        with self.lock:
            self.kf_messages.setdefault(account, []).append(
                {
                    "msgid": "msg" + secrets.token_hex(8),
                    "open_kfid": account,
                    "external_userid": external_userid,
                    "send_time": int(time.time()),
                    "origin": 3,
                    "msgtype": "text",
                    "text": {"content": text},
                }
            )
            state = self.kf_states.setdefault((account, external_userid), [0])
            if state[-1] == 4:
                state.append(0)  # a new message opens a new session
            token = "PULL_" + secrets.token_hex(8)
            self.kf_pull_tokens.add(token)
            return token

    def kf_state(self, account: str, external_userid: str) -> list[int]:
        with self.lock:
            return list(self.kf_states.get((account, external_userid), []))

    # ---- the API ----

    async def token(self, request: Request) -> Response:
        query = request.query_params
        if query.get("grant_type") != "client_credential":
            return JSONResponse({"errcode": 40002, "errmsg": "invalid grant_type"})
        if query.get("appid") != APP_ID or query.get("secret") != APP_SECRET:
            return JSONResponse({"errcode": 40125, "errmsg": "invalid appsecret"})
        token = "ACCESS_" + secrets.token_hex(16)
        with self.lock:
            self.tokens_issued += 1
            self.valid_tokens.add(token)
        return JSONResponse({"access_token": token, "expires_in": 7200})

    async def custom_send(self, request: Request) -> Response:
        token = request.query_params.get("access_token", "")
        try:
            body = json.loads(await request.body())
            touser, content = str(body["touser"]), str(body["text"]["content"])
            assert body["msgtype"] == "text"
        except (ValueError, KeyError, TypeError, AssertionError):
            return JSONResponse({"errcode": 44002, "errmsg": "empty post data or bad json"})
        with self.lock:
            queue = self.failures_for.get(touser)
            code = queue.popleft() if queue else (self.failures.popleft() if self.failures else 0)
            if code in (40001, 42001):
                self.valid_tokens.discard(token)
            elif token not in self.valid_tokens:
                code = 40001
        if code == 500:
            return Response("bad gateway", status_code=502)
        if code:
            return JSONResponse({"errcode": code, "errmsg": f"injected {code}"})
        if len(content.encode()) > 2048:
            return JSONResponse({"errcode": 45002, "errmsg": "content size out of limit"})
        with self.lock:
            self.sent.append(Sent(touser, content, time.monotonic()))
        return JSONResponse({"errcode": 0, "errmsg": "ok"})

    # ---- WeCom ----

    async def kf_token(self, request: Request) -> Response:
        query = request.query_params
        if query.get("corpid") != CORP_ID or query.get("corpsecret") != KF_SECRET:
            return JSONResponse({"errcode": 40013, "errmsg": "invalid corpid"})
        token = "KFACCESS_" + secrets.token_hex(16)
        with self.lock:
            self.tokens_issued += 1
            self.valid_tokens.add(token)
        return JSONResponse({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200})

    def _kf_body(self, request: Request, raw: bytes) -> dict[str, Any] | Response:
        if request.query_params.get("access_token", "") not in self.valid_tokens:
            return JSONResponse({"errcode": 40014, "errmsg": "invalid access_token"})
        try:
            body = json.loads(raw)
        except ValueError:
            return JSONResponse({"errcode": 47001, "errmsg": "data format error"})
        return body if isinstance(body, dict) else JSONResponse({"errcode": 47001, "errmsg": "data format error"})

    async def kf_sync(self, request: Request) -> Response:
        body = self._kf_body(request, await request.body())
        if isinstance(body, Response):
            return body
        account, cursor = str(body.get("open_kfid", "")), str(body.get("cursor") or "0")
        limit = min(int(body.get("limit") or 1000), 1000)
        with self.lock:
            self.kf_syncs += 1
            if body.get("token") and body["token"] not in self.kf_pull_tokens:
                return JSONResponse({"errcode": 95007, "errmsg": "invalid msg token"})
            messages = self.kf_messages.get(account, [])
            start = int(cursor) if cursor.isdigit() else 0
            page = messages[start : start + limit]
            next_cursor = start + len(page)
        return JSONResponse(
            {
                "errcode": 0,
                "errmsg": "ok",
                "next_cursor": str(next_cursor),
                "has_more": int(next_cursor < len(messages)),
                "msg_list": page,
            }
        )

    async def kf_send(self, request: Request) -> Response:
        body = self._kf_body(request, await request.body())
        if isinstance(body, Response):
            return body
        try:
            touser, content = str(body["touser"]), str(body["text"]["content"])
            assert body["msgtype"] == "text" and body["open_kfid"]
        except (KeyError, TypeError, AssertionError):
            return JSONResponse({"errcode": 47001, "errmsg": "data format error"})
        with self.lock:
            self.sent.append(Sent(touser, content, time.monotonic()))
        return JSONResponse({"errcode": 0, "errmsg": "ok", "msgid": "sent" + secrets.token_hex(6)})

    async def kf_trans(self, request: Request) -> Response:
        body = self._kf_body(request, await request.body())
        if isinstance(body, Response):
            return body
        key = (str(body.get("open_kfid", "")), str(body.get("external_userid", "")))
        wanted = int(body.get("service_state", -1))
        with self.lock:
            states = self.kf_states.setdefault(key, [0])
            if wanted not in KF_MOVES.get(states[-1], set()):
                return JSONResponse({"errcode": 95016, "errmsg": "invalid service state change"})
            if wanted != states[-1]:
                states.append(wanted)
        return JSONResponse({"errcode": 0, "errmsg": "ok"})


def start_fake_wechat() -> tuple[FakeWeChat, uvicorn.Server, threading.Thread]:
    fake = FakeWeChat()
    port = free_port()
    app = Starlette(
        routes=[
            Route("/cgi-bin/token", fake.token, methods=["GET"]),
            Route("/cgi-bin/message/custom/send", fake.custom_send, methods=["POST"]),
            Route("/cgi-bin/gettoken", fake.kf_token, methods=["GET"]),
            Route("/cgi-bin/kf/sync_msg", fake.kf_sync, methods=["POST"]),
            Route("/cgi-bin/kf/send_msg", fake.kf_send, methods=["POST"]),
            Route("/cgi-bin/kf/service_state/trans", fake.kf_trans, methods=["POST"]),
        ]
    )
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name="fake-wechat", daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    return fake, server, thread


# ---- the customer's side: callbacks as WeChat sends them ----------------------------------------------------------


def _signature(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return str(signer.signature)


_MSG_IDS = itertools.count(int(time.time() * 1000) * 1000)


class Customer:
    """A WeChat user of the Official Account: each method posts one callback to the hub, as WeChat would."""

    def __init__(self, http: httpx.AsyncClient, openid: str | None = None, *, encrypted: bool = True):
        self.http = http
        self.openid = openid or "o" + secrets.token_hex(13)
        self.encrypted = encrypted

    @staticmethod
    def next_msg_id() -> int:
        """A new MsgId: WeChat's are unique 64-bit numbers."""
        return next(_MSG_IDS)

    def xml(self, msg_type: str, fields: str, *, msg_id: int | None = None, create_time: int | None = None) -> str:
        created = create_time or int(time.time())
        msg = f"<MsgId>{msg_id}</MsgId>" if msg_id is not None else ""
        return (
            f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{self.openid}]]></FromUserName>"
            f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>{fields}{msg}</xml>"
        )

    def text_xml(self, text: str, msg_id: int | None = None) -> str:
        return self.xml("text", f"<Content><![CDATA[{text}]]></Content>", msg_id=msg_id or self.next_msg_id())

    async def post(self, xml: str | bytes, *, encrypted: bool | None = None, **overrides: str) -> httpx.Response:
        """POST a callback: signed like WeChat's, and in safe mode encrypted with wechatpy's WeChatCrypto."""
        timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
        plain = xml.decode() if isinstance(xml, bytes) else xml
        if self.encrypted if encrypted is None else encrypted:
            crypto = WeChatCrypto(TOKEN, ENCODING_AES_KEY, APP_ID)
            body = crypto.encrypt_message(plain, nonce, timestamp)
            encrypt = _encrypted_part(body)
            query = {
                "signature": _signature(TOKEN, timestamp, nonce),
                "timestamp": timestamp,
                "nonce": nonce,
                "openid": self.openid,
                "encrypt_type": "aes",
                "msg_signature": _signature(TOKEN, timestamp, nonce, encrypt),
            }
        else:
            body = plain
            query = {"signature": _signature(TOKEN, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
        query.update(overrides)
        return await self.http.post(
            f"/channels/wechat/callback?{urlencode(query)}",
            content=body.encode() if isinstance(body, str) else body,
            headers={"Content-Type": "text/xml"},
        )

    async def says(self, text: str, **kwargs: Any) -> httpx.Response:
        return await self.post(self.text_xml(text), **kwargs)

    async def event(self, event: str, key: str | None = None) -> httpx.Response:
        fields = f"<Event><![CDATA[{event}]]></Event>" + (f"<EventKey><![CDATA[{key}]]></EventKey>" if key else "")
        return await self.post(self.xml("event", fields))


def _encrypted_part(envelope: str) -> str:
    start = envelope.index("<Encrypt><![CDATA[") + len("<Encrypt><![CDATA[")
    return envelope[start : envelope.index("]]></Encrypt>")]


class WeComServer:
    """WeCom's side of the callback: nudges signed and encrypted with wechatpy's enterprise crypto."""

    def __init__(self, http: httpx.AsyncClient):
        self.http = http
        self.crypto = WeComCrypto(KF_TOKEN, KF_ENCODING_AES_KEY, CORP_ID)

    def nudge_xml(self, pull_token: str, account: str = KF_ACCOUNT) -> str:
        return (
            f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><CreateTime>{int(time.time())}</CreateTime>"
            "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event>"
            f"<Token><![CDATA[{pull_token}]]></Token><OpenKfId><![CDATA[{account}]]></OpenKfId></xml>"
        )

    async def nudge(self, pull_token: str, **overrides: str) -> httpx.Response:
        timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
        envelope = self.crypto.encrypt_message(self.nudge_xml(pull_token), nonce, timestamp)
        query = {
            "msg_signature": _signature(KF_TOKEN, timestamp, nonce, _encrypted_part(envelope)),
            "timestamp": timestamp,
            "nonce": nonce,
            **overrides,
        }
        return await self.http.post(f"/channels/wecom/callback?{urlencode(query)}", content=envelope.encode())

    async def verify_url(self, echo: str, *, signature: str | None = None) -> httpx.Response:
        timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
        encrypted = WeComPrp(self.crypto.key).encrypt(echo, CORP_ID).decode()
        query = {
            "msg_signature": signature or _signature(KF_TOKEN, timestamp, nonce, encrypted),
            "timestamp": timestamp,
            "nonce": nonce,
            "echostr": encrypted,
        }
        return await self.http.get("/channels/wecom/callback", params=query)
