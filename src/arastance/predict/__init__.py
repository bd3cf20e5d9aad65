"""Prediction on raw text and pre-annotation, with a trained or published model.

- documents.py: raw documents → entities, sentence stances and the document stance, with offsets into
  the raw text (`load_published_model`, `predict_documents`);
- cli.py: `arastance predict --ner DIR --stance DIR FILE ...` (JSON lines);
- preannotate.py / preannotate_cli.py: `arastance preannotate FILE ... --out tasks.json` (Label Studio
  tasks whose predictions an annotator corrects).
"""
