"""The whole card: front matter, then the sections in reading order."""

from __future__ import annotations

from arastance.publish.card.facts import CardFacts
from arastance.publish.card.front_matter import front_matter
from arastance.publish.card.sections import (
    intended_use_section,
    limitations_section,
    schema_section,
    scores_section,
    test_sets_section,
    title_section,
    training_data_section,
)
from arastance.publish.card.usage import how_to_use_section, reproduce_section


def render_card(facts: CardFacts) -> str:
    sections = [
        f"---\n{front_matter(facts).rstrip()}\n---\n",
        title_section(facts),
        intended_use_section(facts),
        schema_section(facts),
        scores_section(facts),
        test_sets_section(facts),
        training_data_section(facts),
        limitations_section(facts),
        how_to_use_section(facts),
        reproduce_section(facts),
    ]
    return "\n".join(s.rstrip() + "\n" for s in sections if s)  # a section with nothing to say is left out
