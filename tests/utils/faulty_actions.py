"""An action server that fails the way a killed one does, in front of the real one: Rasa's calls of chosen
customer messages are answered 500 (the process died before it answered, or after it acted but before its answer
got back), everything else is passed through.

It serves from its own thread, so a test's blocking calls never stall Rasa's action calls.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx


@dataclass
class Faults:
    """What to break. ``down``: every call fails before it reaches the action server. ``first_sending_of``: hub
    message ids whose first sending to Rasa fails entirely (a re-sent message gets a new Rasa ``message_id`` and
    goes through). ``lose_answer_of``: action names run for real whose answer is then lost, once each."""

    down: bool = False
    first_sending_of: set[str] = field(default_factory=set)
    lose_answer_of: set[str] = field(default_factory=set)
    failed_calls: list[str] = field(default_factory=list)
    _failing_sending: dict[str, str] = field(default_factory=dict)

    def decide(self, call: dict[str, Any]) -> str:
        """``fail`` (answer 500 without calling), ``lose`` (call, then answer 500) or ``pass``."""
        action = str(call.get("next_action"))
        latest = (call.get("tracker") or {}).get("latest_message") or {}
        hub_id = str((latest.get("metadata") or {}).get("hub_message_id"))
        rasa_id = str(latest.get("message_id"))
        if self.down:
            return "fail"
        if hub_id in self.first_sending_of:
            sending = self._failing_sending.setdefault(hub_id, rasa_id)
            if sending == rasa_id:
                return "fail"
        if action in self.lose_answer_of:
            self.lose_answer_of.discard(action)
            return "lose"
        return "pass"


class FaultyActions:
    """``url`` is what Rasa's action endpoint points at; ``faults`` may be changed while it runs."""

    def __init__(self, target: str):
        self.faults = Faults()
        self._lock = threading.Lock()
        upstream = httpx.Client(base_url=target, timeout=30)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                self._answer(upstream.get(self.path, headers=dict(self.headers.items())))

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with proxy._lock:
                    decision = proxy.faults.decide(json.loads(body or b"{}"))
                    if decision != "pass":
                        proxy.faults.failed_calls.append(f"{decision}:{json.loads(body).get('next_action')}")
                if decision == "fail":
                    self._fail()
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                answer = upstream.post(self.path, content=body, headers=headers)
                if decision == "lose":
                    self._fail()
                    return
                self._answer(answer)

            def _answer(self, answer: httpx.Response) -> None:
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("content-type", "application/json"))
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def _fail(self) -> None:
                self.send_response(500)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._upstream = upstream
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="faulty-actions", daemon=True)
        self._thread.start()

    def reset(self) -> None:
        with self._lock:
            self.faults = Faults()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._upstream.close()
