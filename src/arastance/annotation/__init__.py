"""The tools around the gold that only the command line and pre-annotation use: the `arastance gold` and
`agreement` commands, Label Studio and doccano exchange, adding documents, the datasets folder and its card.
Training and everything below it read `gold` (the data model) alone: README's layering order places this
package beside `evaluation`, and tests/test_layering.py holds the code to it."""
