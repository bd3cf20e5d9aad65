"""The model card (README.md with Hub metadata) of a published model: pure functions of `CardFacts`.

Everything the card says comes from the run (config, metrics, split) and from annotations/schema.yaml,
gathered by publish.package; nothing here reads files, so the card can be tested on hand-made facts.

- facts.py: `CardFacts` and the records it holds;
- scores.py: scores and their intervals out of a metrics file (any of the report's shapes), the
  per-label rows, the headlines and the baseline sentence;
- front_matter.py: the Hub metadata; sections.py and usage.py: the sections; text.py: formatting;
- render.py: `render_card`, the whole README.md.

Without an evaluation report the run's own metrics.json is used and the card says that there are no
intervals.
"""

from arastance.publish.card.facts import CardFacts, DocFacts, Headline, ScoreRow
from arastance.publish.card.front_matter import front_matter
from arastance.publish.card.render import render_card
from arastance.publish.card.scores import baseline_line, dig, headlines, point_and_ci, score_rows

__all__ = [
    "CardFacts",
    "DocFacts",
    "Headline",
    "ScoreRow",
    "baseline_line",
    "dig",
    "front_matter",
    "headlines",
    "point_and_ci",
    "render_card",
    "score_rows",
]
