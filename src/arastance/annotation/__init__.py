"""The tools around the gold that only the command line and pre-annotation use: the `arastance gold` and
`agreement` commands, Label Studio and doccano exchange, adding documents, the datasets folder and its card.
The stages import `gold` (the data model), never this package; tests/test_layering.py holds them to it."""
