"""A fake Slack Web API: a real aiohttp server on 127.0.0.1 that records every call.

Point a client at `fake.api_url`; arrange users, groups and channels; inject 429s, errors and
delays per method; then wait on recorded calls (`await fake.wait_for("chat.postMessage")`) rather
than sleeping. Block Kit payloads are checked against Slack's limits and every breach is kept in
`fake.violations`, so any test can end with `assert fake.violations == []`.

Socket Mode works too: `apps.connections.open` hands out a websocket on this server that says
hello, answers pings (recorded as `socket.ping`), records acks (`socket.ack`) and can push
envelopes (`await fake.push("events_api", payload)`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import WSMsgType, web
from aiohttp.web_request import FileField
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

TEAM_ID = "T0000FAKE"
BOT_USER_ID = "U0000BOT"
BOT_ID = "B0000BOT"
APP_ID = "A0000APP"

MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
TEXT_MAX = 40_000
HEADER_TEXT_MAX = 150
SECTION_TEXT_MAX = 3000
VIEW_BYTES_MAX = 250_000

MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral"})
VIEW_METHODS = frozenset({"views.open", "views.update", "views.push", "views.publish"})

Json = dict[str, Any]


@dataclass(frozen=True)
class SlackCall:
    """One request the fake received. `method` is the API method, `hook` for response_url posts
    (with `hook_id`), or `socket.*` for Socket Mode traffic."""

    method: str
    args: Json
    token: str | None
    status: int = 200
    error: str | None = None
    hook_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.error is None


@dataclass(frozen=True)
class Violation:
    """A payload real Slack would reject (or truncate)."""

    method: str
    problem: str


@dataclass
class _Fault:
    kind: str  # "ratelimit" | "error" | "status"
    remaining: int | None  # None: until cleared
    value: str | int
    retry_after: int = 0


class _Reject(Exception):
    """Ends a method with `{"ok": false, "error": ...}`."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


