"""Publishing a trained run for plain `transformers` users: `arastance publish RUN_DIR --out DIR [--push]`.

- package.py: the run folder → a self-contained model folder; push.py: upload to the Hub; cli.py: the command;
- card/: the model card (README.md with Hub metadata), pure functions of the facts package.py gathers.

Prediction and pre-annotation on raw text live in arastance.predict.
"""
