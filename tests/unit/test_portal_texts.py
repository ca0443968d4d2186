"""
Every text of the portal is translatable: each ``_("…")`` in a portal template and each message of the
feedback form has an English text, and translating falls back to German (the source) for unknown texts.
"""

import re
from pathlib import Path

import pytest

from fahrplan import texts

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = [ROOT / "viur_modules/fahrplan/src/fahrplan/html", ROOT / "deploy/html"]
CALL = re.compile(r"""_\(\s*(["'])(?P<text>.+?)\1\s*\)""")


def template_texts() -> set[str]:
    found = set()
    for folder in TEMPLATE_DIRS:
        for path in folder.rglob("*.html"):
            found |= {match["text"] for match in CALL.finditer(path.read_text())}
    return found


def test_templates_use_texts():
    """The scan finds the portal's texts (guards against a regex that silently matches nothing)."""
    assert {"Maßnahmen", "Zum Inhalt springen", "Erklärung zur Barrierefreiheit"} <= template_texts()


@pytest.mark.parametrize("text", sorted(template_texts()))
def test_every_template_text_has_an_english_translation(text):
    assert texts.EN.get(text), f"no English text for {text!r}: add it to fahrplan/texts.py"
    assert text.count("%s") == texts.EN[text].count("%s") and text.count("%d") == texts.EN[text].count("%d")


def test_feedback_messages_are_translated():
    """The form's error messages are German source texts the template passes through _()."""
    from fahrplan.services import rendering  # imports jinja2 only

    messages = rendering.check_feedback({"message": "", "email": "x", "name": "n" * 201}).values()
    assert len(messages) == 3
    for message in messages:
        assert texts.EN.get(message), message


def test_unknown_texts_fall_back_to_german():
    from fahrplan.services import rendering

    assert rendering.gettext("Maßnahmen", "en") == "Measures"
    assert rendering.gettext("Maßnahmen", "de") == "Maßnahmen"
    assert rendering.gettext("Gibt es nicht", "en") == "Gibt es nicht"
    assert rendering.label("measure_status", "in_progress", "en") == "In progress"
    assert rendering.label("measure_status", "in_progress", "de") == "In Umsetzung"
