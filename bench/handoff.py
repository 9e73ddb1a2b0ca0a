"""The live-agent side under load: many customers' websockets and many agents' consoles on one hub process.

What it does, against a running system (`make run`):
  1. creates (once) N agent users `bench-agent-NN` in the hub's database (DATABASE_URL, as the hub reads it),
     signs them in, opens their console websockets (heartbeats as the console page sends them) and sets them
     online, each able to hold enough chats that every customer can be offered at once;
  2. opens C customer websockets, and each customer asks for a person (`转人工`): the real assistant answers
     with the handoff packet, so handoffs arrive at the pace of the Rasa server;
  3. each agent accepts its offers at once; then every customer sends M messages to its agent, the agent answers
     each one at once, and the customer reads and types for a while (a think time drawn around --think-seconds)
     before the next: 1000 chats with 30 s between a customer's messages offer about 33 messages a second each
     way. --think-seconds 0 measures saturation instead.
Measures:
  * packet -> offer: from the moment the hub acted on the packet (the handoff's queued_at, stored in the same
    transaction as the assistant's reply) to the offer event at the agent's console;
  * relay customer -> agent: websocket frame sent by the customer -> message event at the agent's console;
  * relay agent -> customer: the agent's POST of a reply -> message event at the customer's websocket;
  * the hub process's resident memory (VmRSS) before the run and at its peak, sampled every 0.5 s.
Targets of the handoff issue: offer p95 <= 100 ms, relay p95 <= 50 ms, hub RSS <= 300 MB.

    .venv/bin/python bench/handoff.py [--customers 1000] [--agents 50] [--messages 3] [--hub http://127.0.0.1:8000]

The load generator shares the machine's two cores with the hub, Rasa and the action server: the figures are of
this whole machine under that load, which is said with them.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import os
import random
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets
from common import local_only, percentile
from websockets.typing import Origin

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "bench-agent-password"


@dataclass
class Figures:
    offer_ms: list[float] = field(default_factory=list)
    to_agent_ms: list[float] = field(default_factory=list)
    to_customer_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    rss_peak_kb: int = 0


async def ensure_agents(count: int, capacity: int) -> list[str]:
    from handoff import agents
    from handoff.config import SKILLS, get_settings
    from handoff.db import create_engine, create_sessionmaker
    from handoff.models import Role

    engine = create_engine(get_settings().database_url)
    names = [f"bench-agent-{n:02d}" for n in range(count)]
    try:
        async with create_sessionmaker(engine)() as session:
            for name in names:
                user = await agents.get_user_by_username(session, username=name)
                if user is None:
                    await agents.create_user(
                        session,
                        username=name,
                        display_name=f"Bench {name[-2:]}",
                        password=PASSWORD,
                        role=Role.AGENT,
                        skills=["general"],
                        max_chats=capacity,
                        known_skills=SKILLS,
                    )
                else:
                    user.max_chats = capacity
            await session.commit()
    finally:
        await engine.dispose()
    return names


def hub_pid(port: int) -> int | None:
    """The process serving the hub on this port (its command line says `handoff serve --port N`)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"handoff" in argv and b"serve" in argv and str(port).encode() in argv:
            return int(entry.name)
    return None


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def sample_rss(pid: int, figures: Figures, stop: asyncio.Event) -> None:
    while not stop.is_set():
        figures.rss_peak_kb = max(figures.rss_peak_kb, rss_kb(pid))
        await asyncio.sleep(0.5)


