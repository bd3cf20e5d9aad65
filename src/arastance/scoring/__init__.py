"""Scores: seqeval/conlleval entity scores, stance classification scores, the metrics of a task."""
