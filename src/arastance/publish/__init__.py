"""Publishing a trained run for plain `transformers` users, prediction on raw text, and pre-annotation.

- package.py / card.py / push.py / cli.py: `arastance publish RUN_DIR --out DIR [--push]`;
- predict.py / predict_cli.py: `arastance predict --ner DIR --stance DIR FILE ...` (JSON lines with
  offsets into the raw text);
- preannotate.py / preannotate_cli.py: `arastance preannotate FILE ... --out tasks.json` (Label Studio
  tasks whose predictions an annotator corrects).
"""
