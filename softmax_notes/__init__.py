"""softmax_notes: the small, tested numpy package that the softmax-notes book checks itself against.

Import cost is numpy alone. Every public function documents its behaviour at
the edges (infinities, NaN, empty axes, dtypes) and raises a clear error for
bad input.
"""

from .accuracy import softmax_error_bound, softmax_relative_error
from .checks import numerical_gradient
from .core import log_softmax, logsumexp, sigmoid, softmax
from .information import entropy, kl_divergence
from .jacobian import softmax_jacobian, softmax_jvp
from .losses import cross_entropy, cross_entropy_and_grad, cross_entropy_grad
from .relatives import (
    gumbel_argmax,
    gumbel_softmax,
    softmax_with_temperature,
    sparsemax,
    sparsemax_jacobian,
)
from .scale import HierarchicalSoftmax, OnlineSoftmax, online_logsumexp

__version__ = "0.1.0"

__all__ = [
    "HierarchicalSoftmax",
    "OnlineSoftmax",
    "cross_entropy",
    "cross_entropy_and_grad",
    "cross_entropy_grad",
    "entropy",
    "gumbel_argmax",
    "gumbel_softmax",
    "kl_divergence",
    "log_softmax",
    "logsumexp",
    "numerical_gradient",
    "online_logsumexp",
    "sigmoid",
    "softmax",
    "softmax_error_bound",
    "softmax_jacobian",
    "softmax_jvp",
    "softmax_relative_error",
    "softmax_with_temperature",
    "sparsemax",
    "sparsemax_jacobian",
]
