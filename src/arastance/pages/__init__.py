"""Self-contained HTML pages: documents as running text with their entity spans marked, laid out by Jinja2.

Shared by the evaluation report (evaluation/report_html.py: gold and predicted entities together) and
the predictions page (view/: `arastance view`, `predict --html`). Pure rendering, no arastance import
above the schema: both tiers use it. Everything a page needs travels inside it (CSS, the filter script,
figures as data: URIs), so it opens offline from a file and asks the network for nothing.
"""
