"""Scaled dot-product attention against a loop over queries with SciPy's softmax.

The reference computes one query at a time, ``softmax(q · k_j / √d)`` over
the keys it may see and the weighted sum of their values, in float64.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.special

import softmax_notes as sn

FLOAT_DTYPES = [np.float16, np.float32, np.float64, np.longdouble]


def attention_reference(query, key, value, allowed=None):
    """One query at a time; `allowed[i, j]` says whether query i may see key j."""
    d = query.shape[-1]
    out = np.zeros((len(query), value.shape[-1]))
    for i, q in enumerate(query):
        keep = np.ones(len(key), bool) if allowed is None else allowed[i]
        scores = key[keep] @ q / math.sqrt(d)
        out[i] = scipy.special.softmax(scores) @ value[keep]
    return out


def random_qkv(seed, lq=5, lk=7, d=4, dv=3, batch=()):
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(*batch, lq, d)),
        rng.normal(size=(*batch, lk, d)),
        rng.normal(size=(*batch, lk, dv)),
    )


def test_attention_matches_the_query_by_query_reference():
    query, key, value = random_qkv(0)
    np.testing.assert_allclose(
        sn.scaled_dot_product_attention(query, key, value),
        attention_reference(query, key, value),
        rtol=1e-13,
    )


def test_weights_are_softmax_of_scaled_scores_and_rows_sum_to_one():
    query, key, _ = random_qkv(1)
    weights = sn.attention_weights(query, key)
    np.testing.assert_allclose(
        weights, scipy.special.softmax(query @ key.T / 2.0, axis=-1), rtol=1e-14
    )
    np.testing.assert_allclose(weights.sum(axis=-1), 1, rtol=1e-15)


def test_explicit_scale_replaces_one_over_root_d():
    query, key, _ = random_qkv(2)
    np.testing.assert_allclose(
        sn.attention_weights(query, key, scale=1.0),
        scipy.special.softmax(query @ key.T, axis=-1),
        rtol=1e-14,
    )


def test_causal_boolean_mask_matches_the_reference_and_the_additive_form():
    query, key, value = random_qkv(3, lq=6, lk=6)
    causal = np.tril(np.ones((6, 6), dtype=bool))
    expected = attention_reference(query, key, value, causal)
    np.testing.assert_allclose(
        sn.scaled_dot_product_attention(query, key, value, mask=causal), expected, rtol=1e-13
    )
    additive = np.where(causal, 0.0, -np.inf)
    np.testing.assert_allclose(
        sn.scaled_dot_product_attention(query, key, value, mask=additive), expected, rtol=1e-13
    )
    weights = sn.attention_weights(query, key, mask=causal)
    assert np.all(weights[~causal] == 0)


def test_padding_mask_broadcasts_over_queries_and_batch():
    query, key, value = random_qkv(4, batch=(2,))
    lengths = [7, 4]
    padding = np.arange(7)[None, None, :] < np.array(lengths)[:, None, None]  # (2, 1, 7)
    out = sn.scaled_dot_product_attention(query, key, value, mask=padding)
    for b, length in enumerate(lengths):
        np.testing.assert_allclose(
            out[b], attention_reference(query[b], key[b, :length], value[b, :length]), rtol=1e-13
        )


def test_a_fully_masked_query_gets_uniform_weights_and_the_mean_of_the_values():
    query, key, value = random_qkv(5)
    mask = np.ones((5, 7), dtype=bool)
    mask[2] = False
    weights = sn.attention_weights(query, key, mask=mask)
    np.testing.assert_array_equal(weights[2], np.full(7, 1 / 7))
    out = sn.scaled_dot_product_attention(query, key, value, mask=mask)
    np.testing.assert_allclose(out[2], value.mean(axis=0), rtol=1e-14)
    assert np.isfinite(out).all()


def test_additive_finite_mask_is_added_to_the_scores():
    query, key, _ = random_qkv(6)
    bias = np.random.default_rng(0).normal(size=(5, 7))
    np.testing.assert_allclose(
        sn.attention_weights(query, key, mask=bias),
        scipy.special.softmax(query @ key.T / 2.0 + bias, axis=-1),
        rtol=1e-13,
    )


def test_batch_axes_broadcast_like_matmul():
    query, _, _ = random_qkv(7, batch=(3, 2))
    _, key, value = random_qkv(8)
    out = sn.scaled_dot_product_attention(query, key, value)
    assert out.shape == (3, 2, 5, 3)
    np.testing.assert_allclose(out[2, 1], attention_reference(query[2, 1], key, value), rtol=1e-13)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_every_float_dtype_is_kept_and_computed_in_float64(dtype):
    query, key, value = (x.astype(dtype) for x in random_qkv(9))
    out = sn.scaled_dot_product_attention(query, key, value)
    assert out.dtype == dtype
    assert sn.attention_weights(query, key).dtype == dtype
    exact = sn.scaled_dot_product_attention(
        *(x.astype(np.float64) for x in (query, key, value))
    )
    if np.finfo(dtype).eps >= np.finfo(np.float64).eps:
        assert np.array_equal(out, exact.astype(dtype))  # rounded once, at the end
    else:  # longdouble is computed in longdouble
        np.testing.assert_allclose(out, exact, rtol=1e-14)


def test_more_keys_than_the_float16_range_in_float16():
    rng = np.random.default_rng(10)
    n_keys = 70_000
    query = rng.normal(size=(2, 8)).astype(np.float16)
    key = rng.normal(size=(n_keys, 8)).astype(np.float16)
    value = rng.normal(size=(n_keys, 1)).astype(np.float16)
    weights = sn.attention_weights(query, key)
    assert weights.dtype == np.float16
    np.testing.assert_allclose(weights.astype(np.float64).sum(axis=-1), 1, rtol=1e-2)
    out = sn.scaled_dot_product_attention(query, key, value)
    exact = sn.scaled_dot_product_attention(
        query.astype(np.float64), key.astype(np.float64), value.astype(np.float64)
    )
    np.testing.assert_array_equal(out, exact.astype(np.float16))


def test_integers_become_float64():
    out = sn.scaled_dot_product_attention([[1, 0]], [[1, 0], [0, 1]], [[1], [3]])
    assert out.dtype == np.float64


def test_a_tiny_scale_is_not_rounded_to_the_inputs_dtype():
    query = np.array([[1.0, 0.0]], dtype=np.float16)
    key = np.array([[1.0, 0.0], [0.0, 0.0]], dtype=np.float16)
    weights = sn.attention_weights(query, key, scale=1e-30)
    np.testing.assert_array_equal(weights, np.full((1, 2), 0.5, dtype=np.float16))


def test_no_keys_give_an_empty_sum_and_no_queries_an_empty_output():
    out = sn.scaled_dot_product_attention(np.ones((3, 2)), np.ones((0, 2)), np.ones((0, 4)))
    np.testing.assert_array_equal(out, np.zeros((3, 4)))
    assert sn.attention_weights(np.ones((3, 2)), np.ones((0, 2))).shape == (3, 0)
    assert sn.scaled_dot_product_attention(
        np.ones((0, 2)), np.ones((5, 2)), np.ones((5, 4))
    ).shape == (0, 4)


def test_nan_in_a_key_makes_every_query_that_sees_it_nan():
    query, key, value = random_qkv(11)
    key[3, 0] = np.nan
    out = sn.scaled_dot_product_attention(query, key, value)
    assert np.isnan(out).all()
    seen = np.ones((5, 7), dtype=bool)
    seen[:, 3] = False
    masked_out = sn.scaled_dot_product_attention(query, key, value, mask=seen)
    assert np.isnan(masked_out).all()  # NaN * 0 is NaN: the score itself is NaN


def test_non_contiguous_and_read_only_inputs():
    query, key, value = random_qkv(12, lq=10, lk=14)
    strided = query[::2], key[::2], value[::2]
    for x in strided:
        x.flags.writeable = False
    np.testing.assert_allclose(
        sn.scaled_dot_product_attention(*strided),
        sn.scaled_dot_product_attention(*(np.ascontiguousarray(x) for x in strided)),
        rtol=1e-15,
    )


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: sn.attention_weights(np.ones(3), np.ones((2, 3))), ValueError, "query"),
        (lambda: sn.attention_weights(np.ones((2, 3)), np.ones((2, 4))), ValueError, "features"),
        (
            lambda: sn.scaled_dot_product_attention(np.ones((2, 3)), np.ones((4, 3)), np.ones((5, 1))),
            ValueError,
            "same number of entries",
        ),
        (
            lambda: sn.attention_weights(np.ones((2, 3)), np.ones((4, 3)), mask=np.ones((3, 4), bool)),
            ValueError,
            "does not broadcast",
        ),
        (
            lambda: sn.attention_weights(np.ones((2, 3)), np.ones((4, 3)), mask=np.ones((2, 4), int)),
            TypeError,
            "mask must be boolean",
        ),
        (
            lambda: sn.attention_weights(np.ones((2, 3)), np.ones((4, 3)), mask=np.full((2, 4), np.inf)),
            ValueError,
            r"\+inf",
        ),
        (lambda: sn.attention_weights(np.ones((2, 3)), np.ones((4, 3)), scale=0.0), ValueError, "scale"),
        (lambda: sn.attention_weights(np.ones((2, 3)), np.ones((4, 3)), scale="1"), TypeError, "scale"),
        (lambda: sn.attention_weights(np.ones((2, 3), complex), np.ones((4, 3))), TypeError, "query"),
        (
            lambda: sn.attention_weights(np.ma.masked_array(np.ones((2, 3))), np.ones((4, 3))),
            TypeError,
            "masked",
        ),
        (
            lambda: sn.attention_weights(np.ones((2, 2, 3)), np.ones((3, 4, 3))),
            ValueError,
            "do not broadcast",
        ),
    ],
)
def test_bad_input_raises_an_error_that_names_it(call, error, match):
    with pytest.raises(error, match=match):
        call()
