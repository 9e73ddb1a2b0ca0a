"""What the console shows staff: the chats with people, one chat in full, the supervisor's overview.

Read models only; every change goes through handoff/handoffs.py. Personal numbers (ID, card, account, mobile) in
what the customer typed are masked here: an agent helps without them, and verification is the assistant's
one-time code, never a number read out in chat.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from handoff import crud
from handoff.agents import StaffIdentity
from handoff.clock import epoch_ms
from handoff.config import SKILLS
from handoff.errors import NotFound
from handoff.handoffs import HandoffService, handoff_summary, resumable_form
from handoff.models import Conversation, Handoff, HandoffEvent, Message, StaffUser
from handoff.queue import ChatEntry
from textkit.masking import mask_text


def console_message(message: Message) -> dict[str, Any]:
    """A stored message as staff see it."""
    return console_event_message(crud.message_out(message))


def console_event_message(payload: dict[str, Any]) -> dict[str, Any]:
    """A pushed message (the customer contract's shape) as staff see it: the shape of ``console_message``."""
    custom = payload.get("custom") or {}
    faq = custom.get("faq") if payload.get("sender") == "bot" else None
    text = str(payload.get("text", ""))
    return {
        "seq": payload["seq"],
        "sender": payload["sender"],
        "sender_name": payload.get("sender_name"),
        "text": mask_text(text) if payload.get("sender") == "customer" else text,
        "buttons": payload.get("buttons") or [],
        "faq_entry": faq.get("entry_id") if isinstance(faq, dict) else None,
        "created_at": payload.get("created_at"),
    }


def mask_values(value: Any) -> Any:
    """Every string in a JSON-like value with personal numbers masked."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, list):
        return [mask_values(v) for v in value]
    if isinstance(value, dict):
        return {k: mask_values(v) for k, v in value.items()}
    return value


class Workspace:
    def __init__(self, handoffs: HandoffService):
        self.handoffs = handoffs
        self.queue = handoffs.queue
        self.sessions = handoffs.sessions
        self.clock = handoffs.clock

    async def _names(self) -> dict[str, str]:
        async with self.sessions() as session:
            rows = (await session.execute(select(StaffUser.id, StaffUser.display_name))).all()
        return {row[0]: row[1] for row in rows}

    async def summaries(self, entries: list[ChatEntry]) -> list[dict[str, Any]]:
        if not entries:
            return []
        names = await self._names()
        now = self.clock.now()
        async with self.sessions() as session:
            handoffs = {
                h.id: h
                for h in (
                    await session.execute(select(Handoff).where(Handoff.id.in_([e.handoff_id for e in entries])))
                ).scalars()
            }
            lasts: dict[str, str] = {}
            for entry in entries:
                last = await crud.latest_customer_message(session, conversation_id=entry.conversation_id)
                if last is not None:
                    lasts[entry.conversation_id] = mask_text(last.text)[:120]
        out: list[dict[str, Any]] = []
        for entry in entries:
            handoff = handoffs.get(entry.handoff_id)
            if handoff is None:
                continue
            out.append(
                {
                    "conversation_id": entry.conversation_id,
                    "state": entry.state,
                    "agent_id": entry.agent_id,
                    "agent_name": names.get(entry.agent_id or ""),
                    "position": await self.queue.position(entry.conversation_id) if entry.state == "waiting" else None,
                    "offer_expires_at": (
                        dt.datetime.fromtimestamp(entry.expires_ms / 1000, dt.UTC) if entry.state == "offered" else None
                    ),
                    "handoff": {**handoff_summary(handoff, now), "skill": entry.skill},
                    "last_message": lasts.get(entry.conversation_id),
                }
            )
        out.sort(
            key=lambda c: (
                c["handoff"]["priority"] != "urgent",
                c["handoff"]["priority"] != "high",
                -c["handoff"]["waited_seconds"],
            )
        )
        return out

    async def my_chats(self, staff: StaffIdentity) -> list[dict[str, Any]]:
        agent = await self.queue.agent(staff.id)
        entries = [e for e in [await self.queue.chat(cid) for cid in (agent.chats if agent else [])] if e]
        return await self.summaries([e for e in entries if e.agent_id == staff.id])

    async def live_chats(self) -> list[dict[str, Any]]:
        return await self.summaries(await self.queue.all_chats())

    async def waiting(self, staff: StaffIdentity) -> list[dict[str, Any]]:
        """The waiting chats this person may be offered (a supervisor sees every skill)."""
        skills = set(SKILLS) if staff.supervises else set(staff.skills)
        entries = [e for e in await self.queue.all_chats() if e.state == "waiting" and e.skill in skills]
        return await self.summaries(entries)

    async def detail(self, conversation_id: str) -> dict[str, Any]:
        entry = await self.queue.chat(conversation_id)
        names = await self._names()
        async with self.sessions() as session:
            conversation = await session.get(Conversation, conversation_id)
            if conversation is None:
                raise NotFound("No such conversation.", code="conversation_not_found")
            handoff = (
                await session.get(Handoff, conversation.current_handoff_id) if conversation.current_handoff_id else None
            )
            messages = list(
                await crud.list_messages_after(session, conversation_id=conversation_id, after_seq=0, limit=2000)
            )
            events = list(
                (
                    await session.execute(
                        select(HandoffEvent)
                        .join(Handoff, Handoff.id == HandoffEvent.handoff_id)
                        .where(Handoff.conversation_id == conversation_id)
                        .order_by(HandoffEvent.id)
                    )
                ).scalars()
            )
        packet = (handoff.packet if handoff else {}) or {}
        notes = [
            {
                "kind": e.kind,
                "by": names.get(str((e.detail or {}).get("by") or e.agent_id or "")),
                "note": str((e.detail or {}).get("note")),
                "created_at": e.created_at,
            }
            for e in events
            if (e.detail or {}).get("note")
        ]
        faq_answers = [
            {"seq": seq, "entry_id": str(faq.get("entry_id")), "version": faq.get("version"), "topic": faq.get("topic")}
            for seq, faq in ((m.seq, (m.custom or {}).get("faq")) for m in messages if m.sender == "bot")
            if isinstance(faq, dict)
        ]
        state = entry.state if entry is not None else "ended"
        holder = names.get(entry.agent_id or "") if entry is not None and entry.state == "assigned" else None
        return {
            "conversation_id": conversation.id,
            "channel": conversation.channel,
            "language": conversation.language,
            "mode": conversation.mode,
            "customer_id": conversation.customer_id,
            "verified_by": conversation.verified_by,
            "state": state,
            "holder": {"display_name": holder} if holder else None,
            "handoff": handoff_summary(handoff, self.clock.now()) if handoff else None,
            "form_answers": mask_values(packet.get("slots") or {}),
            "recent_messages": mask_values(list(packet.get("recent_messages") or [])),
            "resume_form": resumable_form(handoff.journey_stage) if handoff else None,
            "faq_answers": faq_answers,
            "notes": notes,
            "messages": [console_message(m) for m in messages],
        }

    async def agents(self) -> list[dict[str, Any]]:
        now = epoch_ms(self.clock)
        live = {a.agent_id: a for a in await self.queue.agents()}
        async with self.sessions() as session:
            users = (await session.execute(select(StaffUser).where(StaffUser.is_active.is_(True)))).scalars().all()
        out = []
        for user in users:
            if user.role == "account_manager":
                continue
            entry = live.get(user.id)
            fresh = entry is not None and entry.seen_ms >= now - self.queue.timings.stale_ms
            presence = entry.status if entry is not None and (fresh or entry.status == "offline") else "offline"
            out.append(
                {
                    "id": user.id,
                    "display_name": user.display_name,
                    "role": user.role,
                    "skills": list(user.skills or []),
                    "presence": presence,
                    "load": entry.load if entry else 0,
                    "capacity": user.max_chats,
                    "chats": entry.chats if entry else [],
                }
            )
        return out

    async def overview(self) -> dict[str, Any]:
        now_ms = epoch_ms(self.clock)
        agents = await self.agents()
        chats = await self.queue.all_chats()
        skills = []
        for skill in SKILLS:
            waiting = [c for c in chats if c.skill == skill and c.state == "waiting"]
            online = [a for a in agents if a["presence"] == "online" and skill in a["skills"]]
            skills.append(
                {
                    "skill": skill,
                    "waiting": len(waiting),
                    "oldest_wait_seconds": max(((now_ms - c.since_ms) // 1000 for c in waiting), default=0),
                    "online_agents": len(online),
                    "capacity": sum(a["capacity"] for a in online),
                    "load": sum(a["load"] for a in online),
                    "average_handle_seconds": int(await self.handoffs.average_handle_seconds(skill)),
                }
            )
        return {"skills": skills, "agents": agents, "chats": await self.summaries(chats)}
