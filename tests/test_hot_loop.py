"""The training loop's steps never wait for the device: between two log steps nothing reads a tensor
back to the host (each read is a device sync on a GPU). Proven on CPU by counting the reads."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from arastance.bench.syncs import SyncLog, counting_host_reads
from arastance.features import batching
from arastance.features.batching import BatchingConfig, collate, plan_batches
from arastance.tasks import NER
from helpers.tiny_loop import tiny_loop_inputs, tiny_trainer, windows


@pytest.mark.parametrize("accumulation", [1, 2])
def test_no_tensor_is_read_back_to_the_host_between_two_log_steps(tmp_path: Path, accumulation: int) -> None:
    from accelerate import Accelerator

    from arastance.runs.layout import SplitDir
    from arastance.training.loop import run_loop

    model, inputs = tiny_loop_inputs(windows(120))
    reads = SyncLog()
    reads.count_forwards(model)
    accelerator = Accelerator(cpu=True)
    trainer = tiny_trainer(log_steps=5, max_steps=10, accumulation=accumulation)
    with counting_host_reads(reads):
        run_loop(accelerator, inputs, trainer, 1, SplitDir(tmp_path), False, lambda *_: None)

    assert reads.forwards == 10 * accumulation
    # Steps 6..9 lie strictly between the log steps 5 and 10: not one read, from the loop or below it.
    assert reads.between_forwards(5 * accumulation + 1, 9 * accumulation) == []
    # The log step itself reads (the losses): the counter sees reads when there are some.
    assert reads.between_forwards(5 * accumulation, 5 * accumulation) != []
    log = SplitDir(tmp_path).read_train_log()
    assert [r["step"] for r in log if "loss" in r] == [5, 10]


def test_train_log_keeps_every_step_s_loss_and_the_host_token_counts(tmp_path: Path) -> None:
    from accelerate import Accelerator

    from arastance.runs.layout import SplitDir
    from arastance.training.loop import run_loop

    train_windows = windows(120)
    _model, inputs = tiny_loop_inputs(train_windows)
    result = run_loop(
        Accelerator(cpu=True),
        inputs,
        tiny_trainer(log_steps=4, max_steps=10),
        1,
        SplitDir(tmp_path),
        False,
        lambda *_: None,
    )
    assert [h["step"] for h in result.history] == list(range(1, 11))
    assert all(isinstance(h["loss"], float) and h["loss"] > 0 for h in result.history)
    assert result.train_loss == pytest.approx(sum(h["loss"] for h in result.history) / 10)
    records = [r for r in SplitDir(tmp_path).read_train_log() if "loss" in r]
    assert [r["step"] for r in records] == [4, 8, 10]
    assert [r["loss"] for r in records] == [result.history[s - 1]["loss"] for s in (4, 8, 10)]
    assert [r["window_steps"] for r in records] == [4, 4, 2]
    assert all(r["window_real_tokens"] <= r["window_computed_tokens"] for r in records)


def test_host_token_counts_equal_the_collated_batch_s() -> None:
    train_windows = windows(90)
    lengths = [len(w) for w in train_windows]
    for multiple in (1, 8):
        cfg = BatchingConfig(max_tokens=80, max_rows=16, pool_factor=4, pad_to_multiple_of=multiple)
        for indices in plan_batches(lengths, cfg, seed=3, epoch=0):
            batch = collate([train_windows[i] for i in indices], 0, multiple, NER)
            assert batching.plan_token_counts([indices], lengths, multiple) == (
                int(batch["attention_mask"].sum()),
                batch["input_ids"].numel(),
            )


@pytest.mark.parametrize("attention", ["sdpa", "eager"])
def test_the_step_s_attention_mask_gives_the_model_s_own_logits(attention: str) -> None:
    from transformers import BertConfig, BertForTokenClassification

    from arastance.models.masks import step_attention_mask

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=64,
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        num_labels=3,
        attn_implementation=attention,
    )
    model = BertForTokenClassification(config).eval()
    train_windows = windows(6)
    for multiple, indices in ((1, [0, 1, 2, 3]), (8, [0, 1, 2, 3]), (1, [0, 0])):
        batch = collate([train_windows[i] for i in indices], 0, multiple, NER)
        batch.pop("labels")
        padded = batching.has_padding(indices, [len(w) for w in train_windows], multiple)
        assert padded == bool((batch["attention_mask"] == 0).any())
        with torch.no_grad():
            reference = model(**batch).logits
            ours = model(
                **{**batch, "attention_mask": step_attention_mask(model.config, batch["attention_mask"], padded)}
            ).logits
        assert torch.equal(ours, reference)


def test_a_step_that_fails_gives_ctrl_c_back_to_the_caller(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The loop's Ctrl-C handler is the caller's again after an error too, not only after a normal end."""
    import signal

    from accelerate import Accelerator

    from arastance.runs.layout import SplitDir
    from arastance.training import loop

    def broken_step(*args, **kwargs):
        raise RuntimeError("injected: a step fails")

    monkeypatch.setattr(loop, "optimizer_step", broken_step)
    before = signal.getsignal(signal.SIGINT)
    _model, inputs = tiny_loop_inputs(windows(40))
    with pytest.raises(RuntimeError, match="injected"):
        loop.run_loop(
            Accelerator(cpu=True),
            inputs,
            tiny_trainer(log_steps=5, max_steps=10),
            1,
            SplitDir(tmp_path),
            False,
            lambda *_: None,
        )
    assert signal.getsignal(signal.SIGINT) is before
