"""Predictions as pages an analyst can read: `arastance view PREDICTIONS.jsonl --out OUT.html` and `predict --html`.

Above the actors tier: a page shows the documents (pages/) and the actor-stance table and figure of
`arastance actors` (actors/) for the whole input.
"""
