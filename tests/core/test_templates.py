"""Templates: every query parses, selects its own kind, and code templates skip non-app code."""

from __future__ import annotations

import pytest

from bot.core import templates
from bot.core.models import AlertKind
from bot.core.query.parser import parse


@pytest.mark.parametrize("template", templates.TEMPLATES, ids=lambda t: t.slug)
def test_template_query_parses_and_selects_its_kind(template: templates.Template) -> None:
    query = parse(template.query)
    assert query.kinds() == frozenset({template.kind})
    assert template.name and len(template.name) <= 50
    assert template.description and len(template.description) <= 255


def test_code_templates_carry_open_and_autofilter_like_github() -> None:
    for template in templates.by_kind(AlertKind.CODE):
        assert template.query.startswith("is:open autofilter:true ")


def test_there_are_enough_templates_of_each_kind() -> None:
    assert len(templates.by_kind(AlertKind.CODE)) >= 8
    assert len(templates.by_kind(AlertKind.SECRET)) >= 6


def test_templates_are_found_by_slug_or_name() -> None:
    assert templates.find("XSS") is templates.BY_SLUG["xss"]
    assert templates.find("cross-site scripting (cwe-79)") is templates.BY_SLUG["xss"]
    assert templates.find("no such template") is None
