"""Tokens, secrets and ports the fakes and the app share, without pytest: `bench/` imports them
too, and must run where only the app's own dependencies are installed."""

from __future__ import annotations

import socket

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-1111-2222-faketoken"
APP_TOKEN = "xapp-1-A0000APP-3333-faketoken"
ADMIN_ID = "U0000ADMIN"


def free_port() -> int:
    """A port free right now on 127.0.0.1 (Settings needs a real port; PORT=0 is refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
