"""Rendering customer messages from the plain-text Jinja2 templates in ``templates/``.

Each template reads like an e-mail: a ``Subject:`` line, then the body. Bodies are plain text, so nothing
is HTML-escaped; the subject is folded onto one line, so that no value can add a header to the mail.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined


@cache
def _environment() -> Environment:
    # Built on first use, not at import. StrictUndefined: a value the template needs and the caller forgot
    # fails loudly instead of leaving a silent gap in a customer's message.
    return Environment(loader=PackageLoader("ordermesh.adapters.notify", "templates"), autoescape=False,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render(template: str, context: Mapping[str, Any]) -> tuple[str, str]:
    """(subject, body) of the named template."""
    text = _environment().get_template(f"{template}.txt").render(**context)
    first, _, body = text.partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"template {template}.txt must start with a 'Subject:' line")
    subject = " ".join(first.removeprefix("Subject:").split())
    return subject, body.strip("\n") + "\n"
