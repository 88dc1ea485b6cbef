"""FakeSlack's Socket Mode: the websocket `apps.connections.open` hands out, which says hello,
answers pings (recorded as `socket.ping`), records acks (`socket.ack`) and pushes envelopes."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING

from aiohttp import WSMsgType, web

from tests.fakes.slack_model import APP_ID, Json, SlackCall


class SocketMode:
    """The Socket Mode side of FakeSlack, served at `/ws/{socket_id}`."""

    _sockets: list[web.WebSocketResponse]

    if TYPE_CHECKING:

        async def _record(self, call: SlackCall) -> None: ...

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
