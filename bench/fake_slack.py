"""The fake Slack in a process of its own, so it never shares an event loop with what it measures.

    python -m bench.fake_slack        # prints `READY <api_url>`, serves until stdin closes

It is `tests.fakes.slack.FakeSlack` plus a few `bench.*` methods on the same API URL, which the
bench calls over HTTP (they are not recorded as Slack calls):

- `bench.reset`: forget calls, messages, faults and pacing; `{"pace": 1.0}` enforces pacing again.
- `bench.rate_limit`: `{"method", "times", "retry_after"}`, as `FakeSlack.rate_limit`.
- `bench.users`: `{"ids": [...]}`: add these users (conversations.open refuses unknown ones).
- `bench.wait`: `{"keys": [...]}` or `{"count": n}`, `"timeout"`: wait until those delivery keys
  (or n distinct ones) were posted; answers when each arrived (see below). `{"hooks": [...]}`
  waits for posts to those response_url hook ids instead.
- `bench.stats`: every accepted post as `[key, channel]` in arrival order, the 429s sent, calls by
  method, each response_url hook's first post as `{hook_id: [arrival, text]}`, and how many
  Block Kit violations the fake has seen since it started (never reset).

Arrival times are `time.monotonic()` taken when the accepted attempt of a post came in; on Linux
that clock is system-wide, so other processes on the machine can subtract their own readings.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from typing import Any

from aiohttp import web

from tests.fakes.slack import FakeSlack, SlackCall

Json = dict[str, Any]
POST = "chat.postMessage"


def key_of(args: Json) -> str | None:
    """The delivery key a post carries in its metadata (SlackMessenger puts it there)."""
    metadata = args.get("metadata")
    if not isinstance(metadata, dict):
        return None
    payload = metadata.get("event_payload")
    if not isinstance(payload, dict) or payload.get("key") is None:
        return None
    return str(payload["key"])


class BenchSlack(FakeSlack):
    def __post_init__(self) -> None:
        super().__post_init__()
        self._forget()

    def _forget(self) -> None:
        self._calls.clear()
        self._faults.clear()
        self._delays.clear()
        self._last_post.clear()
        self._pace = None
        self.messages.clear()
        self.arrivals: dict[str, float] = {}
        """Delivery key -> when its first accepted post came in."""
        self.accepted: list[tuple[str, str]] = []
        """(key, channel) of every accepted post, in order."""
        self.posted: Counter[str] = Counter()
        self.status_429 = 0
        self._attempt: dict[int, float] = {}
        self.hooks: dict[str, tuple[float, str]] = {}
        """Hook id -> (when its first post came in, its text)."""

    # Stamp every post as it comes in (the pacing check is the first thing the fake does with a
    # request after reading it); keep the stamp of the attempt Slack accepted.
    def _paced_out(self, method: str, args: Json) -> bool:
        if method == POST:
            self._attempt[id(args)] = time.monotonic()
        return super()._paced_out(method, args)

    async def _record(self, call: SlackCall) -> None:
        if call.method == "hook" and call.hook_id is not None:
            self.hooks.setdefault(call.hook_id, (time.monotonic(), str(call.args.get("text"))))
        if call.method == POST:
            arrived = self._attempt.pop(id(call.args), time.monotonic())
            if call.status == 429:
                self.status_429 += 1
            key = key_of(call.args)
            if call.ok and key is not None:
                self.arrivals.setdefault(key, arrived)
                self.accepted.append((key, str(call.args.get("channel"))))
                self.posted[key] += 1
        await super()._record(call)

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if not method.startswith("bench."):
            return await super()._api(request)
        body: Json = await request.json() if request.can_read_body else {}
        if method == "bench.reset":
            self._forget()
            if body.get("pace"):
                self.pace(per_second=float(body["pace"]), retry_after=int(body.get("retry", 1)))
            return web.json_response({"ok": True})
        if method == "bench.rate_limit":
            self.rate_limit(body["method"], int(body["times"]), int(body["retry_after"]))
            return web.json_response({"ok": True})
        if method == "bench.users":
            for user_id in body.get("ids") or []:
                self.add_user(str(user_id))
            return web.json_response({"ok": True})
        if method == "bench.wait":
            return web.json_response(await self._wait(body))
        if method == "bench.stats":
            left = sum(fault.remaining or 0 for faults in self._faults.values() for fault in faults)
            return web.json_response(
                {
                    "ok": True,
                    "accepted": self.accepted,
                    "status_429": self.status_429,
                    "faults_left": left,
                    "posts_tried": sum(1 for call in self._calls if call.method == POST),
                    "methods": Counter(call.method for call in self._calls),
                    "hooks": self.hooks,
                    "violations": len(self.violations),
                }
            )
        return web.json_response({"ok": False, "error": "unknown_method"}, status=404)

    async def _wait(self, body: Json) -> Json:
        keys = [str(key) for key in body.get("keys") or []]
        count = int(body.get("count") or 0)
        hooks = [str(hook) for hook in body.get("hooks") or []]

        def done() -> bool:
            if hooks:
                return all(hook in self.hooks for hook in hooks)
            if keys:
                return all(key in self.arrivals for key in keys)
            return len(self.arrivals) >= count

        try:
            async with asyncio.timeout(float(body.get("timeout", 60))), self._changed:
                await self._changed.wait_for(done)
        except TimeoutError:
            seen = {"seen": len(self.arrivals), "hooks": len(self.hooks)}
            return {"ok": False, "error": "timeout", **seen}
        return {"ok": True, "arrivals": {key: self.arrivals[key] for key in keys}}


async def serve() -> None:
    async with BenchSlack() as fake:
        print("READY", fake.api_url, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(serve())
