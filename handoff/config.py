"""The hub's settings: environment variables (see ``.env.example``), development defaults that work as they are."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings

from appsettings import Environment, refuse_development_secrets, settings_config
from businesshours import BANK_HOURS

DEV_CUSTOMER_TOKEN_SECRET = "dev-only-customer-token-secret-change-me"
# Standard Webhooks secrets are "whsec_" + base64; this one is base64 of "dev-only-platform-webhook-secret!".
DEV_PLATFORM_WEBHOOK_SECRET = "whsec_ZGV2LW9ubHktcGxhdGZvcm0td2ViaG9vay1zZWNyZXQh"
DEV_LENDING_CORE_API_KEY = "dev-lending-core-key"
DEV_METRICS_TOKEN = "dev-only-metrics-token-change-me"
SKILLS = ("general", "lending", "complaints", "security", "account_manager")


class Settings(BaseSettings):
    """Everything the hub reads from its environment."""

    model_config = settings_config()

    environment: Environment = "development"
    database_url: str = "sqlite+aiosqlite:///var/hub.db"
    # The embedded Redis of `make run` listens here; production points REDIS_URL at its own Redis.
    redis_url: str = "redis://127.0.0.1:6390/0"
    # One Rasa address, or several separated by commas (`make run REPLICAS=2`): conversations are spread across them.
    rasa_url: str = "http://127.0.0.1:5005"
    action_server_url: str = "http://127.0.0.1:5055"
    rasa_timeout_seconds: float = 15.0

    # HS256 secret shared with the bank's web page, which signs the customer token (JWT, claim `sub`).
    customer_token_secret: str = DEV_CUSTOMER_TOKEN_SECRET
    customer_token_audience: str = "sme-assistant"
    # The bank's sites whose pages embed the widget (`WIDGET_ORIGINS='["https://www.bank.example"]'`): the
    # customer API answers their cross-origin calls (CORS, bearer tokens, no cookies). The hub's own pages need none.
    widget_origins: list[str] = []

    max_message_chars: int = Field(default=2000, ge=1)
    max_body_bytes: int = Field(default=16_384, ge=1024)
    messages_per_minute: int = Field(default=30, ge=1)
    # One message of a conversation at a time: a lease in Redis, renewed while its holder works, so a hub that
    # dies holding it blocks the conversation for at most this long.
    conversation_lease_seconds: float = Field(default=5.0, gt=0)

    # ---- the live-agent queue (handoff/queue.py) ----
    # When agents of each skill take chats (Asia/Shanghai); `make run` uses businesshours/around_the_clock.yaml.
    business_hours_file: Path = BANK_HOURS
    offer_timeout_seconds: float = Field(default=30.0, gt=0)
    # An agent whose console has not sent a heartbeat for this long has vanished: their chats go back to the queue.
    agent_stale_seconds: float = Field(default=20.0, gt=0)
    heartbeat_seconds: float = Field(default=5.0, gt=0)
    # An agent who declined or missed a chat is not offered that chat again for this long.
    decline_exclusion_seconds: float = Field(default=60.0, ge=0)
    # A customer is not queued when the estimated wait is longer than this (told so instead).
    max_wait_seconds: int = Field(default=900, ge=60)
    # The handling time assumed for wait estimates until the skill has its own history.
    default_handle_seconds: int = Field(default=300, ge=30)
    queue_tick_seconds: float = Field(default=0.5, gt=0)
    reconcile_seconds: float = Field(default=30.0, gt=0)
    # The clock reads this instant when the process starts (a demo or test of the night shift), then runs.
    hub_clock_start: dt.datetime | None = None

    # ---- the console (staff sign-in) ----
    console_session_hours: float = Field(default=12.0, gt=0)
    # The Secure flag on the session cookie; unset: on outside development.
    cookie_secure: bool | None = None
    # Origins allowed to open the console's websocket and to post to it; empty: the hub's own origin only.
    console_origins: list[str] = Field(default_factory=list)
    sign_in_max_failures: int = Field(default=5, ge=1)
    sign_in_max_failures_per_address: int = Field(default=20, ge=1)
    sign_in_window_seconds: int = Field(default=300, ge=1)
    # FAQ suggestions in the console, from the knowledge index the action server uses.
    agent_suggestions: bool = True

    # ---- service requests for account managers (handoff/requests.py, handoff/outbox.py) ----
    # The lending core says who a customer's account manager is (the same variables as the action server's).
    lending_core_url: str = "http://127.0.0.1:8100"
    lending_core_api_key: str = DEV_LENDING_CORE_API_KEY
    # Where the relay delivers service requests: by default the hub's own account-manager platform (its inbox).
    platform_webhook_url: str = "http://127.0.0.1:8000/api/platform/v1/webhook"
    platform_webhook_secret: str = DEV_PLATFORM_WEBHOOK_SECRET
    # The bearer token the metrics scraper sends to GET /metrics: the hub is on the public address, its metrics are
    # for the bank's monitoring only.
    metrics_token: str = DEV_METRICS_TOKEN
    webhook_timeout_seconds: float = Field(default=5.0, gt=0)
    # Attempts before a message is dead (shown to supervisors, who can retry it), and the backoff between them.
    outbox_max_attempts: int = Field(default=10, ge=1)
    outbox_backoff_seconds: float = Field(default=2.0, gt=0)
    outbox_backoff_max_seconds: float = Field(default=600.0, gt=0)
    relay_poll_seconds: float = Field(default=1.0, gt=0)
    # Working minutes (the account managers' hours) for the account manager to accept a request before it goes
    # to the next one in the branch.
    service_request_accept_minutes: int = Field(default=120, ge=1)
    # How often one hub process looks for requests not accepted in time.
    service_request_sweep_seconds: float = Field(default=30.0, gt=0)

    # ---- the WeChat Official Account channel (handoff/channels/wechat.py); off while WECHAT_TOKEN is empty ----
    # As configured in the Official Account's admin (服务器配置): the token, the AppID and secret, and the
    # EncodingAESKey (43 characters) for safe mode; the API's address can point at a proxy (or the tests' fake).
    wechat_token: str = ""
    wechat_app_id: str = ""
    wechat_app_secret: str = ""
    wechat_encoding_aes_key: str = ""
    wechat_api_base: str = "https://api.weixin.qq.com"
    # 消息加解密方式 as set in the admin: plain (明文), compatible (兼容: both accepted), safe (安全: AES only).
    wechat_message_mode: Literal["plain", "compatible", "safe"] = "safe"
    # A callback whose timestamp is further than this from the hub's clock is refused (a replayed push).
    wechat_max_clock_skew_seconds: int = Field(default=300, ge=30)
    # Customer-service messages are allowed for 48 hours after the customer's last message, 5 of them; after a
    # menu click or a subscription, for a minute, 3 of them. The hub joins what is waiting into as few messages as
    # it can, and what cannot be sent goes to the customer's account manager.
    wechat_reply_window_hours: float = Field(default=48.0, gt=0)
    wechat_replies_per_message: int = Field(default=5, ge=1)
    wechat_event_window_seconds: float = Field(default=60.0, gt=0)
    wechat_replies_per_event: int = Field(default=3, ge=1)
    wechat_text_max_bytes: int = Field(default=2000, ge=200)
    # A customer silent this long starts a new conversation (a new transcript for the agents) with their next message.
    wechat_conversation_idle_hours: float = Field(default=24.0, gt=0)
    # Menu buttons (click events, by EventKey) and what each one sends: an intent of the assistant, or the hub's
    # own "bind" (the one-time-code binding of the WeChat user to the bank's customer).
    wechat_menu: dict[str, str] = {
        "FAQ": "/greet",
        "APPLY": "/apply_loan",
        "DRAWDOWN": "/drawdown",
        "REPAY": "/repay",
        "RENEW": "/renew_loan",
        "STATUS": "/check_application_status",
        "HUMAN": "/request_human",
        "BIND": "bind",
    }
    # ---- WeCom customer service (微信客服, handoff/channels/wecom.py); off while WECOM_TOKEN is empty ----
    # The corp id, the customer-service secret (微信客服 -> API), and the callback's token and EncodingAESKey.
    wecom_corp_id: str = ""
    wecom_kf_secret: str = ""
    wecom_token: str = ""
    wecom_encoding_aes_key: str = ""
    wecom_api_base: str = "https://qyapi.weixin.qq.com"
    # Besides the callbacks' nudges, each account is pulled this often (a lost nudge costs at most this long).
    wecom_pull_seconds: float = Field(default=60.0, gt=0)

    # Customers whose messages one hub process works on at once (each waits for the assistant holding a database
    # connection), and deliveries at once: bounded so a burst of callbacks always finds a connection to store in.
    channel_workers: int = Field(default=8, ge=1)
    # Callbacks stored at once by one hub process; one that cannot start within the wait is answered 503 (the
    # channel retries it) rather than let a burst queue every callback past WeChat's 5 seconds.
    channel_callbacks_at_once: int = Field(default=16, ge=1)
    channel_callback_wait_seconds: float = Field(default=2.0, gt=0)
    channel_deliveries: int = Field(default=16, ge=1)
    # How often one hub process looks for inbound messages not yet processed and replies not yet delivered.
    channel_sweep_seconds: float = Field(default=5.0, gt=0)

    @model_validator(mode="after")
    def _refuse_development_secrets(self) -> Settings:
        refuse_development_secrets(
            self.environment,
            [
                ("CUSTOMER_TOKEN_SECRET", self.customer_token_secret, DEV_CUSTOMER_TOKEN_SECRET),
                ("PLATFORM_WEBHOOK_SECRET", self.platform_webhook_secret, DEV_PLATFORM_WEBHOOK_SECRET),
                ("LENDING_CORE_API_KEY", self.lending_core_api_key, DEV_LENDING_CORE_API_KEY),
                ("METRICS_TOKEN", self.metrics_token, DEV_METRICS_TOKEN),
            ],
        )
        return self

    @model_validator(mode="after")
    def _wechat_settings_complete(self) -> Settings:
        key = self.wechat_encoding_aes_key
        if self.wechat_enabled and not self.wechat_app_secret:
            raise ValueError("WECHAT_APP_SECRET: needed with WECHAT_TOKEN and WECHAT_APP_ID")
        if key and len(key) != 43:
            raise ValueError("WECHAT_ENCODING_AES_KEY: the 43 characters the Official Account's admin shows")
        if self.wecom_enabled and (not self.wecom_kf_secret or len(self.wecom_encoding_aes_key) != 43):
            raise ValueError("WECOM_KF_SECRET and WECOM_ENCODING_AES_KEY (43 characters): needed with WECOM_TOKEN")
        if self.wechat_enabled and self.wechat_message_mode != "plain" and not key:
            raise ValueError("WECHAT_ENCODING_AES_KEY: needed unless WECHAT_MESSAGE_MODE=plain")
        return self

    @property
    def wechat_enabled(self) -> bool:
        return bool(self.wechat_token and self.wechat_app_id)

    @property
    def wecom_enabled(self) -> bool:
        return bool(self.wecom_token and self.wecom_corp_id)

    @property
    def skills(self) -> tuple[str, ...]:
        return SKILLS

    @property
    def secure_cookies(self) -> bool:
        return self.cookie_secure if self.cookie_secure is not None else self.environment != "development"


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once at start-up."""
    return Settings()
