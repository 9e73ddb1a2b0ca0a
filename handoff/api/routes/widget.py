"""The customer chat widget (``/widget/widget.js``, a custom element any page embeds with one script tag) and the
demo pages that embed it: ``/`` (a bank's home page) and ``/demo/wechat`` (a narrow page as in WeChat's in-app
browser). Outside production the demo pages also list the demo customers and staff sign-ins and let a visitor sign
in as a demo customer: the hub then plays the bank's page and signs the customer token itself (``/demo/...``)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import jwt
from fastapi import APIRouter
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from handoff.api.deps import SettingsDep
from handoff.api.routes.pages import SECURITY_HEADERS
from handoff.errors import NotFound

WIDGET_DIR = Path(__file__).resolve().parents[3] / "web_widget"
DEMO_TOKEN_SECONDS = 30 * 60
# The lending core's demo customers (lending_core/DEMO_DATA.md).
DEMO_CUSTOMERS = (
    ("C1001", "上海东方贸易有限公司", "13800000001", "额度、提款、还款 · credit line, drawdown, repayment"),
    ("C1002", "杭州小蜜蜂餐饮管理有限公司", "13800000002", "额度冻结 · line frozen"),
    ("C1003", "苏州顺达物流有限公司", "13800000003", "贷款逾期 · overdue loan"),
    ("C1004", "南京明辉电子科技有限公司", "13800000004", "续贷获批、年审将到期 · renewal approved, review due"),
    ("C1005", "宁波海丰包装材料有限公司", "13800000005", "续贷人工审核 · renewal in manual review"),
    ("C1006", "合肥绿源农业发展有限公司", "13800000006", "年审逾期 · annual review overdue"),
    ("C1007", "无锡恒通机械制造有限公司", "13800000007", "已续贷一次 · renewed once already"),
    ("C1008", "厦门蓝海进出口有限公司", "13800000008", "额度已到期 · line expired"),
)
PAGE_HEADERS = {k.decode(): v.decode() for k, v in SECURITY_HEADERS} | {"cache-control": "no-store"}
ASSET_HEADERS = {"x-content-type-options": "nosniff", "cache-control": "no-cache"}
DEMO_ASSETS = {"demo.css": "text/css; charset=utf-8", "demo.js": "text/javascript; charset=utf-8"}

router = APIRouter(include_in_schema=False)


@router.get("/widget/widget.js")
async def widget_script() -> FileResponse:
    """The widget: one file, its styles inside. Any origin may load it (a bank's pages embed it)."""
    headers = ASSET_HEADERS | {"access-control-allow-origin": "*", "cross-origin-resource-policy": "cross-origin"}
    return FileResponse(WIDGET_DIR / "widget.js", media_type="text/javascript; charset=utf-8", headers=headers)


@router.get("/")
async def home_page() -> FileResponse:
    return FileResponse(WIDGET_DIR / "index.html", media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)


@router.get("/demo/wechat")
async def wechat_page() -> FileResponse:
    return FileResponse(WIDGET_DIR / "wechat.html", media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)


@router.get("/demo/static/{name}")
async def demo_asset(name: str) -> FileResponse:
    media_type = DEMO_ASSETS.get(name)
    if media_type is None:
        raise NotFound("No such file.", code="not_found")
    headers = {k.decode(): v.decode() for k, v in SECURITY_HEADERS} | ASSET_HEADERS
    return FileResponse(WIDGET_DIR / name, media_type=media_type, headers=headers)


@router.get("/demo/info")
async def demo_info(settings: SettingsDep) -> dict[str, Any]:
    """The demo customers and the staff sign-ins the demo pages list (published in the README; not in production)."""
    _demo_only(settings.environment)
    from handoff.demo import DEMO_USERS

    return {
        "customers": [
            {"customer_id": cid, "company": company, "mobile": mobile, "try": what}
            for cid, company, mobile, what in DEMO_CUSTOMERS
        ],
        "staff": [
            {"username": u.username, "password": u.password, "display_name": u.display_name, "role": str(u.role)}
            for u in DEMO_USERS
        ],
    }


class DemoSignIn(BaseModel):
    customer_id: str = Field(pattern=r"^C\d{4}$")


@router.post("/demo/customer-token")
async def demo_customer_token(body: DemoSignIn, settings: SettingsDep) -> dict[str, str]:
    """What a bank's page does after its own sign-in: a signed customer token (JWT, HS256) for the widget."""
    _demo_only(settings.environment)
    if body.customer_id not in {c[0] for c in DEMO_CUSTOMERS}:
        raise NotFound("Not a demo customer.", code="not_found")
    now = int(time.time())
    claims = {"sub": body.customer_id, "aud": settings.customer_token_audience, "iat": now}
    token = jwt.encode(claims | {"exp": now + DEMO_TOKEN_SECONDS}, settings.customer_token_secret, algorithm="HS256")
    return {"customer_token": token}


def _demo_only(environment: str) -> None:
    if environment not in ("development", "test"):
        raise NotFound("Not found.", code="not_found")
