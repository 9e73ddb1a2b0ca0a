"""Waits until the hub reports ready, prints where to open each page, then stays up with the other processes."""

from __future__ import annotations

import os
import signal
import time

import httpx

HUB = os.environ.get("HUB_PUBLIC_URL", "http://127.0.0.1:8000")
CORE = os.environ.get("LENDING_CORE_PUBLIC_URL", "http://127.0.0.1:8100")


def _demo_sign_ins(*, account_managers: bool) -> str:
    from handoff.demo import DEMO_USERS

    chosen = [u for u in DEMO_USERS if (u.role == "account_manager") == account_managers]
    return ", ".join(f"{u.username} / {u.password}" for u in chosen)


def _hours() -> str:
    configured = os.environ.get("BUSINESS_HOURS_FILE", "")
    if configured.endswith("around_the_clock.yaml"):
        return "around the clock (the demo's; BUSINESS_HOURS_FILE=businesshours/bank.yaml for the bank's)"
    return configured or "businesshours/bank.yaml"


def main() -> None:
    deadline = time.monotonic() + 600
    last = ""
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"{HUB}/readyz", timeout=3)
            if response.status_code == 200 and response.json().get("status") == "ready":
                break
            waiting = ", ".join(k for k, v in response.json().get("checks", {}).items() if v != "ok")
            if waiting != last:
                print(f"waiting for: {waiting}", flush=True)
                last = waiting
        except httpx.HTTPError:
            pass
        time.sleep(2)
    else:
        print("the system did not become ready within 10 minutes; see the other processes' output", flush=True)
    print(
        "\n"
        "  The SME credit assistant is running.\n"
        f"  Widget demo page:   {HUB}/   (WeChat-style: {HUB}/demo/wechat)\n"
        f"  Agent console:      {HUB}/console/\n"
        f"      sign in as {_demo_sign_ins(account_managers=False)}\n"
        f"  Account managers:   {HUB}/inbox/   (also on a phone)\n"
        f"      sign in as {_demo_sign_ins(account_managers=True)}\n"
        f"  Hub API docs:       {HUB}/docs\n"
        f"  Hub readiness:      {HUB}/readyz\n"
        f"  Lending core docs:  {CORE}/docs   (demo customers: lending_core/DEMO_DATA.md)\n"
        f"  Agents' hours:      {_hours()}\n"
        "  Press Ctrl-C to stop every process.\n",
        flush=True,
    )
    signal.pause()


if __name__ == "__main__":
    main()
