"""A fake Slack Web API: a real aiohttp server on 127.0.0.1 that records every call.

Point a client at `fake.api_url`; arrange users, groups and channels; inject 429s, errors and
delays per method; then wait on recorded calls (`await fake.wait_for("chat.postMessage")`) rather
than sleeping. Block Kit payloads are checked against Slack's limits and every breach is kept in
`fake.violations`, so any test can end with `assert fake.violations == []`.

Socket Mode works too: `apps.connections.open` hands out a websocket on this server that says
hello, answers pings (recorded as `socket.ping`), records acks (`socket.ack`) and can push
envelopes (`await fake.push("events_api", payload)`).

This module has the server, its arrangement, fault injection and recorded calls; the Web API
methods are in `slack_methods`, the Block Kit checks in `slack_validation`, Socket Mode in
`slack_socket`, and what they share (`SlackCall`, `Violation`, the ids) in `slack_model`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from zoneinfo import ZoneInfo

from aiohttp import web
from aiohttp.web_request import FileField

from tests.fakes.slack_methods import SlackMethods
from tests.fakes.slack_model import (
    BOT_ID,
    BOT_USER_ID,
    TEAM_ID,
    Json,
    Reject,
    SlackCall,
    Violation,
)
from tests.fakes.slack_socket import SocketMode

# The records and default ids are part of FakeSlack's own API, so they are importable from here.
__all__ = ["BOT_ID", "BOT_USER_ID", "TEAM_ID", "FakeSlack", "SlackCall", "Violation"]


@dataclass
class _Fault:
    kind: str  # "ratelimit" | "error" | "status"
    remaining: int | None  # None: until cleared
    value: str | int
    retry_after: int = 0


@dataclass
class FakeSlack(SlackMethods, SocketMode):
    """The fake Slack Web API. Use as `async with FakeSlack() as fake:`."""

    team_id: str = TEAM_ID
    bot_user_id: str = BOT_USER_ID
    bot_id: str = BOT_ID
    strict_channels: bool = False  # True: posting to an unknown channel is channel_not_found

    violations: list[Violation] = field(default_factory=list)
    users: dict[str, Json] = field(default_factory=dict)
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    channels: dict[str, Json] = field(default_factory=dict)
    messages: dict[tuple[str, str], Json] = field(default_factory=dict)
    views: dict[str, Json] = field(default_factory=dict)
    home_views: dict[str, Json] = field(default_factory=dict)
    uploads: dict[str, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._calls: list[SlackCall] = []
        self._changed = asyncio.Condition()
        self._faults: dict[str, list[_Fault]] = {}
        self._delays: dict[str, float] = {}
        self._ids = itertools.count(1)
        self._last_micros = 0
        self._dms: dict[str, str] = {}
        self._pace: tuple[float, int] | None = None
        self._last_post: dict[str, float] = {}
        self._sockets: list[web.WebSocketResponse] = []
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.add_user(self.bot_user_id, name="campaignbot", is_bot=True)

    # -- lifecycle ------------------------------------------------------------------------------

    async def __aenter__(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/hook/{hook_id}", self._hook)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/ws/{socket_id}", self._websocket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.drop_sockets()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self) -> str:
        """A fresh response_url; posts to it are recorded as method `hook` with its `hook_id`."""
        return f"{self.url}/hook/{uuid.uuid4().hex}"

    # -- arrangement ----------------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        *,
        name: str | None = None,
        email: str | None = None,
        tz: str = "UTC",
        is_bot: bool = False,
        deleted: bool = False,
        real_name: str | None = None,
    ) -> Json:
        """A user as `users.info` returns it."""
        name = name or user_id.lower()
        offset = datetime.now(UTC).astimezone(ZoneInfo(tz)).utcoffset()
        profile: Json = {
            "real_name": real_name or name.title(),
            "display_name": name,
            "image_72": f"https://avatars.example/{user_id}.png",
        }
        if email:
            profile["email"] = email
        user: Json = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "real_name": profile["real_name"],
            "deleted": deleted,
            "is_bot": is_bot,
            "is_admin": False,
            "tz": tz,
            "tz_label": tz,
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "profile": profile,
        }
        self.users[user_id] = user
        return user

    def add_usergroup(self, group_id: str, members: list[str]) -> None:
        self.usergroups[group_id] = list(members)

    def add_channel(
        self, channel_id: str, name: str, *, is_private: bool = False, is_member: bool = True
    ) -> Json:
        channel: Json = {
            "id": channel_id,
            "name": name,
            "is_channel": not is_private,
            "is_group": is_private,
            "is_im": False,
            "is_private": is_private,
            "is_member": is_member,
            "is_archived": False,
        }
        self.channels[channel_id] = channel
        return channel

    # -- fault injection ------------------------------------------------------------------------

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 0) -> None:
        """The next `times` calls of `method` get HTTP 429 with `Retry-After`."""
        self._add_fault(method, _Fault("ratelimit", times, "ratelimited", retry_after))

    def fail(self, method: str, error: str, times: int | None = None) -> None:
        """Calls of `method` answer `ok: false` with `error` (`times` calls, or until cleared)."""
        self._add_fault(method, _Fault("error", times, error))

    def http_error(self, method: str, status: int = 503, times: int = 1) -> None:
        """The next `times` calls of `method` get a bare HTTP error status (5xx tests)."""
        self._add_fault(method, _Fault("status", times, status))

    def pace(self, per_second: float = 1.0, retry_after: int = 1) -> None:
        """Enforce Slack's pacing of chat.postMessage: a post to a channel less than
        1/`per_second` s after the last accepted one gets HTTP 429 with `Retry-After`."""
        self._pace = (1.0 / per_second, retry_after)

    def _paced_out(self, method: str, args: Json) -> bool:
        if self._pace is None or method != "chat.postMessage":
            return False
        interval, _ = self._pace
        channel = str(args.get("channel") or "")
        now = asyncio.get_running_loop().time()
        last = self._last_post.get(channel)
        if last is not None and now - last < interval * 0.98:
            return True
        self._last_post[channel] = now
        return False

    def delay(self, method: str, seconds: float) -> None:
        """Every call of `method` waits `seconds` before answering (a slow Slack)."""
        self._delays[method] = seconds

    def clear(self, method: str | None = None) -> None:
        """Remove injected faults and delays (for one method or all)."""
        for table in (self._faults, self._delays):
            if method is None:
                table.clear()
            else:
                table.pop(method, None)

    def _add_fault(self, method: str, fault: _Fault) -> None:
        self._faults.setdefault(method, []).append(fault)

    def _take_fault(self, method: str) -> _Fault | None:
        faults = self._faults.get(method)
        if not faults:
            return None
        fault = faults[0]
        if fault.remaining is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                faults.pop(0)
        return fault

    # -- recorded calls -------------------------------------------------------------------------

    def calls(self, method: str | None = None, *, ok: bool | None = None) -> list[SlackCall]:
        """Recorded calls, oldest first; `ok=True` keeps only the successful ones."""
        return [
            call
            for call in self._calls
            if (method is None or call.method == method) and (ok is None or call.ok == ok)
        ]

    def hook_calls(self, hook_id: str | None = None) -> list[SlackCall]:
        return [c for c in self.calls("hook") if hook_id is None or c.hook_id == hook_id]

    async def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 20.0,  # noqa: ASYNC109 - a bounded wait is the point of this helper
        *,
        ok: bool | None = None,
    ) -> list[SlackCall]:
        """Wait until `count` calls of `method` were recorded; returns them all."""
        try:
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait_for(lambda: len(self.calls(method, ok=ok)) >= count)
        except TimeoutError:
            seen = [c.method for c in self._calls]
            raise AssertionError(
                f"waited {timeout}s for {count} x {method}; got {len(self.calls(method, ok=ok))}."
                f" All calls: {seen}"
            ) from None
        return self.calls(method, ok=ok)

    async def wait_until(
        self,
        condition: Callable[[], bool],
        timeout: float = 20.0,  # noqa: ASYNC109 - a bounded wait is the point of this helper
    ) -> None:
        """Wait until `condition()` holds; it is checked after every recorded call."""
        try:
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait_for(condition)
        except TimeoutError:
            seen = [c.method for c in self._calls]
            raise AssertionError(f"condition not met within {timeout}s; calls: {seen}") from None

    async def _record(self, call: SlackCall) -> None:
        async with self._changed:
            self._calls.append(call)
            self._changed.notify_all()

    # -- HTTP handlers --------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await _read_args(request)
        token = _bearer(request) or args.pop("token", None)
        if method in self._delays:
            await asyncio.sleep(self._delays[method])
        if self._paced_out(method, args):
            assert self._pace is not None
            await self._record(SlackCall(method, args, token, status=429))
            return _fault_response(_Fault("ratelimit", 1, "ratelimited", self._pace[1]))
        fault = self._take_fault(method)
        if fault is not None and fault.kind != "error":
            status = 429 if fault.kind == "ratelimit" else int(fault.value)
            await self._record(SlackCall(method, args, token, status=status))
            return _fault_response(fault)
        try:
            if fault is not None:
                raise Reject(str(fault.value))
            self._check_token(method, token)
            body = self._answer(method, args)
        except Reject as rejection:
            await self._record(SlackCall(method, args, token, error=rejection.error))
            return web.json_response({"ok": False, "error": rejection.error, **rejection.extra})
        await self._record(SlackCall(method, args, token))
        headers = {"x-oauth-scopes": "chat:write,commands"} if method == "auth.test" else None
        return web.json_response({"ok": True, **body}, headers=headers)

    async def _hook(self, request: web.Request) -> web.Response:
        args = await _read_args(request)
        await self._record(SlackCall("hook", args, None, hook_id=request.match_info["hook_id"]))
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        self.uploads[file_id] = await request.read()
        await self._record(SlackCall("upload", {"file_id": file_id}, None))
        return web.Response(text=f"OK - {len(self.uploads[file_id])}")


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


async def _read_args(request: web.Request) -> Json:
    """Arguments from the query string, then a JSON, form or multipart body (as slack_sdk sends)."""
    args: Json = dict(request.query)
    if request.content_type == "application/json":
        body = await request.json() if request.can_read_body else {}
        args.update(body if isinstance(body, dict) else {})
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, value in (await request.post()).items():
            if isinstance(value, str):
                args[key] = value
            elif isinstance(value, FileField):
                args[key] = {"filename": value.filename, "size": len(value.file.read())}
            else:
                args[key] = {"size": len(value)}
    for key in ("blocks", "view", "attachments"):
        if isinstance(args.get(key), str):
            try:
                args[key] = json.loads(args[key])
            except json.JSONDecodeError:
                args[key] = {"unparseable": args[key]}
    return args


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header.removeprefix("Bearer ").strip() or None


def _fault_response(fault: _Fault) -> web.Response:
    if fault.kind == "ratelimit":
        return web.json_response(
            {"ok": False, "error": "ratelimited"},
            status=429,
            headers={"Retry-After": str(fault.retry_after)},
        )
    return web.Response(status=int(fault.value), text="fake slack server error")
