"""What the running system does with messages nobody here trained on: the blind held-out groups of
``bot/tests/blind/`` (general out-of-scope, near-domain banking, requests for a person, replies inside a journey,
close readings), each message in a fresh conversation through the hub's customer API, end to end.

The verdict of each message is read from the assistant's dialogue state (Rasa's SQL tracker store in the hub's
PostgreSQL database, schema ``rasa``): which domain responses it uttered (``utter_action``), which form it
started, which slots it set, and from the hub's replies (an FAQ answer, a handoff packet). Messages that belong
inside a request are preceded by the turns that bring the conversation there (a verified customer's drawdown at
the amount question, an application at the term question, ...).

By default it starts its own system on the machine's PostgreSQL (databases ``sme_eval_hub``, ``sme_eval_core``,
recreated) and a Redis of its own: the reference lending core, the action server, one Rasa process with the
trained model, one hub, as the tests start them. Writes ``bot/eval/dialogue_eval.json`` and prints each group.

``python scripts/eval_dialogue.py [--group out_of_scope ...] [--concurrency 6] [--sets bot/tests/dev]``

The blind sets give the reported figures; failures are debugged on ``bot/tests/dev/`` (written the same way by
someone else), so that the blind sets' own messages are never read to tune the assistant.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

BLIND = REPO / "bot" / "tests" / "blind"
GROUPS = ("out_of_scope", "near_domain", "person_requests", "in_journey", "ambiguous")
MONEY_FORMS = frozenset({"loan_application_form", "drawdown_form", "repayment_form", "renewal_form"})
REQUEST_FORMS = MONEY_FORMS | {
    "credit_line_form",
    "application_status_form",
    "service_request_form",
    "service_request_status_form",
}
DECLINE_RESPONSES = frozenset({"utter_out_of_scope"})
OTHER_BANKING_PREFIX = "utter_other_banking"
CLARIFY_PREFIXES = ("utter_clarify", "utter_confirm_request")
REPAIR_PREFIXES = ("utter_dont_know", "utter_skipped", "utter_help_")
FORM_OF = {
    "application": "loan_application_form",
    "drawdown": "drawdown_form",
    "repayment": "repayment_form",
    "renewal": "renewal_form",
}
# The questions of each form, in order, with an answer that fills each (zh, en): how a preamble reaches a question.
PREAMBLE_ANSWERS: dict[str, dict[str, tuple[str, str]]] = {
    "loan_application_form": {
        "company_name": ("上海东方贸易有限公司", "Sunrise Trading Co., Ltd."),
        "credit_code": ("91310000MA1FL8L47U", "91310000MA1FL8L47U"),
        "contact_name": ("张伟", "Zhang Wei"),
        "mobile": ("13812345678", "13812345678"),
        "loan_amount": ("50万", "500,000 yuan"),
        "loan_term": ("一年", "1 year"),
        "loan_purpose": ("采购原材料", "buying raw materials"),
        "credit_check_consent": ("同意", "I agree"),
    },
    "drawdown_form": {"drawdown_amount": ("20万", "200,000 yuan"), "drawdown_term": ("6个月", "6 months")},
    "repayment_form": {
        "repayment_loan": ("LN1001000001", "LN1001000001"),
        "repayment_amount": ("全部", "all of it"),
    },
    "renewal_form": {},
}
START_PAYLOADS = {
    "loan_application_form": "/apply_loan",
    "drawdown_form": "/drawdown",
    "repayment_form": "/repay",
    "renewal_form": "/renew_loan",
}
# Who the customer is in a request that needs a verified customer (the hub's signed token: no one-time code).
VERIFIED_AS = {"drawdown_form": "C1001", "repayment_form": "C1001", "renewal_form": "C1004"}
VERIFICATION_SLOTS = ("verify_mobile", "otp_code")


@dataclass
class Item:
    group: str
    text: str
    language: str
    fields: dict[str, Any]

    @property
    def form(self) -> str | None:
        return FORM_OF.get(str(self.fields.get("form") or ""))

    @property
    def asked(self) -> str | None:
        """The question the message answers, as a slot of ``form`` (None: the first message of a chat)."""
        form, asked = self.form, str(self.fields.get("asked") or "none")
        if form is None or asked == "none":
            return None
        if asked in ("mobile", "otp_code") and form != "loan_application_form":
            return "verify_mobile" if asked == "mobile" else "otp_code"
        if asked == "otp_code":
            return "mobile"  # the application asks for a contact mobile, never a code
        if asked == "credit_consent":
            return "credit_check_consent"
        if asked in PREAMBLE_ANSWERS.get(form, {}) or asked in VERIFICATION_SLOTS:
            return asked
        questions = list(PREAMBLE_ANSWERS.get(form, {}))
        return questions[0] if questions else None


def load_items(groups: Iterable[str], directory: Path = BLIND) -> list[Item]:
    """The messages of ``groups``, one file each in ``directory`` (a group with no file there is skipped)."""
    items: list[Item] = []
    for group in groups:
        path = directory / f"{group}.yml"
        if not path.exists():
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for message in data["messages"]:
            fields = {k: v for k, v in message.items() if k not in ("text", "language")}
            items.append(Item(group, str(message["text"]), str(message["language"]), fields))
    return items


@dataclass
class Turn:
    """What the assistant did with one customer message."""

    text: str
    intent: str | None = None
    confidence: float = 0.0
    utterances: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    activated_forms: list[str] = field(default_factory=list)
    form_after: str | None = None
    form_deactivated: bool = False
    slots_set: dict[str, Any] = field(default_factory=dict)
    requested_slot: str | None = None
    faq_answered: bool = False
    handoff: bool = False
    reply_texts: list[str] = field(default_factory=list)
    status: int = 200

    @property
    def verdict(self) -> str:
        """One word for what the customer got (the most consequential thing first)."""
        started = [form for form in self.activated_forms if form in REQUEST_FORMS]
        if started:
            return "money_form" if started[0] in MONEY_FORMS else "other_form"
        if self.handoff:
            return "handoff"
        if any(u.startswith(CLARIFY_PREFIXES) for u in self.utterances):
            return "clarify"
        if any(u.startswith(OTHER_BANKING_PREFIX) for u in self.utterances):
            return "other_banking"
        if self.faq_answered:
            return "faq_answer"
        if any(u in DECLINE_RESPONSES for u in self.utterances):
            return "declined"
        if "utter_ask_rephrase" in self.utterances:
            return "rephrase"
        if "utter_faq_not_sure" in self.utterances:
            return "faq_not_sure"
        return self.utterances[0] if self.utterances else ("no_reply" if self.status == 200 else f"http_{self.status}")


class DialogueState:
    """Reads what the assistant recorded of a conversation from its SQL tracker store."""

    def __init__(self, database_url: str):
        self._dsn = database_url.replace("postgresql+psycopg://", "postgresql://")

    def events_after(self, sender_id: str, after_id: int) -> list[tuple[int, str, dict[str, Any]]]:
        with psycopg.connect(self._dsn) as conn:
            rows = conn.execute(
                "SELECT id, type_name, data FROM rasa.events WHERE sender_id = %s AND id > %s ORDER BY id",
                (sender_id, after_id),
            ).fetchall()
        return [(int(row[0]), str(row[1]), json.loads(row[2])) for row in rows]


def read_turn(text: str, events: list[tuple[int, str, dict[str, Any]]], replies: list[dict[str, Any]]) -> Turn:
    turn = Turn(text=text)
    for _, kind, data in events:
        if kind == "user" and turn.intent is None:
            intent = (data.get("parse_data") or {}).get("intent") or {}
            turn.intent, turn.confidence = intent.get("name"), float(intent.get("confidence") or 0.0)
        elif kind == "bot":
            turn.utterances.append(str((data.get("metadata") or {}).get("utter_action") or "text"))
        elif kind == "action":
            turn.actions.append(str(data.get("name")))
        elif kind == "active_loop":
            name = data.get("name")
            if name:
                turn.activated_forms.append(str(name))
            else:
                turn.form_deactivated = True
            turn.form_after = name
        elif kind == "slot":
            if data.get("name") == "requested_slot":
                turn.requested_slot = data.get("value")
            else:
                turn.slots_set[str(data.get("name"))] = data.get("value")
    for reply in replies:
        custom = reply.get("custom") or {}
        turn.faq_answered = turn.faq_answered or bool((custom.get("faq") or {}).get("entry_id"))
        turn.handoff = turn.handoff or "handoff" in custom or "handoff_unavailable" in custom or "queue" in custom
        turn.reply_texts.append(str(reply.get("text") or ""))
    return turn


class Conversation:
    """One customer's conversation through the hub's customer API, with the dialogue state of each turn."""

    def __init__(self, hub: httpx.AsyncClient, state: DialogueState, language: str):
        self.hub, self.state, self.language = hub, state, language
        self.id = ""
        self.token = ""
        self.last_event = 0
        self.form: str | None = None
        self.requested: str | None = None
        self.history: list[Turn] = []

    async def open(self, customer_token: str | None = None) -> None:
        body: dict[str, Any] = {"channel": "web", "language": self.language}
        if customer_token:
            body["customer_token"] = customer_token
        created = (await self.hub.post("/api/v1/conversations", json=body)).json()
        self.id, self.token = created["conversation_id"], created["resume_token"]

    async def say(self, text: str) -> Turn:
        response = await self.hub.post(
            f"/api/v1/conversations/{self.id}/messages",
            json={"client_msg_id": str(uuid.uuid4()), "text": text},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        replies = response.json().get("replies", []) if response.status_code == 200 else []
        events = await asyncio.to_thread(self.state.events_after, self.id, self.last_event)
        if events:
            self.last_event = events[-1][0]
        turn = read_turn(text, events, replies)
        turn.status = response.status_code
        if any(kind == "active_loop" for _, kind, _ in events):
            self.form = turn.form_after
        if turn.requested_slot is not None or self.form is None:
            self.requested = turn.requested_slot
        self.history.append(turn)
        return turn


class System:
    """The hub, Rasa, the action server and the lending core, started as the tests start them."""

    def __init__(self) -> None:
        from tests.utils.services import OwnRedis

        self.postgres = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
        self.redis = OwnRedis("eval-redis")
        self.services: list[Any] = []
        self.hub_database = f"{self.postgres}/sme_eval_hub"
        self.hub_url = ""
        self.customer_secret = ""

    def _recreate(self, name: str) -> str:
        admin = f"{self.postgres}/postgres".replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"{self.postgres}/{name}"

    def start(self) -> None:
        import subprocess

        from tests.utils.factories import TEST_CUSTOMER_TOKEN_SECRET
        from tests.utils.lending import prepare_database, start_lending_core
        from tests.utils.stack import hub_env, start_action_server, start_hub, start_rasa

        self.customer_secret = TEST_CUSTOMER_TOKEN_SECRET
        self._recreate("sme_eval_hub")
        subprocess.run(
            [sys.executable, "-m", "handoff", "migrate"],
            cwd=REPO,
            env={**os.environ, "DATABASE_URL": self.hub_database, "ENVIRONMENT": "development"},
            check=True,
            capture_output=True,
        )
        core_settings = prepare_database(self._recreate("sme_eval_core"))
        self.redis.start()
        core = start_lending_core(core_settings, name="eval-core", today_is_real=True)
        self.services.append(core)
        import asyncio as _asyncio

        from tests.utils.lending import reset_and_seed

        _asyncio.run(reset_and_seed(core_settings, today_is_real=True))
        actions = start_action_server("eval-actions", lending_url=core.url)
        self.services.append(actions)
        rasa = start_rasa("eval-rasa", action_url=actions.url, database_url=self.hub_database, redis_url=self.redis.url)
        self.services.append(rasa)
        env = hub_env(
            database_url=self.hub_database,
            redis_url=self.redis.url,
            rasa_url=rasa.url,
            action_url=actions.url,
            lending_url=core.url,
            RASA_TIMEOUT_SECONDS="30",
        )
        hub = start_hub("eval-hub", env)
        self.services.append(hub)
        self.hub_url = hub.url

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop()
        self.redis.stop()


async def reach(conversation: Conversation, item: Item) -> bool:
    """Bring the conversation to the question the item answers; False when the assistant did not get there."""
    form, asked = item.form, item.asked
    if form is None or asked is None:
        return True
    english = item.language == "en"
    await conversation.say(START_PAYLOADS[form])
    for _ in range(12):
        if conversation.form != form:
            return False
        if conversation.requested == asked:
            return True
        requested = conversation.requested
        if requested == "verify_mobile":
            answer = "13800000001"
        elif requested in PREAMBLE_ANSWERS[form]:
            zh, en = PREAMBLE_ANSWERS[form][requested]
            answer = en if english else zh
        else:
            return False
        await conversation.say(answer)
    return False


async def run_item(hub: httpx.AsyncClient, state: DialogueState, system: System, item: Item) -> dict[str, Any]:
    from tests.utils.factories import customer_token

    conversation = Conversation(hub, state, item.language)
    form = item.form
    verified_as = VERIFIED_AS.get(form or "") if item.asked not in VERIFICATION_SLOTS else None
    await conversation.open(customer_token(verified_as, secret=system.customer_secret) if verified_as else None)
    result: dict[str, Any] = {"group": item.group, "text": item.text, "language": item.language, **item.fields}
    before = item.fields.get("before")
    if before:  # a complaint first: the complaint itself may already have brought a person
        first = await conversation.say(str(before))
        result["before_verdict"] = first.verdict
        if first.verdict == "handoff":
            result["verdict"] = "handoff_at_the_complaint"
            return result
    if item.fields.get("context") == "in_form" or item.group == "in_journey":
        if not await reach(conversation, item):
            result["verdict"] = "preamble_failed"
            return result
    previous_texts = conversation.history[-1].reply_texts if conversation.history else []
    asked_before = conversation.requested
    turn = await conversation.say(item.text)
    result.update(
        verdict=turn.verdict,
        intent=turn.intent,
        confidence=round(turn.confidence, 3),
        utterances=turn.utterances,
        slots_set={k: v for k, v in turn.slots_set.items() if not k.startswith(("invalid", "fallback"))},
        form_after=conversation.form,
        asked_before=asked_before,
        faq_answered=turn.faq_answered,
        repeated_last=bool(previous_texts) and previous_texts[0] in turn.reply_texts,
    )
    return result


def passed(result: dict[str, Any]) -> bool:
    """Did the assistant do what the group expects of this message?"""
    group, verdict = result["group"], result.get("verdict")
    if group == "out_of_scope":
        return verdict == "declined"
    if group == "near_domain":
        return verdict == "other_banking"
    if group == "person_requests":
        return verdict in ("handoff", "handoff_at_the_complaint")
    if group == "ambiguous":
        return verdict == "clarify"
    if verdict in ("preamble_failed", None):
        return False
    kind, expect = result.get("kind"), result.get("expect") or {}
    slots = result.get("slots_set") or {}
    if kind == "answer_with_question":
        return slots.get(str(expect.get("fills"))) is not None and bool(result.get("faq_answered"))
    if kind == "other_slot":
        return slots.get(str(expect.get("fills"))) is not None
    if kind == "loan_statement":
        return "utter_out_of_scope" not in result.get("utterances", []) and result.get("form_after") is not None
    if kind == "dont_know":
        return any(u.startswith(REPAIR_PREFIXES) for u in result.get("utterances", [])) or any(
            v == "skipped" for v in slots.values()
        )
    if kind == "repeat":
        return bool(result.get("repeated_last"))
    if kind == "first_message_with_question":
        started = FORM_OF.get(str(expect.get("starts") or ""))
        return result.get("form_after") == started and bool(result.get("faq_answered"))
    return False


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    by_group: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for result in results:
        by_group[result["group"]].append(result)
    for group, rows in by_group.items():
        figures: dict[str, Any] = {"messages": len(rows)}
        for language in ("zh", "en"):
            mine = [r for r in rows if r["language"] == language]
            figures[f"passed_{language}"] = round(sum(passed(r) for r in mine) / max(len(mine), 1), 4)
        figures["passed"] = round(sum(passed(r) for r in rows) / max(len(rows), 1), 4)
        figures["money_form_started"] = sum(r.get("verdict") == "money_form" for r in rows)
        figures["faq_answered"] = sum(r.get("verdict") == "faq_answer" for r in rows)
        figures["verdicts"] = dict(Counter(str(r.get("verdict")) for r in rows).most_common())
        key = {"near_domain": "topic", "person_requests": "context", "in_journey": "kind"}.get(group)
        if key:
            figures[f"passed_by_{key}"] = {
                value: round(sum(passed(r) for r in rows if r.get(key) == value) / n, 4)
                for value, n in Counter(str(r.get(key)) for r in rows).items()
            }
        summary[group] = figures
    return summary


async def evaluate(items: list[Item], system: System, concurrency: int) -> list[dict[str, Any]]:
    state = DialogueState(system.hub_database)
    queue: asyncio.Queue[Item] = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    results: list[dict[str, Any]] = []

    async with httpx.AsyncClient(base_url=system.hub_url, timeout=60) as hub:

        async def worker() -> None:
            while not queue.empty():
                item = queue.get_nowait()
                try:
                    results.append(await run_item(hub, state, system, item))
                except (httpx.HTTPError, KeyError, ValueError) as exc:
                    results.append(
                        {
                            "group": item.group,
                            "text": item.text,
                            "language": item.language,
                            **item.fields,
                            "verdict": f"error: {type(exc).__name__}",
                        }
                    )

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return results


def print_summary(summary: dict[str, Any]) -> None:
    for group in GROUPS:
        figures = summary.get(group)
        if not figures:
            continue
        print(
            f"{group:<16} {figures['messages']:>4} messages: passed {figures['passed']:.3f} "
            f"(zh {figures['passed_zh']:.3f}, en {figures['passed_en']:.3f}); money form started "
            f"{figures['money_form_started']}, FAQ answered {figures['faq_answered']}"
        )
        print("    " + ", ".join(f"{k} {v}" for k, v in figures["verdicts"].items()))
        for key, values in figures.items():
            if key.startswith("passed_by_"):
                print(f"    {key.removeprefix('passed_')}: " + ", ".join(f"{k} {v:.2f}" for k, v in values.items()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--group", action="append", choices=GROUPS)
    parser.add_argument("--concurrency", type=int, default=6)
    parser.add_argument("--out", type=Path, default=REPO / "bot" / "eval" / "dialogue_eval.json")
    parser.add_argument("--details", type=Path, help="also write every message's result here (JSON lines)")
    parser.add_argument(
        "--sets",
        type=Path,
        default=BLIND,
        help="the folder of the groups' files: bot/tests/dev/ holds a development set to debug on (default: the blind sets)",
    )
    args = parser.parse_args()
    items = load_items(args.group or GROUPS, args.sets)
    system = System()
    started = time.monotonic()
    try:
        print(f"starting the system, then {len(items)} messages ...", file=sys.stderr)
        system.start()
        results = asyncio.run(evaluate(items, system, args.concurrency))
    finally:
        system.stop()
    summary = summarise(results)
    summary["seconds"] = round(time.monotonic() - started)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if args.details:
        args.details.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in results), encoding="utf-8")
    print_summary(summary)
    print(f"written to {args.out} ({summary['seconds']} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
