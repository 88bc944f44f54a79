"""softmax_notes: the small, tested numpy package that the softmax-notes book checks itself against.

Import cost is numpy alone. Every public function documents its behaviour at
the edges (infinities, NaN, empty axes, dtypes) and raises a clear error for
bad input.
"""

from .accuracy import softmax_error_bound, softmax_relative_error
from .checks import numerical_gradient
from .core import log_softmax, logsumexp, sigmoid, softmax
from .jacobian import softmax_jacobian, softmax_jvp
from .losses import cross_entropy, cross_entropy_grad

__version__ = "0.1.0"

__all__ = [
    "cross_entropy",
    "cross_entropy_grad",
    "log_softmax",
    "logsumexp",
    "numerical_gradient",
    "sigmoid",
    "softmax",
    "softmax_error_bound",
    "softmax_jacobian",
    "softmax_jvp",
    "softmax_relative_error",
]
