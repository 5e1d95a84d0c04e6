"""Mini-batches for a population: which samples each optimizer step sees.

One stream of index sets is shared by every member of the population: each epoch is one seeded
permutation of the n samples (``torch.randperm`` with a CPU generator seeded by ``seed``, so the
stream is the same on every device), cut into consecutive batches of ``batch_size``; the last
batch of an epoch holds the remainder (``n mod batch_size`` samples, as a ``DataLoader`` with
``drop_last=False``).

Why shared, not per member: with one index set per step the batch is one [b, d] matrix, so the
fused kernel still does the first layer of all K networks as one GEMM over the same samples and
keeps its reused buffers (one per batch length). Per-member index sets would make every member's
batch different: a gathered [K, b, d] input (K times the memory of the batch), batched products
instead of one GEMM, and K independent random streams. The price of sharing is that the members'
gradient noise is correlated (they see the same samples at the same step); each member on its own
is still trained by ordinary shuffled mini-batch SGD/Adam, which is what a practitioner runs.
"""
from __future__ import annotations

import torch


class MiniBatches:
    """Index sets [b] (int64, on ``device``) for successive steps; ``next()`` is None for full batch.

    n: samples; ``batch_size``: samples per step, None or 0 (or >= n) for full batch; ``seed``:
    seeds the permutations (the same seed gives the same stream).
    """

    def __init__(self, n: int, batch_size: int | None, seed: int = 0, device: str | torch.device = "cpu") -> None:
        if isinstance(batch_size, bool) or (batch_size is not None and (not isinstance(batch_size, int) or batch_size < 0)):
            raise ValueError(f"batch_size must be a non-negative integer or None (0/None: full batch), got {batch_size!r}")
        if n < 1:
            raise ValueError(f"a mini-batch stream needs n >= 1 samples, got {n}")
        self.n = n
        self.batch_size = batch_size if batch_size and batch_size < n else None
        self.device = torch.device(device)
        self._gen = torch.Generator().manual_seed(int(seed))
        self._epoch: list[torch.Tensor] = []

    @property
    def full(self) -> bool:
        """True when every step sees all n samples."""
        return self.batch_size is None

    def next(self) -> torch.Tensor | None:
        """The next step's sample indices, or None (full batch)."""
        if self.batch_size is None:
            return None
        if not self._epoch:
            perm = torch.randperm(self.n, generator=self._gen)
            self._epoch = list(perm.to(self.device).split(self.batch_size))[::-1]
        return self._epoch.pop()
