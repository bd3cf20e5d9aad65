"""Counting the points where the host waits for the device, attributed to training steps.

On CUDA, torch reports every synchronising call itself once `torch.cuda.set_sync_debug_mode("warn")`
is on (implicit ones too: a blocking copy, `.item()`, a data-dependent shape); we count its warnings.
On a CPU there is no device to wait for, so the host-read counter stands in: it counts every Tensor
method that copies a value back to Python (each of them is a sync on a GPU). Both note the number of
forward passes seen so far with each event, so a count can be restricted to chosen steps.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch

HOST_READS = ("item", "tolist", "__float__", "__int__", "__bool__", "cpu", "numpy")
CUDA_SYNC_WARNING = "called a synchronizing CUDA operation"


@dataclass
class SyncLog:
    """Events in order, each tagged with the number of forward passes started before it."""

    forwards: int = 0
    events: list[tuple[int, str]] = field(default_factory=list)
    method: str = "host reads"
    paused: bool = False  # the benchmark's own timing syncs are not the code's

    def tick(self) -> None:
        """One more forward pass (or micro-batch) begins."""
        self.forwards += 1

    def count_forwards(self, module: torch.nn.Module) -> Any:
        def hook(*_: Any) -> None:
            self.tick()

        return module.register_forward_pre_hook(hook)

    def record(self, what: str) -> None:
        if not self.paused:
            self.events.append((self.forwards, what))

    @contextmanager
    def pause(self) -> Iterator[None]:
        self.paused = True
        try:
            yield
        finally:
            self.paused = False

    def between_forwards(self, first: int, last: int) -> list[tuple[int, str]]:
        """Events after forward pass `first` started and before forward pass `last + 1` started."""
        return [e for e in self.events if first <= e[0] <= last]

    def per_step(self, first: int, last: int) -> float:
        """Events per forward pass over passes first..last (one pass per step without accumulation)."""
        return len(self.between_forwards(first, last)) / max(1, last - first + 1)


@contextmanager
def counting_host_reads(log: SyncLog) -> Iterator[SyncLog]:
    """Count every Tensor method that reads a value back to the host, while the block runs."""
    originals = {name: getattr(torch.Tensor, name) for name in HOST_READS}

    def counting(name: str, original: Any) -> Any:
        def counted(tensor: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
            log.record(name)
            return original(tensor, *args, **kwargs)

        return counted

    for name, original in originals.items():
        setattr(torch.Tensor, name, counting(name, original))
    try:
        yield log
    finally:
        for name, original in originals.items():
            setattr(torch.Tensor, name, original)


@contextmanager
def counting_cuda_syncs(log: SyncLog) -> Iterator[SyncLog]:
    """Count torch's own sync warnings (`set_sync_debug_mode("warn")`), every one of them, while the block runs."""
    log.method = "torch.cuda.set_sync_debug_mode('warn')"
    previous_mode = torch.cuda.get_sync_debug_mode()
    with warnings.catch_warnings():
        warnings.simplefilter("always")  # the default filter shows a warning once per code location
        shown = warnings.showwarning

        def record(message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
            if CUDA_SYNC_WARNING in str(message):
                log.record("cuda sync")
            else:
                shown(message, category, filename, lineno, file, line)

        warnings.showwarning = record
        torch.cuda.set_sync_debug_mode("warn")
        try:
            yield log
        finally:
            torch.cuda.set_sync_debug_mode(previous_mode)


def counting_syncs(log: SyncLog, device_type: str) -> Any:
    """CUDA: torch's sync warnings; elsewhere: host reads."""
    return counting_cuda_syncs(log) if device_type == "cuda" else counting_host_reads(log)
