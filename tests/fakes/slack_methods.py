"""FakeSlack's Web API methods: the token check, the table of methods and their answers."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from itertools import count

from tests.fakes.slack_model import APP_ID, Json, Reject
from tests.fakes.slack_validation import MESSAGE_METHODS, VIEW_METHODS, BlockKitChecks


class SlackMethods(BlockKitChecks):
    """The Web API methods FakeSlack answers, on the state FakeSlack keeps."""

    team_id: str
    bot_user_id: str
    bot_id: str
    strict_channels: bool
    users: dict[str, Json]
    usergroups: dict[str, list[str]]
    channels: dict[str, Json]
    messages: dict[tuple[str, str], Json]
    views: dict[str, Json]
    home_views: dict[str, Json]
    url: str
    _ids: count[int]
    _last_micros: int
    _dms: dict[str, str]

    def _check_token(self, method: str, token: str | None) -> None:
        if not token:
            raise Reject("not_authed")
        app_level = token.startswith("xapp-")
        if method == "apps.connections.open":
            if not app_level:
                raise Reject("not_allowed_token_type")
        elif app_level:
            raise Reject("not_allowed_token_type")
        elif not token.startswith(("xoxb-", "xoxp-")):
            raise Reject("invalid_auth")

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
            "users.list": self._users_list,
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
            raise Reject("channel_not_found")
        if channel.startswith(("U", "W")):
            return self.dm_channel(channel)
        if (
            self.strict_channels
            and channel not in self.channels
            and channel not in self._dms.values()
        ):
            raise Reject("channel_not_found")
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
            raise Reject("no_text")
        ts = self._next_ts()
        message = self._message(args, ts)
        self.messages[(channel, ts)] = message
        return {"channel": channel, "ts": ts, "message": message}

    def _update_message(self, args: Json) -> Json:
        channel, ts = args.get("channel", ""), args.get("ts", "")
        if (channel, ts) not in self.messages:
            raise Reject("message_not_found")
        message = {**self.messages[(channel, ts)], **self._message(args, ts)}
        self.messages[(channel, ts)] = message
        return {"channel": channel, "ts": ts, "text": message["text"], "message": message}

    def _delete_message(self, args: Json) -> Json:
        channel, ts = args.get("channel", ""), args.get("ts", "")
        if self.messages.pop((channel, ts), None) is None:
            raise Reject("message_not_found")
        return {"channel": channel, "ts": ts}

    def _post_ephemeral(self, args: Json) -> Json:
        self._channel_for_post(args.get("channel"))
        if not args.get("user"):
            raise Reject("user_not_found")
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
            raise Reject("invalid_arguments")
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
        raise Reject("not_found")

    def _views_update(self, args: Json) -> Json:
        current = self._find_view(args)
        if args.get("hash") and args["hash"] != current["hash"]:
            raise Reject("hash_conflict")
        view = {**current, **_required_view(args), "hash": uuid.uuid4().hex[:16]}
        view["id"] = current["id"]
        self.views[view["id"]] = view
        return {"view": view}

    def _views_publish(self, args: Json) -> Json:
        user_id = args.get("user_id", "")
        if not user_id:
            raise Reject("invalid_arguments")
        current = self.home_views.get(user_id)
        if args.get("hash") and (current is None or args["hash"] != current["hash"]):
            raise Reject("hash_conflict")
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
            raise Reject("users_list_not_supplied")
        for user in users:
            if user not in self.users:
                raise Reject("user_not_found")
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
        raise Reject("channel_not_found")

    def _users_info(self, args: Json) -> Json:
        user = self.users.get(args.get("user", ""))
        if user is None:
            raise Reject("user_not_found")
        return {"user": user}

    def _users_list(self, args: Json) -> Json:
        """Members a page at a time (`limit`, at most 1000), with Slack's opaque cursor."""
        limit = min(int(args.get("limit") or 0) or 1000, 1000)
        start = int(str(args.get("cursor") or "0").removeprefix("dXNlcjo") or 0)
        members = list(self.users.values())
        page = members[start : start + limit]
        following = start + limit if start + limit < len(members) else None
        cursor = f"dXNlcjo{following}" if following is not None else ""
        return {"members": page, "response_metadata": {"next_cursor": cursor}}

    def _users_lookup_by_email(self, args: Json) -> Json:
        email = str(args.get("email", "")).lower()
        for user in self.users.values():
            if str(user["profile"].get("email", "")).lower() == email and email:
                return {"user": user}
        raise Reject("users_not_found")

    def _usergroup_users(self, args: Json) -> Json:
        group = args.get("usergroup", "")
        if group not in self.usergroups:
            raise Reject("no_such_subteam")
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


def _required_view(args: Json) -> Json:
    view = args.get("view")
    if not isinstance(view, dict):
        raise Reject("invalid_arguments")
    return view
