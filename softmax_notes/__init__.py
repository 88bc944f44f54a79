"""softmax_notes: the small, tested numpy package that the softmax-notes book checks itself against.

Import cost is numpy alone. Every public function documents its behaviour at
the edges (infinities, NaN, empty axes, dtypes) and raises a clear error for
bad input.
"""

from .accuracy import softmax_error_bound, softmax_relative_error
from .attention import attention_weights, scaled_dot_product_attention
from .calibration import (
    ReliabilityBins,
    expected_calibration_error,
    fit_temperature,
    reliability_bins,
)
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
from .sampling import sample_logits, sampling_probs, top_k_filter, top_p_filter
from .scale import HierarchicalSoftmax, OnlineSoftmax, online_logsumexp
from .timing import seconds_per_call

__version__ = "0.1.0"

__all__ = [
    "HierarchicalSoftmax",
    "OnlineSoftmax",
    "ReliabilityBins",
    "attention_weights",
    "cross_entropy",
    "cross_entropy_and_grad",
    "cross_entropy_grad",
    "entropy",
    "expected_calibration_error",
    "fit_temperature",
    "gumbel_argmax",
    "gumbel_softmax",
    "kl_divergence",
    "log_softmax",
    "logsumexp",
    "numerical_gradient",
    "online_logsumexp",
    "reliability_bins",
    "sample_logits",
    "sampling_probs",
    "scaled_dot_product_attention",
    "seconds_per_call",
    "sigmoid",
    "softmax",
    "softmax_error_bound",
    "softmax_jacobian",
    "softmax_jvp",
    "softmax_relative_error",
    "softmax_with_temperature",
    "sparsemax",
    "sparsemax_jacobian",
    "top_k_filter",
    "top_p_filter",
]
