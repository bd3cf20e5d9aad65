"""A training loop small enough to run in a unit test: synthetic windows, a 1-layer BERT, CPU."""

from __future__ import annotations

from typing import Any

import torch

from arastance.features.encode import Window


def windows(n: int) -> list[Window]:
    lengths = [3 + (7 * i) % 23 for i in range(n)]
    return [
        Window(
            input_ids=[2 + (i + j) % 50 for j in range(k)],
            token_type_ids=[0] * k,
            labels=[(i + j) % 3 for j in range(k)],
            word_ids=[None] * k,
            owned=(0, 0),
            unit_index=i,
        )
        for i, k in enumerate(lengths)
    ]


def tiny_loop_inputs(train_windows: list[Window]) -> tuple[Any, Any]:
    from transformers import BertConfig, BertForTokenClassification

    from arastance.training.loop import LoopInputs

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=64, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32, num_labels=3
    )
    model = BertForTokenClassification(config)
    return model, LoopInputs(
        task="ner",
        model=model,
        pad_token_id=0,
        train_windows=train_windows,
        evaluate_dev=None,
        save_best=lambda m: None,
        class_weights=None,
        config_yaml="",
    )


def tiny_trainer(log_steps: int, max_steps: int, trackers: tuple[str, ...] = (), accumulation: int = 1) -> Any:
    from arastance.settings import TrainerSettings

    return TrainerSettings(
        max_steps=max_steps,
        log_steps=log_steps,
        save_steps=max_steps,
        eval_steps=max_steps,
        max_tokens=64,
        max_rows=8,
        pool_factor=4,
        precision="fp32",
        progress_bar=False,
        trackers=trackers,
        early_stopping_patience=0,
        gradient_accumulation_steps=accumulation,
    )
