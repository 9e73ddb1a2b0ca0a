"""The outside channels of one hub process, built from the settings at start-up: what the callback routes use
(``wechat``, ``wecom``, ``inbox``, ``pull_wecom``) and the background work (``run_forever``: the inbound and
delivery sweeps, WeCom's periodic pulls, and the conversation events that start deliveries)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import httpx
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handoff.channels.binding import Binding
from handoff.channels.delivery import ChannelApi, Delivery
from handoff.channels.inbound import ChannelInbox
from handoff.channels.wechat import OfficialAccountApi, OfficialAccountCallback
from handoff.channels.wecom import KfApi, KfCallback, KfSync
from handoff.clock import Clock
from handoff.config import Settings
from handoff.conversations import ConversationService
from handoff.lending import LendingCoreClient
from handoff.requests import ServiceRequestService

logger = logging.getLogger(__name__)


class Channels:
    def __init__(
        self,
        *,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        redis: Redis,
        clock: Clock,
        http: httpx.AsyncClient,
        conversations: ConversationService,
        requests: ServiceRequestService,
        lending: LendingCoreClient,
    ):
        self.settings = settings
        apis: dict[str, ChannelApi] = {}
        self.wechat: OfficialAccountCallback | None = None
        if settings.wechat_enabled:
            self.wechat = OfficialAccountCallback(
                token=settings.wechat_token,
                app_id=settings.wechat_app_id,
                encoding_aes_key=settings.wechat_encoding_aes_key,
                mode=settings.wechat_message_mode,
                max_skew_seconds=settings.wechat_max_clock_skew_seconds,
                clock=clock,
            )
            apis["wechat"] = OfficialAccountApi(
                base_url=settings.wechat_api_base,
                app_id=settings.wechat_app_id,
                app_secret=settings.wechat_app_secret,
                http=http,
                redis=redis,
            )
        self.wecom: KfCallback | None = None
        kf_api: KfApi | None = None
        if settings.wecom_enabled:
            self.wecom = KfCallback(
                token=settings.wecom_token,
                corp_id=settings.wecom_corp_id,
                encoding_aes_key=settings.wecom_encoding_aes_key,
                max_skew_seconds=settings.wechat_max_clock_skew_seconds,
                clock=clock,
            )
            kf_api = apis["wecom"] = KfApi(
                base_url=settings.wecom_api_base,
                corp_id=settings.wecom_corp_id,
                secret=settings.wecom_kf_secret,
                http=http,
                redis=redis,
            )
        self.delivery = Delivery(
            settings=settings, sessions=sessions, redis=redis, clock=clock, apis=apis, requests=requests
        )
        self.inbox = ChannelInbox(
            settings=settings,
            sessions=sessions,
            redis=redis,
            clock=clock,
            conversations=conversations,
            binding=Binding(lending=lending, clock=clock),
            deliver=self.delivery.deliver,
        )
        self.kf_sync = (
            KfSync(api=kf_api, inbox=self.inbox, sessions=sessions, redis=redis, clock=clock) if kf_api else None
        )
        self.enabled = bool(apis)
        self._pulls: set[asyncio.Task[int]] = set()

    def pull_wecom(self, account_id: str, pull_token: str | None) -> None:
        """Pull a WeCom account's new messages in the background (the callback has been answered)."""
        if self.kf_sync is None:
            return
        task = asyncio.create_task(self.kf_sync.pull(account_id, pull_token), name=f"wecom-pull-{account_id}")
        self._pulls.add(task)
        task.add_done_callback(self._pulls.discard)

    async def run_forever(self) -> None:
        if not self.enabled:
            return
        listener = asyncio.create_task(self.delivery.listen(), name="channel-delivery-events")
        pulled_at = 0.0
        try:
            while True:
                try:
                    await self.inbox.sweep()
                    await self.delivery.sweep()
                    now = asyncio.get_running_loop().time()
                    if self.kf_sync is not None and now - pulled_at >= self.settings.wecom_pull_seconds:
                        pulled_at = now
                        for account in await self.kf_sync.accounts():
                            self.pull_wecom(account, None)
                except Exception:
                    logger.exception("channel sweep failed; trying again")
                await asyncio.sleep(self.settings.channel_sweep_seconds)
        finally:
            for task in list(self._pulls):
                task.cancel()
            listener.cancel()
            with contextlib.suppress(BaseException):
                await listener
            await self.inbox.stop()
            await self.delivery.stop()