class Agent:
    def __init__(self, hub: str, username: str, figures: Figures, ours: set[str]):
        self.hub = hub
        self.ours = ours  # the conversations this run created: offers of anything else are declined
        self.username = username
        self.figures = figures
        self.http = httpx.AsyncClient(base_url=hub, headers={"Origin": hub}, timeout=60)
        self.csrf = ""
        self.socket: Any = None
        self.chats: set[str] = set()
        self.sent_at: dict[str, float] = {}  # customer message text -> when the customer sent it (set by them)
        self.inbox: dict[str, asyncio.Queue[str]] = {}
        self.tasks: list[asyncio.Task[Any]] = []

    async def start(self) -> None:
        response = await self.http.post("/api/console/session", json={"username": self.username, "password": PASSWORD})
        response.raise_for_status()
        self.csrf = response.json()["csrf_token"]
        cookie = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        self.socket = await websockets.connect(
            self.hub.replace("http", "ws", 1) + "/api/console/ws",
            origin=Origin(self.hub),
            additional_headers={"Cookie": cookie},
            max_queue=None,
        )
        hello = json.loads(await self.socket.recv())
        self.tasks = [
            asyncio.create_task(self._listen()),
            asyncio.create_task(self._heartbeat(float(hello["heartbeat_seconds"]))),
        ]
        response = await self.http.put(
            "/api/console/me/presence", json={"status": "online"}, headers={"X-CSRF-Token": self.csrf}
        )
        response.raise_for_status()

    async def _heartbeat(self, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            await self.socket.send('{"type": "heartbeat"}')

    async def _listen(self) -> None:
        async for raw in self.socket:
            received = time.time()
            event = json.loads(raw)
            kind = event.get("type")
            if kind == "offer" and event["conversation_id"] not in self.ours:
                path = f"/api/console/chats/{event['conversation_id']}/decline"
                self.tasks.append(asyncio.create_task(self._post(path)))
            elif kind == "offer":
                queued_at = dt.datetime.fromisoformat(event["handoff"]["queued_at"]).timestamp()
                self.figures.offer_ms.append((received - queued_at) * 1000)
                self.tasks.append(asyncio.create_task(self._accept(event["conversation_id"])))
            elif kind == "message" and event["message"]["sender"] == "customer":
                text = event["message"]["text"]
                sent = self.sent_at.pop(text, None)
                if sent is not None:
                    self.figures.to_agent_ms.append((received - sent) * 1000)
                    self.inbox.setdefault(event["conversation_id"], asyncio.Queue()).put_nowait(text)

    async def _post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        """A console write; one retry when a kept-alive connection was closed under it (the hub ends idle ones)."""
        for attempt in (1, 2):
            try:
                return await self.http.post(path, json=body, headers={"X-CSRF-Token": self.csrf})
            except httpx.TransportError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _accept(self, conversation_id: str) -> None:
        response = await self._post(f"/api/console/chats/{conversation_id}/accept")
        if response.status_code != 204:
            self.figures.errors.append(f"accept {response.status_code} {response.text[:120]}")
            return
        self.chats.add(conversation_id)

    async def answer(self, conversation_id: str, text: str, sent_at: dict[str, float]) -> None:
        reply = f"re:{text}"
        sent_at[reply] = time.time()
        response = await self._post(
            f"/api/console/chats/{conversation_id}/messages", {"client_msg_id": str(uuid.uuid4()), "text": reply}
        )
        if response.status_code != 200:
            self.figures.errors.append(f"reply {response.status_code} {response.text[:120]}")

    async def stop(self) -> None:
        """Close every chat (so the next run starts with free agents), then go offline."""
        for conversation_id in list(self.chats):
            await self._post(
                f"/api/console/chats/{conversation_id}/close", {"wrapup_code": "resolved", "note": "benchmark"}
            )
        for task in self.tasks:
            task.cancel()
        await self.http.put("/api/console/me/presence", json={"status": "offline"}, headers={"X-CSRF-Token": self.csrf})
        await self.socket.close()
        await self.http.aclose()


class Customer:
    def __init__(self, hub: str, number: int, figures: Figures):
        self.hub = hub
        self.number = number
        self.figures = figures
        self.id = ""
        self.socket: Any = None
        self.agent_name: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.handed_over: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.replies_sent_at: dict[str, float] = {}
        self.replies: asyncio.Queue[str] = asyncio.Queue()

    async def connect(self, http: httpx.AsyncClient) -> None:
        try:
            response = await http.post("/api/v1/conversations", json={"channel": "web", "language": "zh"})
        except httpx.TransportError:  # a kept-alive connection the hub had just closed: once more
            response = await http.post("/api/v1/conversations", json={"channel": "web", "language": "zh"})
        created = response.json()
        self.id = created["conversation_id"]
        url = f"{self.hub.replace('http', 'ws', 1)}/api/v1/conversations/{self.id}/ws?token={created['resume_token']}"
        self.socket = await websockets.connect(url, max_queue=None)
        self.listener = asyncio.create_task(self._listen())

    async def _listen(self) -> None:
        async for raw in self.socket:
            received = time.time()
            event = json.loads(raw)
            if event.get("type") == "mode" and event.get("mode") in ("queued", "agent") and not self.handed_over.done():
                self.handed_over.set_result(event["mode"])
            if event.get("type") == "mode" and event.get("mode") == "agent" and not self.agent_name.done():
                self.agent_name.set_result((event.get("agent") or {}).get("display_name", ""))
            elif event.get("type") == "error" and not self.handed_over.done():
                self.handed_over.set_result(f"error: {event.get('code')}")
            elif event.get("type") == "message" and event["message"]["sender"] == "agent":
                sent = self.replies_sent_at.pop(event["message"]["text"], None)
                if sent is not None:
                    self.figures.to_customer_ms.append((received - sent) * 1000)
                    self.replies.put_nowait(event["message"]["text"])

    async def say(self, text: str) -> None:
        await self.socket.send(json.dumps({"type": "message", "client_msg_id": str(uuid.uuid4()), "text": text}))


async def run(args: argparse.Namespace) -> None:
    hub = local_only(args.hub)
    port = int(hub.rsplit(":", 1)[1])
    pid = args.hub_pid or hub_pid(port)
    figures = Figures()
    capacity = min(20, math.ceil(args.customers / args.agents))
    names = await ensure_agents(args.agents, capacity)
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_rss(pid, figures, stop)) if pid else None
    rss_before = rss_kb(pid) if pid else 0

    ours: set[str] = set()
    agents = [Agent(hub, name, figures, ours) for name in names]
    await asyncio.gather(*(agent.start() for agent in agents))
    by_name = {f"Bench {a.username[-2:]}": a for a in agents}
    print(f"{len(agents)} agents online, {capacity} chats each", flush=True)

    customers: list[Customer] = []
    limits = httpx.Limits(max_connections=50)
    async with httpx.AsyncClient(base_url=hub, timeout=60, limits=limits) as http:
        for start in range(0, args.customers, 100):
            batch = [Customer(hub, n, figures) for n in range(start, min(start + 100, args.customers))]
            await asyncio.gather(*(c.connect(http) for c in batch))
            customers.extend(batch)
            ours.update(c.id for c in batch)
    print(f"{len(customers)} customer websockets open", flush=True)

    started = time.perf_counter()
    # At most a few requests with the assistant at a time: one Rasa process answers about 15 a second, and a
    # flood of 1000 would only time out there. Offers are measured from the packet on, not from here.
    gate = asyncio.Semaphore(args.assistant_concurrency)

    async def ask_for_a_person(customer: Customer) -> None:
        async with gate:
            await customer.say("转人工")
            outcome = await asyncio.wait_for(customer.handed_over, 60)
            if outcome not in ("queued", "agent"):
                figures.errors.append(f"handoff: {outcome}")

    await asyncio.gather(*(ask_for_a_person(c) for c in customers), return_exceptions=True)
    await asyncio.wait([c.agent_name for c in customers], timeout=60)
    names_of_agents = [c.agent_name.result() if c.agent_name.done() else "" for c in customers]
    if not all(names_of_agents):
        print(f"{names_of_agents.count('')} customers did not reach an agent within 60 s", flush=True)
    handoff_seconds = time.perf_counter() - started
    print(f"{sum(bool(n) for n in names_of_agents)} customers with an agent after {handoff_seconds:.1f} s", flush=True)

    async def conversation(customer: Customer, agent: Agent) -> None:
        await asyncio.sleep(random.uniform(0, args.think_seconds))  # customers do not all type at once
        for n in range(args.messages):
            if n:
                await asyncio.sleep(random.uniform(0.5, 1.5) * args.think_seconds)
            text = f"客户{customer.number}的第{n}条"
            agent.sent_at[text] = time.time()
            await customer.say(text)
            inbox = agent.inbox.setdefault(customer.id, asyncio.Queue())
            received = await asyncio.wait_for(inbox.get(), 30)
            await agent.answer(customer.id, received, customer.replies_sent_at)
            await asyncio.wait_for(customer.replies.get(), 30)

    pairs = [(c, by_name[n]) for c, n in zip(customers, names_of_agents, strict=True) if n in by_name]
    relay_started = time.perf_counter()
    results = await asyncio.gather(*(conversation(c, a) for c, a in pairs), return_exceptions=True)
    relay_seconds = time.perf_counter() - relay_started
    failures = [r for r in results if isinstance(r, BaseException)]

    stop.set()
    if sampler is not None:
        await sampler
    for customer in customers:
        await customer.socket.close()
    await asyncio.gather(*(agent.stop() for agent in agents))

    def line(name: str, values: list[float], target: float | None) -> str:
        if not values:
            return f"  {name:<28} no samples"
        p50, p95, p99 = (percentile(values, p) for p in (50, 95, 99))
        verdict = "" if target is None else f" (target <= {target:.0f} ms: {'met' if p95 <= target else 'MISSED'})"
        return f"  {name:<28} n={len(values):<5} p50 {p50:7.1f}  p95 {p95:7.1f}  p99 {p99:7.1f} ms{verdict}"

    print()
    print(
        f"Hub {hub} (pid {pid}), {len(customers)} customer websockets, {len(agents)} agents, {args.messages} "
        "message pairs per chat; load generator on the same machine"
    )
    print(line("packet -> offer", figures.offer_ms, 100))
    print(line("relay customer -> agent", figures.to_agent_ms, 50))
    print(line("relay agent -> customer", figures.to_customer_ms, 50))
    relayed = len(figures.to_agent_ms) + len(figures.to_customer_ms)
    print(
        f"  handoffs: {sum(bool(n) for n in names_of_agents)} in {handoff_seconds:.1f} s (paced by the assistant); "
        f"relayed messages: {relayed} in {relay_seconds:.1f} s ({relayed / max(relay_seconds, 1e-9):.0f}/s)"
    )
    if pid:
        verdict = "met" if figures.rss_peak_kb <= 300 * 1024 else "MISSED"
        print(
            f"  hub RSS: {rss_before / 1024:.0f} MB before, {figures.rss_peak_kb / 1024:.0f} MB at peak "
            f"(target <= 300 MB: {verdict})"
        )
    else:
        print("  hub RSS: the hub process was not found (pass --hub-pid)")
    if figures.errors or failures:
        print(
            f"  errors: {len(figures.errors)} ({figures.errors[:3]}), conversations failed: {len(failures)} "
            f"({[repr(f)[:100] for f in failures[:3]]})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hub", default="http://127.0.0.1:8000")
    parser.add_argument("--hub-pid", type=int, default=None)
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--messages", type=int, default=3)
    parser.add_argument("--think-seconds", type=float, default=30.0, help="mean pause between a customer's messages")
    parser.add_argument("--assistant-concurrency", type=int, default=8, help="customers talking to Rasa at once")
    args = parser.parse_args()
    os.chdir(ROOT)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
