"""trainer.compile: regional compilation (the default scope) builds the same few graphs whatever the
number of encoder layers and batch shapes, computes what the eager model computes, and hands the
plain model (loadable with transformers) to whatever saves it.

torch.compile runs with dynamo's "eager" backend here: the graphs, guards and recompilations are
dynamo's own, without minutes of C++ compilation on the CPU."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from helpers.tiny_loop import tiny_loop_inputs, tiny_trainer, windows


@pytest.fixture
def eager_backend(monkeypatch: pytest.MonkeyPatch) -> Any:
    from torch._dynamo.utils import counters

    original = torch.compile

    def with_eager_backend(model: Any, *args: Any, mode: str | None = None, **kwargs: Any) -> Any:
        return original(model, *args, backend="eager", **kwargs)

    monkeypatch.setattr(torch, "compile", with_eager_backend)
    torch._dynamo.reset()
    counters.clear()
    yield counters
    torch._dynamo.reset()


def _bert(layers: int) -> Any:
    from transformers import BertConfig, BertForTokenClassification

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=64,
        hidden_size=16,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=32,
        num_labels=3,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    return BertForTokenClassification(config)


def _losses(model: Any, shapes: list[tuple[int, int]]) -> list[float]:
    """Forward and backward over batches of the given (rows, width), sizes marked dynamic as
    training.loop.device_batch marks them."""
    generator = torch.Generator().manual_seed(1)
    losses = []
    for rows, width in shapes:
        input_ids = torch.randint(1, 64, (rows, width), generator=generator)
        labels = torch.randint(0, 3, (rows, width), generator=generator)
        for dim in (0, 1):
            torch._dynamo.maybe_mark_dynamic(input_ids, dim)
            torch._dynamo.maybe_mark_dynamic(labels, dim)
        loss = model(input_ids=input_ids, labels=labels).loss
        loss.backward()
        losses.append(float(loss.detach()))
    return losses


# No size of 1: dynamo specialises a dimension of size 1 (one more graph each, whatever the scope).
SHAPES = [(4, 8), (3, 12), (5, 7), (2, 16), (6, 9), (2, 20), (7, 5), (3, 11)]


def test_regions_compile_one_set_of_graphs_whatever_the_layers_and_the_batch_shapes(eager_backend: Any) -> None:
    from arastance.training.loop import compile_model

    counters = eager_backend
    graphs = []
    for layers, shapes in ((2, SHAPES[:3]), (6, SHAPES)):
        torch._dynamo.reset()
        counters.clear()
        compiled = compile_model(_bert(layers), "default", "regions")
        assert all(type(layer).__name__ == "OptimizedModule" for layer in compiled.bert.encoder.layer)
        _losses(compiled, shapes)
        graphs.append(counters["stats"]["unique_graphs"])
    # Three times the layers and almost three times the shapes: not one graph more.
    assert graphs[0] == graphs[1] > 0


@pytest.mark.parametrize("scope", ["regions", "model"])
def test_the_compiled_model_computes_the_eager_model_s_losses_and_gradients(eager_backend: Any, scope: str) -> None:
    from arastance.training.loop import compile_model

    eager = _bert(2)
    expected = _losses(eager, SHAPES[:4])
    model = _bert(2)
    compiled = compile_model(model, "default", scope)
    assert _losses(compiled, SHAPES[:4]) == pytest.approx(expected, rel=1e-6)
    for (name, p_eager), p_compiled in zip(eager.named_parameters(), model.parameters(), strict=True):
        torch.testing.assert_close(p_compiled.grad, p_eager.grad, msg=name)


@pytest.mark.parametrize("scope", ["regions", "model"])
def test_the_loop_saves_the_plain_model_when_compiled(tmp_path: Path, eager_backend: Any, scope: str) -> None:
    from dataclasses import replace

    from accelerate import Accelerator

    from arastance.runs.layout import SplitDir
    from arastance.training.loop import run_loop

    model, inputs = tiny_loop_inputs(windows(60))
    expected_keys = set(model.state_dict())
    saved: list[Any] = []
    dev_scores: list[float] = []

    def evaluate_dev(compiled: Any) -> float:  # the dev pass runs the compiled model in eval mode, without gradients
        compiled.eval()
        with torch.no_grad():
            dev_scores.append(
                -float(compiled(input_ids=torch.tensor([[2, 3, 4, 5], [6, 7, 8, 9]])).logits.abs().mean())
            )
        return dev_scores[-1]

    inputs = replace(inputs, save_best=saved.append, evaluate_dev=evaluate_dev)
    trainer = replace(tiny_trainer(log_steps=2, max_steps=4), compile=True, compile_scope=scope, eval_steps=2)
    result = run_loop(Accelerator(cpu=True), inputs, trainer, 1, SplitDir(tmp_path), False, lambda *_: None)

    assert len(result.history) == 4 and all(h["loss"] > 0 for h in result.history)
    assert len(dev_scores) == 2
    assert eager_backend["stats"]["unique_graphs"] > 0  # it did compile
    assert saved and all(type(m).__name__ == "BertForTokenClassification" for m in saved)
    assert set(saved[-1].state_dict()) == expected_keys  # no "_orig_mod." in the keys: from_pretrained loads it
