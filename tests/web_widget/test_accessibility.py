"""The widget against WCAG 2 A and AA with axe-core (tests/a11y, installed from its lock file) in Chromium: closed,
open with a conversation (quick replies, the assistant's answers), on the desktop page and on a phone; in Chinese
and in English."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect

from tests.utils.services import REPO
from tests.web_widget.conftest import WAIT_MS, OpenWidget, Widget

AXE = REPO / "tests" / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


async def violations(widget: Widget) -> list[dict[str, Any]]:
    """axe-core's WCAG A/AA violations inside the widget (its shadow root included)."""
    assert AXE.exists(), "axe-core is missing: scripts/install.sh browser installs it"
    # Evaluated through the devtools protocol: the page's CSP (script-src 'self') does not apply to it.
    await widget.page.evaluate(AXE.read_text(encoding="utf-8"))
    result = await widget.page.evaluate(
        """async (tags) => {
          const r = await axe.run({ include: [["sme-chat"]] }, { runOnly: { type: "tag", values: tags } });
          return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                                            nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) }));
        }""",
        WCAG_AA,
    )
    return list(result)


# Asking for a person with nobody online: the hub's answer carries the call-back button (a quick reply).
@pytest.mark.parametrize(
    ("locale", "greeting", "question"), [("zh-CN", "你好", "转人工"), ("en-US", "hi", "talk to a person")]
)
async def test_the_widget_meets_wcag_aa_closed_and_open(
    open_widget: OpenWidget, locale: str, greeting: str, question: str
) -> None:
    widget = await open_widget("/", locale=locale)
    await expect(widget.loc(".launcher")).to_be_visible(timeout=WAIT_MS)
    assert await violations(widget) == []

    await widget.open()
    await widget.say(greeting)
    await widget.say(question)
    await expect(widget.loc(".qr button").first).to_be_visible(timeout=WAIT_MS)
    assert await violations(widget) == []


async def test_the_widget_meets_wcag_aa_on_a_phone(open_widget: OpenWidget) -> None:
    widget = await open_widget("/demo/wechat", width=375, height=667, mobile=True)
    await widget.online()
    await widget.say("提款多久到账")
    await expect(widget.loc(".m.bot")).not_to_have_count(0, timeout=WAIT_MS)
    assert await violations(widget) == []
