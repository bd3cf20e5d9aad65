"""The card's Hub metadata (YAML front matter), built with huggingface_hub's ModelCardData."""

from __future__ import annotations

from arastance.publish.card.facts import DATASET_TYPE, PIPELINE_TAG, TASK_TAG, TASK_TITLE, CardFacts
from arastance.publish.card.scores import total_support
from arastance.tasks import get_task


def front_matter(facts: CardFacts) -> str:
    """Hub metadata as YAML, built with huggingface_hub's own ModelCardData so the Hub accepts it."""
    from huggingface_hub import EvalResult, ModelCardData

    task = facts.task
    tags = [PIPELINE_TAG[task], "arabic", TASK_TAG[task], "arabert"]
    if facts.base_model is None:
        tags.append("random-init-test-model")
    dataset_name = "arastance gold: 5 Arabic news articles (US forces in Syria)"
    split = "leave-one-document-out cross-validation, pooled" if facts.is_cv else "held-out documents"
    results = []
    if total_support(facts.rows) > 0:
        results = [
            EvalResult(
                task_type=PIPELINE_TAG[task],
                task_name=TASK_TITLE[task],
                dataset_type=DATASET_TYPE,
                dataset_name=dataset_name,
                dataset_split=split,
                metric_type=h.metric_type,
                metric_name=h.name,
                metric_value=round(h.value, 4),
            )
            for h in facts.headlines
        ]
    data = ModelCardData(
        language="ar",
        license="apache-2.0",
        library_name="transformers",
        pipeline_tag=PIPELINE_TAG[task],
        tags=tags,
        base_model=facts.base_model,
        metrics=list(get_task(task).card_metrics),
        model_name=facts.model_name,
        eval_results=results or None,
    )
    return data.to_yaml()
