"""The Official Account's callback protocol, in-process: signatures (plaintext and safe mode, built by wechatpy's
own code), the message modes, replays, and XML that must never reach a parser that would expand it."""

from __future__ import annotations

import datetime as dt
import time
from typing import Literal

import pytest
from wechatpy.crypto import WeChatCrypto

from handoff.channels.errors import BadCallback, BadSignature
from handoff.channels.wechat import OfficialAccountCallback, signature_of
from handoff.clock import ManualClock
from tests.utils.fake_wechat import ACCOUNT, APP_ID, ENCODING_AES_KEY, TOKEN

OPENID = "oTestOpenId0123456789abcdef"


def callback(
    mode: Literal["plain", "compatible", "safe"] = "compatible", *, now: float | None = None
) -> OfficialAccountCallback:
    clock = ManualClock(dt.datetime.fromtimestamp(now or time.time(), dt.UTC))
    return OfficialAccountCallback(
        token=TOKEN, app_id=APP_ID, encoding_aes_key=ENCODING_AES_KEY, mode=mode, max_skew_seconds=300, clock=clock
    )


def text_xml(text: str = "你好", msg_id: int = 1234567890123456) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{OPENID}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


def plain_query(timestamp: str | None = None, nonce: str = "n0nce") -> dict[str, str]:
    timestamp = timestamp or str(int(time.time()))
    return {"signature": signature_of(TOKEN, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}


def encrypted(xml: str, *, app_id: str = APP_ID, key: str = ENCODING_AES_KEY) -> tuple[bytes, dict[str, str]]:
    timestamp, nonce = str(int(time.time())), "abc123"
    envelope = WeChatCrypto(TOKEN, key, app_id).encrypt_message(xml, nonce, timestamp)
    encrypt = envelope.split("<Encrypt><![CDATA[")[1].split("]]>")[0]
    query = {
        "timestamp": timestamp,
        "nonce": nonce,
        "encrypt_type": "aes",
        "msg_signature": signature_of(TOKEN, timestamp, nonce, encrypt),
    }
    return envelope.encode(), query


def test_the_url_check_answers_the_echo_string_only_when_signed_with_our_token() -> None:
    query = plain_query()
    assert callback().verify_url(echostr="echo-42", **query) == "echo-42"
    with pytest.raises(BadSignature):
        callback().verify_url(echostr="echo-42", **{**query, "signature": "0" * 40})


def test_a_plaintext_message_is_read_with_its_sender_and_msg_id() -> None:
    message = callback().open(body=text_xml("我想申请贷款").encode(), query=plain_query())
    assert (message.external_id, message.account_id, message.kind, message.text) == (
        OPENID,
        ACCOUNT,
        "text",
        "我想申请贷款",
    )
    assert message.dedupe_key == f"msg:{OPENID}:1234567890123456"


def test_a_safe_mode_message_encrypted_by_wechatpy_is_decrypted() -> None:
    body, query = encrypted(text_xml("How do I repay?"))
    message = callback("safe").open(body=body, query=query)
    assert message.text == "How do I repay?"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda body, query: (body, {**query, "msg_signature": "f" * 40}),
        lambda body, query: (body, {**query, "nonce": "other"}),
        lambda body, query: (body.replace(b"<Encrypt><![CDATA[", b"<Encrypt><![CDATA[AA"), query),
    ],
    ids=["signature", "nonce", "ciphertext"],
)
def test_a_tampered_safe_mode_message_is_refused(tamper: object) -> None:
    body, query = encrypted(text_xml())
    body, query = tamper(body, query)  # type: ignore[operator]
    with pytest.raises(BadSignature):
        callback("safe").open(body=body, query=query)


def test_a_message_encrypted_for_another_app_is_refused() -> None:
    body, query = encrypted(text_xml(), app_id="wx0000000000000000")
    with pytest.raises(BadSignature):
        callback("safe").open(body=body, query=query)


def test_safe_mode_refuses_plaintext_and_plain_mode_refuses_encryption() -> None:
    with pytest.raises(BadSignature):
        callback("safe").open(body=text_xml().encode(), query=plain_query())
    body, query = encrypted(text_xml())
    with pytest.raises(BadSignature):
        callback("plain").open(body=body, query=query)


def test_a_replayed_callback_from_long_ago_is_refused() -> None:
    old = str(int(time.time()) - 3600)
    with pytest.raises(BadSignature):
        callback().open(body=text_xml().encode(), query=plain_query(old))
    with pytest.raises(BadSignature):
        callback().open(body=text_xml().encode(), query={**plain_query(), "timestamp": "soon"})


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><MsgType>text</MsgType><Content>&lol3;</Content></xml>"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><MsgType>text</MsgType><Content>&xxe;</Content></xml>"""


@pytest.mark.parametrize(
    "body",
    [
        BILLION_LAUGHS.encode(),
        EXTERNAL_ENTITY.encode(),
        b"<xml><ToUserName>a</ToUserName><FromUserName>",
        b"not xml at all",
        "<xml><Content>\u4f60</Content></xml>".encode("gbk"),
        b"<html><body>hi</body></html>",
        b"<xml><Content>no type</Content></xml>",
    ],
    ids=["billion-laughs", "external-entity", "truncated", "not-xml", "gbk", "not-wechat", "no-msgtype"],
)
def test_xml_that_is_malformed_or_declares_entities_is_refused(body: bytes) -> None:
    with pytest.raises(BadCallback):
        callback().open(body=body, query=plain_query())


def test_entities_inside_a_safe_mode_message_are_refused_after_decryption() -> None:
    body, query = encrypted(EXTERNAL_ENTITY)
    with pytest.raises(BadCallback):
        callback("safe").open(body=body, query=query)


def test_voice_media_and_events_are_read_for_what_they_are() -> None:
    cb = callback()
    head = f"<ToUserName>{ACCOUNT}</ToUserName><FromUserName>{OPENID}</FromUserName><CreateTime>1700000000</CreateTime>"
    voice = cb.open(
        body=f"<xml>{head}<MsgType>voice</MsgType><MediaId>m1</MediaId><Format>amr</Format>"
        "<Recognition>我要还款</Recognition><MsgId>77</MsgId></xml>".encode(),
        query=plain_query(),
    )
    assert (voice.kind, voice.text, voice.media["MediaId"]) == ("voice", "我要还款", "m1")
    image = cb.open(
        body=f"<xml>{head}<MsgType>image</MsgType><PicUrl>http://mmbiz/p.jpg</PicUrl><MediaId>m2</MediaId>"
        "<MsgId>78</MsgId></xml>".encode(),
        query=plain_query(),
    )
    assert (image.kind, image.media["PicUrl"]) == ("image", "http://mmbiz/p.jpg")
    click = cb.open(
        body=f"<xml>{head}<MsgType>event</MsgType><Event>CLICK</Event><EventKey>APPLY</EventKey></xml>".encode(),
        query=plain_query(),
    )
    assert (click.kind, click.event, click.event_key) == ("event", "click", "APPLY")
    assert click.dedupe_key == f"evt:{OPENID}:1700000000:event:click"
