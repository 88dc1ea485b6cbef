"""What the escalation tests (tests/playbooks/test_escalation_*.py) share: the people, channels
and experts, the kind of secret GitHub's expert is for, the experts and teams of every rules file,
and the settings the tests run with (`escalation_settings`)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.settings import Settings

ADMIN, MANAGER, DEV = "UADMIN", "UMANAGER", "UDEV"
ADMINS = f"{ADMIN},{MANAGER}"
CHANNEL, LEAD, PLATFORM = "C0SEC", "C0LEAD", "C0PLATFORM"
AWS_EXPERT, GH_EXPERT = "UAWSEXPERT", "UGHEXPERT"
GH_PAT: dict[str, Any] = {
    "secret_type": "github_personal_access_token",
    "secret_type_display_name": "GitHub Personal Access Token",
    "provider": "GitHub",
    "provider_slug": "github",
}
EXPERTS = f"""
[experts]
aws = ["{AWS_EXPERT}"]
github_personal_access_token = ["{GH_EXPERT}"]

[teams]
platform = "{PLATFORM}"
"""


@pytest.fixture
def escalation_settings() -> Settings:
    """The settings of the escalation tests: the admins and the leadership channel. Each
    escalation test module takes it as its `settings` (`settings = escalation_settings`), in place
    of the exception tests' one of tests/playbooks/conftest.py."""
    return Settings(_env_file=None, campaign_admins=ADMINS, escalation_channel=LEAD)