@dataclass
class FakeSlack:
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
                raise _Reject(str(fault.value))
            self._check_token(method, token)
            body = self._answer(method, args)
        except _Reject as rejection:
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

    def _check_token(self, method: str, token: str | None) -> None:
        if not token:
            raise _Reject("not_authed")
        app_level = token.startswith("xapp-")
        if method == "apps.connections.open":
            if not app_level:
                raise _Reject("not_allowed_token_type")
        elif app_level:
            raise _Reject("not_allowed_token_type")
        elif not token.startswith(("xoxb-", "xoxp-")):
            raise _Reject("invalid_auth")

    def _answer(self, method: str, args: Json) -> Json:
        handler = self._methods().get(method)
        if method in MESSAGE_METHODS:
            self._validate_message(method, args)
        if method in VIEW_METHODS:
            self._validate_view(method, args.get("view"))
        return handler(args) if handler else {}

    def _methods(self) -> dict[str, Callable[[Json], Json]]:
        return {
            "auth.test": self._auth_test,
            "apps.connections.open": self._connections_open,
            "chat.postMessage": self._post_message,
            "chat.update": self._update_message,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.delete": self._delete_message,
            "views.open": self._views_open,
            "views.push": self._views_open,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "conversations.history": self._conversations_history,
            "users.info": self._users_info,
            "users.lookupByEmail": self._users_lookup_by_email,
            "usergroups.users.list": self._usergroup_users,
            "files.upload": self._files_upload,
            "files.getUploadURLExternal": self._get_upload_url,
            "files.completeUploadExternal": self._complete_upload,
        }

    # -- methods --------------------------------------------------------------------------------

    def _auth_test(self, _args: Json) -> Json:
        return {
            "url": "https://fake-workspace.slack.com/",
            "team": "Fake Workspace",
            "user": "campaignbot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _connections_open(self, _args: Json) -> Json:
        return {"url": f"ws{self.url.removeprefix('http')}/ws/{next(self._ids)}"}

    def _next_ts(self) -> str:
        """Wall-clock message timestamps, strictly increasing, as Slack's are."""
        micros = max(int(time.time() * 1_000_000), self._last_micros + 1)
        self._last_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _channel_for_post(self, channel: str | None) -> str:
        if not channel:
            raise _Reject("channel_not_found")
        if channel.startswith(("U", "W")):
            return self.dm_channel(channel)
        if (
            self.strict_channels
            and channel not in self.channels
            and channel not in self._dms.values()
        ):
            raise _Reject("channel_not_found")
        return channel

    def _message(self, args: Json, ts: str) -> Json:
        message: Json = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": APP_ID,
            "text": args.get("text", ""),
            "ts": ts,
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if key in args:
                message[key] = args[key]
        return message

    def _post_message(self, args: Json) -> Json:
        channel = self._channel_for_post(args.get("channel"))
        if not any(args.get(key) for key in ("text", "blocks", "attachments")):
            raise _Reject("no_text")
        ts = self._next_ts()
        message = self._message(args, ts)
        self.messages[(channel, ts)] = message
        return {"channel": channel, "ts": ts, "message": message}

    def _update_message(self, args: Json) -> Json:
        channel, ts = args.get("channel", ""), args.get("ts", "")
        if (channel, ts) not in self.messages:
            raise _Reject("message_not_found")
        message = {**self.messages[(channel, ts)], **self._message(args, ts)}
        self.messages[(channel, ts)] = message
        return {"channel": channel, "ts": ts, "text": message["text"], "message": message}

    def _delete_message(self, args: Json) -> Json:
        channel, ts = args.get("channel", ""), args.get("ts", "")
        if self.messages.pop((channel, ts), None) is None:
            raise _Reject("message_not_found")
        return {"channel": channel, "ts": ts}

    def _post_ephemeral(self, args: Json) -> Json:
        self._channel_for_post(args.get("channel"))
        if not args.get("user"):
            raise _Reject("user_not_found")
        return {"message_ts": self._next_ts()}

    def _new_view(self, view: Json) -> Json:
        view_id = f"V{next(self._ids):08d}"
        return {
            "id": view_id,
            "team_id": self.team_id,
            "app_id": APP_ID,
            "bot_id": self.bot_id,
            "state": {"values": {}},
            "hash": uuid.uuid4().hex[:16],
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            "root_view_id": view_id,
            "previous_view_id": None,
            "clear_on_close": False,
            "notify_on_close": False,
            **view,
        }

    def _views_open(self, args: Json) -> Json:
        if not args.get("trigger_id"):
            raise _Reject("invalid_arguments")
        view = self._new_view(_required_view(args))
        self.views[view["id"]] = view
        return {"view": view}

    def _find_view(self, args: Json) -> Json:
        if view_id := args.get("view_id"):
            if view_id in self.views:
                return self.views[view_id]
        elif external_id := args.get("external_id"):
            for view in self.views.values():
                if view.get("external_id") == external_id:
                    return view
        raise _Reject("not_found")

    def _views_update(self, args: Json) -> Json:
        current = self._find_view(args)
        if args.get("hash") and args["hash"] != current["hash"]:
            raise _Reject("hash_conflict")
        view = {**current, **_required_view(args), "hash": uuid.uuid4().hex[:16]}
        view["id"] = current["id"]
        self.views[view["id"]] = view
        return {"view": view}

    def _views_publish(self, args: Json) -> Json:
        user_id = args.get("user_id", "")
        if not user_id:
            raise _Reject("invalid_arguments")
        current = self.home_views.get(user_id)
        if args.get("hash") and (current is None or args["hash"] != current["hash"]):
            raise _Reject("hash_conflict")
        view = self._new_view(_required_view(args))
        if current is not None:
            view["id"] = view["root_view_id"] = current["id"]
        self.home_views[user_id] = view
        return {"view": view}

    def dm_channel(self, user_id: str) -> str:
        """The DM channel id the fake uses for a user (stable per user)."""
        return self._dms.setdefault(user_id, f"D{len(self._dms) + 1:08d}")

    def _conversations_open(self, args: Json) -> Json:
        users = [u for u in str(args.get("users", "")).split(",") if u]
        if not users:
            raise _Reject("users_list_not_supplied")
        for user in users:
            if user not in self.users:
                raise _Reject("user_not_found")
        if len(users) == 1:
            already = users[0] in self._dms
            return {"channel": {"id": self.dm_channel(users[0])}, "already_open": already}
        return {"channel": {"id": f"G{next(self._ids):08d}"}}

    def _conversations_history(self, args: Json) -> Json:
        """Newest first; metadata only with `include_all_metadata`, as Slack does."""
        channel = str(args.get("channel") or "")
        oldest = float(args.get("oldest") or 0)
        limit = int(args.get("limit") or 100)
        with_metadata = str(args.get("include_all_metadata")).lower() in ("1", "true")
        found = sorted(
            (
                message
                for (where, ts), message in self.messages.items()
                if where == channel and float(ts) >= oldest
            ),
            key=lambda message: float(message["ts"]),
            reverse=True,
        )
        shown = [
            message if with_metadata else {k: v for k, v in message.items() if k != "metadata"}
            for message in found[:limit]
        ]
        return {"messages": shown, "has_more": len(found) > limit}

    def _conversations_info(self, args: Json) -> Json:
        channel = args.get("channel", "")
        if channel in self.channels:
            return {"channel": self.channels[channel]}
        if channel in self._dms.values():
            return {"channel": {"id": channel, "is_im": True, "is_channel": False}}
        raise _Reject("channel_not_found")

    def _users_info(self, args: Json) -> Json:
        user = self.users.get(args.get("user", ""))
        if user is None:
            raise _Reject("user_not_found")
        return {"user": user}

    def _users_lookup_by_email(self, args: Json) -> Json:
        email = str(args.get("email", "")).lower()
        for user in self.users.values():
            if str(user["profile"].get("email", "")).lower() == email and email:
                return {"user": user}
        raise _Reject("users_not_found")

    def _usergroup_users(self, args: Json) -> Json:
        group = args.get("usergroup", "")
        if group not in self.usergroups:
            raise _Reject("no_such_subteam")
        return {"users": self.usergroups[group]}

    def _files_upload(self, args: Json) -> Json:
        return {"file": {"id": f"F{next(self._ids):08d}", "title": args.get("title", "")}}

    def _get_upload_url(self, args: Json) -> Json:
        file_id = f"F{next(self._ids):08d}"
        return {"upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _complete_upload(self, args: Json) -> Json:
        files = args.get("files", [])
        if isinstance(files, str):
            files = json.loads(files)
        return {"files": [{"id": f["id"], "title": f.get("title", "")} for f in files]}

    # -- Block Kit validation -------------------------------------------------------------------

    def _violate(self, method: str, problems: list[str], error: str) -> None:
        if problems:
            self.violations.extend(Violation(method, p) for p in problems)
            raise _Reject(error, response_metadata={"messages": [f"[ERROR] {p}" for p in problems]})

    def _validate_message(self, method: str, args: Json) -> None:
        problems = []
        text = args.get("text") or ""
        if len(text) > TEXT_MAX:
            problems.append(f"text is {len(text)} characters; at most {TEXT_MAX}")
        self._violate(method, problems, "msg_too_long")
        blocks = args.get("blocks")
        if blocks is not None:
            blocks_problems = block_problems(blocks, MESSAGE_BLOCKS_MAX)
            self._violate(method, blocks_problems, "invalid_blocks")

    def _validate_view(self, method: str, view: object) -> None:
        if not isinstance(view, dict):
            return  # answered as invalid_arguments by the method itself
        size = len(json.dumps(view))
        if size > VIEW_BYTES_MAX:
            self._violate(
                method, [f"view is {size} bytes; at most {VIEW_BYTES_MAX}"], "view_too_large"
            )
        self._violate(method, view_problems(view), "invalid_arguments")

    # -- Socket Mode ----------------------------------------------------------------------------

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=False)
        await ws.prepare(request)
        self._sockets.append(ws)
        await self._record(
            SlackCall("socket.connect", {"socket": request.match_info["socket_id"]}, None)
        )
        hello = {
            "type": "hello",
            "num_connections": len(self._sockets),
            "connection_info": {"app_id": APP_ID},
        }
        await ws.send_json(hello)
        try:
            await self._socket_loop(ws)
        finally:
            self._sockets.remove(ws)
        return ws

    async def _socket_loop(self, ws: web.WebSocketResponse) -> None:
        async for message in ws:
            if message.type == WSMsgType.PING:
                await ws.pong(message.data)
                await self._record(SlackCall("socket.ping", {}, None))
            elif message.type == WSMsgType.TEXT:
                await self._record(SlackCall("socket.ack", json.loads(message.data), None))

    @property
    def socket_connections(self) -> int:
        return len(self._sockets)

    async def push(self, envelope_type: str, payload: Json) -> str:
        """Send an envelope (`events_api`, `slash_commands`, `interactive`) to every open socket;
        returns its envelope_id, which the app's ack (`socket.ack`) carries back."""
        envelope_id = uuid.uuid4().hex
        envelope = {
            "envelope_id": envelope_id,
            "type": envelope_type,
            "payload": payload,
            "accepts_response_payload": envelope_type != "events_api",
            "retry_attempt": 0,
            "retry_reason": "",
        }
        for ws in list(self._sockets):
            await ws.send_json(envelope)
        return envelope_id

    async def drop_sockets(self) -> None:
        """Close every Socket Mode connection from Slack's side (as a Slack restart would)."""
        for ws in list(self._sockets):
            await ws.close(message=b"fake slack closed the connection")


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


def _required_view(args: Json) -> Json:
    view = args.get("view")
    if not isinstance(view, dict):
        raise _Reject("invalid_arguments")
    return view


def _text_of(obj: object) -> str:
    if isinstance(obj, dict):
        return str(obj.get("text", ""))
    return str(obj or "")


def _limit_problems(block: Json, index: int) -> list[str]:
    """Limits checked by hand, so a breach is named even where slack_sdk does not check it."""
    kind = block.get("type")
    text = _text_of(block.get("text"))
    if kind == "header" and len(text) > HEADER_TEXT_MAX:
        return [
            f"blocks[{index}]: header text is {len(text)} characters; at most {HEADER_TEXT_MAX}"
        ]
    if kind == "section" and len(text) > SECTION_TEXT_MAX:
        return [
            f"blocks[{index}]: section text is {len(text)} characters; at most {SECTION_TEXT_MAX}"
        ]
    return []


def _sdk_problems(block: Json, index: int) -> list[str]:
    """Parse with slack_sdk and run its validators (to_dict validates nested objects too)."""
    try:
        parsed = Block.parse(block)
        if parsed is None:
            return [f"blocks[{index}]: unknown block type {block.get('type')!r}"]
        parsed.to_dict()
    except (SlackObjectFormationError, TypeError, ValueError, KeyError, AttributeError) as exc:
        return [f"blocks[{index}]: {exc}"]
    return []


def block_problems(blocks: object, limit: int) -> list[str]:
    """Why Slack would refuse these blocks, as readable sentences (empty when fine)."""
    if not isinstance(blocks, list):
        return ["blocks must be a JSON array"]
    problems = [f"{len(blocks)} blocks; at most {limit}"] if len(blocks) > limit else []
    for index, block in enumerate(blocks):
        if not isinstance(block, dict):
            problems.append(f"blocks[{index}] is not an object")
            continue
        problems += _limit_problems(block, index) or _sdk_problems(block, index)
    return problems


def view_problems(view: Json) -> list[str]:
    """Why Slack would refuse this view: its own limits, then each block's."""
    problems: list[str] = []
    blocks = view.get("blocks", [])
    if view.get("type") == "modal":
        if not view.get("title"):
            problems.append("a modal needs a title")
        has_input = isinstance(blocks, list) and any(
            isinstance(b, dict) and b.get("type") == "input" for b in blocks
        )
        if has_input and not view.get("submit"):
            problems.append("a modal with input blocks needs a submit button")
    try:
        # View checks title/submit/close (24), private_metadata (3000), callback_id (255);
        # blocks are checked one by one below, a stand-in keeps View's own count check quiet.
        View(**{**view, "blocks": [{"type": "divider"}]}).to_dict()
    except (SlackObjectFormationError, TypeError, ValueError) as exc:
        problems.append(f"view: {exc}")
    return problems + block_problems(blocks, VIEW_BLOCKS_MAX)
