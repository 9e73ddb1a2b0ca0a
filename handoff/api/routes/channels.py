"""Outside channels' callbacks: the WeChat Official Account's server URL and WeCom customer service's callback URL
(GET to verify each, POST for messages; WeCom's POST only says there is something to pull).

A callback is answered as soon as its message is stored ("success"), well inside WeChat's 5 seconds; replies go
out later through the API (handoff/channels/). A bad signature gets 403 and changes nothing; a body that is not
a readable WeChat message gets 400; a database that cannot store it gets 503, so WeChat retries.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy.exc import SQLAlchemyError

from handoff.channels.service import Channels
from handoff.channels.wechat import CHANNEL as WECHAT
from handoff.channels.wechat import OfficialAccountCallback
from handoff.channels.wecom import KfCallback
from handoff.errors import DependencyUnavailable, NotFound

router = APIRouter(prefix="/channels", tags=["channels"])


async def get_channels(request: Request) -> Channels:
    channels: Channels = request.app.state.channels
    return channels


async def get_wechat(request: Request) -> OfficialAccountCallback:
    channels: Channels = request.app.state.channels
    if channels.wechat is None:
        raise NotFound("The WeChat channel is not configured (WECHAT_TOKEN, WECHAT_APP_ID).")
    return channels.wechat


async def get_wecom(request: Request) -> KfCallback:
    channels: Channels = request.app.state.channels
    if channels.wecom is None:
        raise NotFound("The WeCom channel is not configured (WECOM_TOKEN, WECOM_CORP_ID).")
    return channels.wecom


ChannelsDep = Annotated[Channels, Depends(get_channels)]
WeChatDep = Annotated[OfficialAccountCallback, Depends(get_wechat)]
WeComDep = Annotated[KfCallback, Depends(get_wecom)]
Param = Annotated[str | None, Query(max_length=128)]


@router.get("/wechat/callback", response_class=PlainTextResponse, summary="WeChat's check of the server URL")
async def verify_wechat_url(
    wechat: WeChatDep,
    echostr: Annotated[str, Query(max_length=512)],
    signature: Param = None,
    timestamp: Param = None,
    nonce: Param = None,
) -> PlainTextResponse:
    return PlainTextResponse(wechat.verify_url(signature=signature, timestamp=timestamp, nonce=nonce, echostr=echostr))


@router.post("/wechat/callback", response_class=PlainTextResponse, summary="A message or event from WeChat")
async def receive_wechat_message(request: Request, wechat: WeChatDep, channels: ChannelsDep) -> PlainTextResponse:
    incoming = wechat.open(body=await request.body(), query=request.query_params)
    try:
        await channels.inbox.accept(WECHAT, incoming)
    except SQLAlchemyError as exc:
        raise DependencyUnavailable("The message could not be stored; WeChat will retry.") from exc
    return PlainTextResponse("success")


@router.get("/wecom/callback", response_class=PlainTextResponse, summary="WeCom's check of the callback URL")
async def verify_wecom_url(
    wecom: WeComDep,
    echostr: Annotated[str, Query(max_length=1024)],
    msg_signature: Param = None,
    timestamp: Param = None,
    nonce: Param = None,
) -> PlainTextResponse:
    return PlainTextResponse(
        wecom.verify_url(msg_signature=msg_signature, timestamp=timestamp, nonce=nonce, echostr=echostr)
    )


@router.post("/wecom/callback", response_class=PlainTextResponse, summary="WeCom: an account has new messages")
async def receive_wecom_event(request: Request, wecom: WeComDep, channels: ChannelsDep) -> PlainTextResponse:
    nudge = wecom.open(body=await request.body(), query=request.query_params)
    if nudge is not None:
        channels.pull_wecom(*nudge)  # the messages stay at WeCom until pulled: nothing to store before answering
    return PlainTextResponse("success")
