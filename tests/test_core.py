"""softmax, log_softmax, logsumexp and sigmoid: one test per documented behaviour.

Expected values come from independent sources: the published worked examples,
closed forms, and scipy.special.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from softmax_notes import log_softmax, logsumexp, sigmoid, softmax

FLOAT_DTYPES = [np.float16, np.float32, np.float64]
ALL_FUNCTIONS = [softmax, log_softmax, logsumexp]


# --- The worked examples of the design, to their printed digits -------------------------------


def test_worked_example_5_7_10():
    probs = softmax([5, 7, 10])
    assert np.array_equal(np.round(probs, 3), [0.006, 0.047, 0.946])
    assert np.array_equal(np.round(probs, 4), [0.0064, 0.0471, 0.9465])


def test_worked_example_standard_three_classes():
    assert np.array_equal(np.round(softmax([2.0, 1.0, 0.1]), 4), [0.659, 0.2424, 0.0986])


def test_worked_example_rows_differing_by_a_constant_give_one_distribution():
    probs = softmax(np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]]))
    assert np.array_equal(np.round(probs, 4), np.tile([0.0900, 0.2447, 0.6652], (3, 1)))


def test_worked_example_two_rows_softmax_and_log_softmax():
    logits = np.array([[2, 0.5, 6], [0.1, 0, 3]])
    assert np.array_equal(
        np.round(softmax(logits), 4), [[0.0179, 0.0040, 0.9781], [0.0498, 0.0451, 0.9051]]
    )
    assert np.array_equal(
        np.round(log_softmax(logits), 4),
        [[-4.0222, -5.5222, -0.0222], [-2.9997, -3.0997, -0.0997]],
    )
    nll = -log_softmax(logits)[[0, 1], [2, 1]].mean()
    assert round(float(nll), 4) == 1.5609


# --- Dtypes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint8])
@pytest.mark.parametrize("function", [*ALL_FUNCTIONS, sigmoid])
def test_integer_input_is_promoted_to_float64(function, dtype):
    assert np.asarray(function(np.array([1, 2, 3], dtype=dtype))).dtype == np.float64


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("function", [*ALL_FUNCTIONS, sigmoid])
def test_float_dtype_is_kept(function, dtype):
    assert np.asarray(function(np.array([1.0, 2.0, 3.0], dtype=dtype))).dtype == dtype


def test_python_lists_and_scalars_are_accepted():
    np.testing.assert_allclose(softmax([0.0, 0.0]), [0.5, 0.5])
    assert sigmoid(0.0) == 0.5
    assert isinstance(logsumexp([0.0, 0.0]), np.floating)


def test_float16_long_row_does_not_overflow_the_sum():
    probs = softmax(np.zeros(100_000, dtype=np.float16))
    assert probs.dtype == np.float16
    # 1e-5 is subnormal in float16: the correctly rounded value is what we can ask for.
    assert np.all(probs == np.float16(1e-5))


# --- Bad input gets a clear error that names the problem --------------------------------------


@pytest.mark.parametrize("function", [*ALL_FUNCTIONS, sigmoid])
def test_complex_input_is_rejected_by_name(function):
    with pytest.raises(TypeError, match="complex"):
        function(np.array([1 + 2j, 3 + 0j]))


@pytest.mark.parametrize("function", [*ALL_FUNCTIONS, sigmoid])
@pytest.mark.parametrize("bad", [["a", "b"], np.array([None, 1.0], dtype=object)])
def test_non_numeric_input_is_rejected_by_name(function, bad):
    with pytest.raises(TypeError, match="real numbers"):
        function(bad)


def test_boolean_input_is_rejected_because_it_is_almost_always_a_mask_by_mistake():
    with pytest.raises(TypeError, match="bool"):
        softmax(np.array([True, False]))


def test_ragged_input_is_rejected_by_name():
    with pytest.raises(TypeError, match="real numbers"):
        softmax([[1.0, 2.0], [3.0]])


@pytest.mark.parametrize("function", ALL_FUNCTIONS)
@pytest.mark.parametrize("axis", [2, -3, (0, 2)])
def test_axis_out_of_range_is_rejected_by_name(function, axis):
    with pytest.raises(np.exceptions.AxisError, match="out of bounds"):
        function(np.ones((2, 3)), axis=axis)


def test_repeated_axis_is_rejected():
    with pytest.raises(ValueError, match="repeated axis"):
        softmax(np.ones((2, 3)), axis=(1, 1))


def test_boolean_axis_is_rejected():
    with pytest.raises(TypeError, match="axis"):
        softmax(np.ones((2, 3)), axis=True)


def test_scalar_has_no_last_axis():
    with pytest.raises(np.exceptions.AxisError):
        softmax(3.0)


# --- Non-finite inputs follow the mathematical limit ------------------------------------------


def test_negative_infinity_logit_gets_zero_probability():
    probs = softmax([0.0, -np.inf, 1.0])
    assert probs[1] == 0.0
    np.testing.assert_allclose(probs[[0, 2]], softmax([0.0, 1.0]), rtol=1e-15)
    assert log_softmax([0.0, -np.inf])[1] == -np.inf


def test_single_positive_infinity_takes_all_the_mass():
    assert np.array_equal(softmax([1.0, np.inf, -np.inf, 1e308]), [0.0, 1.0, 0.0, 0.0])
    assert np.array_equal(log_softmax([1.0, np.inf]), [-np.inf, 0.0])
    assert logsumexp([1.0, np.inf]) == np.inf


def test_several_positive_infinities_share_the_mass_equally():
    assert np.array_equal(softmax([np.inf, 0.0, np.inf]), [0.5, 0.0, 0.5])
    np.testing.assert_allclose(
        log_softmax([np.inf, 0.0, np.inf]), [-np.log(2), -np.inf, -np.log(2)]
    )


def test_all_negative_infinity_slice_is_uniform_and_its_logsumexp_is_negative_infinity():
    assert np.array_equal(softmax([-np.inf] * 4), [0.25] * 4)
    np.testing.assert_allclose(log_softmax([-np.inf] * 4), [-np.log(4)] * 4)
    assert logsumexp([-np.inf] * 4) == -np.inf


def test_nan_stays_in_its_own_slice():
    logits = np.array([[0.0, np.nan, 1.0], [0.0, 1.0, 2.0], [np.nan, np.inf, -np.inf]])
    for function in ALL_FUNCTIONS:
        result = function(logits)
        assert np.all(np.isnan(result[0])) and np.all(np.isnan(result[2]))
        assert np.all(np.isfinite(result[1]))


def test_sigmoid_limits():
    assert np.array_equal(sigmoid([-np.inf, np.inf]), [0.0, 1.0])
    assert np.isnan(sigmoid(np.nan))


# --- Empty axes, tuple axes, shapes -----------------------------------------------------------


@pytest.mark.parametrize("shape", [(0,), (3, 0), (0, 4), (2, 0, 3)])
@pytest.mark.parametrize("function", [softmax, log_softmax])
def test_empty_input_gives_empty_result_of_the_same_shape(function, shape):
    result = function(np.ones(shape))
    assert result.shape == shape and result.dtype == np.float64


def test_logsumexp_of_an_empty_axis_is_negative_infinity():
    assert logsumexp(np.ones((3, 0))).tolist() == [-np.inf] * 3
    assert logsumexp(np.ones((0, 4))).shape == (0,)
    assert logsumexp([]) == -np.inf


def test_tuple_axis_normalizes_over_all_listed_axes():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(2, 3, 4))
    probs = softmax(logits, axis=(0, 2))
    np.testing.assert_allclose(probs.sum(axis=(0, 2)), 1.0, rtol=1e-14)
    np.testing.assert_allclose(probs, scipy.special.softmax(logits, axis=(0, 2)), rtol=1e-14)


def test_axis_none_normalizes_the_whole_array_like_scipy():
    logits = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(
        softmax(logits, axis=None), scipy.special.softmax(logits), rtol=1e-14
    )
    np.testing.assert_allclose(logsumexp(logits, axis=None), scipy.special.logsumexp(logits))


def test_logsumexp_keepdims_broadcasts_against_the_input():
    logits = np.arange(6.0).reshape(2, 3)
    kept = logsumexp(logits, axis=1, keepdims=True)
    assert kept.shape == (2, 1)
    np.testing.assert_allclose(np.exp(logits - kept), softmax(logits), rtol=1e-14)


@pytest.mark.parametrize("function", [*ALL_FUNCTIONS, sigmoid])
def test_input_is_never_modified(function):
    logits = np.array([[3.0, -np.inf, 1.0], [np.inf, 2.0, np.inf]])
    before = logits.copy()
    function(logits)
    assert np.array_equal(logits, before)


def test_softmax_allocates_no_input_sized_array_besides_its_result():
    import tracemalloc

    logits = np.random.default_rng(2).normal(size=(1000, 1000))
    tracemalloc.start()
    softmax(logits)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 1.1 * logits.nbytes


# --- Accuracy where naive formulas lose it ---------------------------------------------------


def test_logsumexp_keeps_relative_accuracy_near_zero():
    assert logsumexp([0.0, -40.0]) == np.logaddexp(0.0, -40.0)
    np.testing.assert_allclose(
        logsumexp([0.0, -5.0, -7.0]), np.log1p(np.exp(-5) + np.exp(-7)), rtol=2e-16
    )


def test_log_softmax_stays_finite_where_log_of_softmax_is_minus_infinity():
    assert np.array_equal(log_softmax([0.0, -1000.0]), [0.0, -1000.0])


def test_sigmoid_matches_scipy_expit_in_both_tails():
    x = np.linspace(-700, 700, 2001)
    np.testing.assert_allclose(sigmoid(x), scipy.special.expit(x), rtol=2e-15, atol=0)


# --- Cross-checks against scipy.special over shapes, axes and dtypes --------------------------

SHAPES_AND_AXES = [
    ((7,), -1),
    ((4, 5), -1),
    ((4, 5), 0),
    ((2, 3, 4), 1),
    ((2, 3, 4), (0, 2)),
    ((3, 1), -1),
]
TOLERANCE = {np.float16: 2e-3, np.float32: 2e-6, np.float64: 1e-14}


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(("shape", "axis"), SHAPES_AND_AXES)
@pytest.mark.parametrize(
    ("ours", "reference"),
    [
        (softmax, scipy.special.softmax),
        (log_softmax, scipy.special.log_softmax),
        (logsumexp, scipy.special.logsumexp),
    ],
    ids=["softmax", "log_softmax", "logsumexp"],
)
def test_agrees_with_scipy(ours, reference, shape, axis, dtype):
    logits = np.random.default_rng(3).normal(scale=5, size=shape).astype(dtype)
    expected = reference(logits.astype(np.float64), axis=axis)
    result = ours(logits, axis=axis)
    assert np.asarray(result).dtype == dtype
    tolerance = TOLERANCE[dtype]
    np.testing.assert_allclose(result, expected, rtol=tolerance, atol=tolerance)


# --- Properties (hypothesis) ------------------------------------------------------------------

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
any_finite = st.floats(allow_nan=False, allow_infinity=False)
vectors = hnp.arrays(
    np.float64, hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6), elements=finite
)


@settings(max_examples=200, deadline=None)
@given(vectors)
def test_property_outputs_sum_to_one_and_lie_in_the_unit_interval(logits):
    probs = softmax(logits)
    assert np.all((probs >= 0) & (probs <= 1))
    np.testing.assert_allclose(
        probs.sum(axis=-1), 1.0, rtol=8 * np.finfo(float).eps * logits.shape[-1]
    )


@settings(max_examples=200, deadline=None)
@given(vectors, st.floats(-1e3, 1e3))
def test_property_shift_invariance(logits, shift):
    np.testing.assert_allclose(softmax(logits + shift), softmax(logits), rtol=1e-9, atol=1e-300)


@settings(max_examples=200, deadline=None)
@given(vectors)
def test_property_order_is_preserved(logits):
    probs = softmax(logits)
    # Strictly larger logits never get a smaller probability (ties may round equal).
    larger = logits[..., :, None] > logits[..., None, :]
    assert not np.any(larger & (probs[..., :, None] < probs[..., None, :]))


@settings(max_examples=200, deadline=None)
@given(vectors)
def test_property_log_softmax_equals_log_of_softmax_where_both_are_finite(logits):
    probs = softmax(logits)
    mask = probs > np.finfo(float).tiny
    np.testing.assert_allclose(
        log_softmax(logits)[mask], np.log(probs[mask]), rtol=1e-12, atol=1e-12
    )


@settings(max_examples=200, deadline=None)
@given(vectors)
def test_property_logsumexp_lies_between_max_and_max_plus_log_n(logits):
    result = logsumexp(logits)
    peak = logits.max(axis=-1)
    assert np.all(result >= peak)
    assert np.all(result <= peak + np.log(logits.shape[-1]) * (1 + 1e-15) + 1e-12)


@settings(max_examples=200, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=6),
        elements=any_finite,
    )
)
def test_property_no_warning_for_any_finite_input(logits):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        results = [softmax(logits), logsumexp(logits), sigmoid(logits)]
        log_probs = log_softmax(logits)
    for result in results:
        assert np.all(np.isfinite(result))
    # log_softmax(x)_i = x_i - logsumexp(x) lies below -1.8e308 when the spread of the row
    # exceeds the float range; there, and only there, -inf is the correctly rounded answer.
    with np.errstate(over="ignore"):
        representable = np.isfinite(logits - logits.max(axis=-1, keepdims=True))
    assert np.all(np.isfinite(log_probs[representable]))
    assert not np.any(np.isnan(log_probs))


# --- Fast paths and exactness ---------------------------------------------------------------
#
# softmax and log_softmax work block by block with column-wise, argmax and BLAS kernels
# (core.py); log_softmax leaves one maximum per slice out of its sum instead of masking all of
# them (_log_softmax_fast_into). None of it may change what the book proves about the formula:
# the result depends on the logits only through x - max, so shift invariance is exact wherever
# that difference is. Each case is checked against SciPy or a closed form.


@pytest.mark.parametrize("shape", [(3,), (5000,), (3, 3), (4000, 3), (200, 40), (70, 2000)])
def test_shift_invariance_is_exact_where_the_shift_is(shape):
    # Integer logits and integer shifts: x - max is exact, so the results are bit for bit equal.
    rng = np.random.default_rng(36)
    logits = rng.integers(-20, 20, size=shape).astype(np.float64)
    for shift in [-1000.0, -3.0, 7.0, 512.0]:
        np.testing.assert_array_equal(softmax(logits + shift), softmax(logits))
        np.testing.assert_array_equal(log_softmax(logits + shift), log_softmax(logits))
    rows = softmax(np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]]))
    np.testing.assert_array_equal(rows, np.tile(rows[0], (3, 1)))
    np.testing.assert_array_equal(softmax([-1000.0, -1001.0]), softmax([1.0, 0.0]))


@pytest.mark.parametrize("n", [1, 2, 3, 7, 10, 100, 70_000])
@pytest.mark.parametrize("value", [-40.0, -3.3, 0.0, 2.5, 700.0])
def test_equal_logits_give_exactly_one_over_n(n, value):
    probs = softmax(np.full(n, value))
    np.testing.assert_array_equal(probs, np.full(n, 1 / n))
    np.testing.assert_array_equal(softmax(np.full((3, n), value)), np.full((3, n), 1 / n))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_softmax_on_both_sides_of_each_dtypes_overflow_threshold(dtype):
    info = np.finfo(dtype)
    overflow = float(np.log(info.max))  # float16: 11.09, float32: 88.72, float64: 709.78
    logits = np.array([[overflow + 0.5, 0.0], [overflow - 1.0, overflow - 1.0], [0.0, 0.0]], dtype)
    probs = softmax(logits)
    assert probs.dtype == dtype
    wide = logits.astype(np.float64)
    expected = np.exp(wide - wide.max(-1, keepdims=True))
    expected /= expected.sum(-1, keepdims=True)
    np.testing.assert_allclose(probs, expected, rtol=4 * float(info.eps))
    np.testing.assert_array_equal(probs[1:], 0.5)


def test_softmax_blocks_with_non_finite_rows_late_in_a_batch():
    # Rows that need the general rules (an overflowing logit, -inf masks, NaN) sit in
    # late blocks of a batch whose other blocks take the fast paths.
    rng = np.random.default_rng(30)
    logits = rng.normal(scale=3, size=(40_000, 7))
    logits[-1, 2] = 1000.0
    logits[-100, :] = -np.inf
    logits[-100, 3] = -5.0
    logits[-200, 4] = np.nan
    logits[-300, :] = -800.0
    probs = softmax(logits)
    with np.errstate(invalid="ignore"):
        expected = scipy.special.softmax(logits, axis=-1)
    expected[-300] = 1 / 7  # SciPy agrees; spelled out because exp(-800) underflows
    expected[-100] = [0, 0, 0, 1, 0, 0, 0]
    np.testing.assert_allclose(probs, expected, rtol=1e-14, atol=1e-300, equal_nan=True)
    assert np.isnan(probs[-200]).all() and not np.isnan(np.delete(probs, -200, axis=0)).any()


@pytest.mark.parametrize("layout", ["strided", "transposed", "reversed", "read-only"])
@pytest.mark.parametrize("function", [softmax, log_softmax])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_fast_paths_on_non_contiguous_and_read_only_input(layout, function, dtype):
    rng = np.random.default_rng(31)
    base = rng.normal(scale=4, size=(3000, 60)).astype(dtype)
    logits = {
        "strided": base[::2, ::3],
        "transposed": base[:50].T,
        "reversed": base[::-1, ::-1],
        "read-only": base.copy(),
    }[layout]
    if layout == "read-only":
        logits.flags.writeable = False
    reference = {softmax: scipy.special.softmax, log_softmax: scipy.special.log_softmax}[function]
    result = function(logits)
    assert result.dtype == dtype
    expected = reference(logits.astype(np.float64), axis=-1)
    tolerance = TOLERANCE[dtype]
    np.testing.assert_allclose(result, expected, rtol=tolerance, atol=tolerance)
    np.testing.assert_array_equal(result, function(np.ascontiguousarray(logits)))


@pytest.mark.parametrize("function", [softmax, log_softmax])
@pytest.mark.parametrize("axis", [None, (0, 2), (1,), 0, (2, 0)])
def test_fast_paths_for_axis_tuples_and_none_match_scipy(function, axis):
    rng = np.random.default_rng(32)
    logits = rng.normal(scale=4, size=(30, 40, 50))
    reference = {softmax: scipy.special.softmax, log_softmax: scipy.special.log_softmax}[function]
    # atol: SciPy's log_softmax loses relative accuracy near 0 (no log1p split).
    np.testing.assert_allclose(
        function(logits, axis=axis), reference(logits, axis=axis), rtol=1e-13, atol=1e-14
    )


@pytest.mark.parametrize("size", [3, 17, 4096, 70_000, 200_001])
def test_log_softmax_of_a_vector_keeps_relative_accuracy_at_its_maximum(size):
    # Vectors up to and past one block: the entry at the maximum is -log1p(r), tiny,
    # and must keep its relative accuracy (the log1p split), with ties or without.
    rng = np.random.default_rng(33)
    row = rng.normal(size=size) - 60.0
    row[size // 2] = 0.0
    expected = -np.log1p(np.sum(np.exp(np.delete(row, size // 2))))
    result = log_softmax(row)
    assert result[size // 2] == pytest.approx(expected, rel=4e-16 * np.log2(size))
    other = (size // 2 + 1) % size
    row[other] = 0.0  # a tie: log(2 + r)
    tied = log_softmax(row)
    r = np.sum(np.exp(np.delete(row, [other, size // 2])))
    assert tied[size // 2] == pytest.approx(-np.log(2 + r), rel=1e-15)


@pytest.mark.parametrize("columns", [2, 3, 10, 16, 17, 100])
def test_log_softmax_with_ties_in_some_rows_of_a_block(columns):
    rng = np.random.default_rng(34)
    logits = np.round(rng.normal(scale=2, size=(9000, columns)))  # many exact ties
    logits[::7, 0] = logits[::7].max(axis=-1) + 40.0  # and rows with a dominant maximum
    np.testing.assert_allclose(
        log_softmax(logits), scipy.special.log_softmax(logits, axis=-1), rtol=1e-14, atol=1e-15
    )
    dominant = log_softmax(logits[::7])[:, 0]
    rest = logits[::7, 1:] - logits[::7, :1]
    np.testing.assert_allclose(dominant, -np.log1p(np.exp(rest).sum(-1)), rtol=1e-15)


@pytest.mark.parametrize("function", [softmax, log_softmax])
def test_fast_paths_allocate_no_input_sized_temporary(function):
    import tracemalloc

    # The shapes of the benchmark grid, the two largest scaled down.
    for shape in [(10**6,), (4096,), (200, 5000), (10**5, 10), (10**6, 3), (10**4, 100)]:
        logits = np.random.default_rng(35).normal(size=shape)
        function(logits[:2])  # the one-time cache of a vector of ones for BLAS sums
        tracemalloc.start()
        function(logits)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak < 1.1 * logits.nbytes, (shape, peak / logits.nbytes)


def test_lifting_zeros_off_exps_tiny_argument_branch_changes_no_exponential():
    from softmax_notes import core

    # min(s, -2^-54) for s <= 0: every value it changes has exp(s) == 1.0 already.
    tiny = np.ldexp(1.0, -54)
    values = np.array(
        [0.0, -0.0, -5e-324, -1e-17, -tiny / 2, -tiny, -tiny * 1.5, -2 * tiny, -1e-16, -0.5, -3.0]
    )
    lifted = values.copy()
    core._lift_zeros_off_exps_branch(lifted)
    np.testing.assert_array_equal(np.exp(lifted), np.exp(values))
    assert not np.any(lifted == 0)


@pytest.mark.parametrize("columns", [2, 3, 4, 10, 16])
def test_softmax_and_log_softmax_are_bit_for_bit_the_same_without_the_zero_lifting(
    columns, monkeypatch
):
    from softmax_notes import core

    logits = np.random.default_rng(37).normal(scale=3, size=(30_000, columns))
    logits[::5, 0] = logits[::5, 1]  # ties
    results = [softmax(logits), log_softmax(logits)]
    monkeypatch.setattr(core, "_EXP_ONE_IS_EXACT", False)
    np.testing.assert_array_equal(softmax(logits), results[0])
    np.testing.assert_array_equal(log_softmax(logits), results[1])


@pytest.mark.parametrize("function", [softmax, log_softmax])
@pytest.mark.parametrize("late", ["+inf", "+inf tie", "nan", "-inf row"])
def test_long_vectors_with_a_non_finite_entry_late(function, late):
    # Past one block (65,536 entries) a vector is worked through in pieces; the
    # maximum, found first, decides between the fast path and the general rules.
    rng = np.random.default_rng(38)
    vector = rng.normal(scale=3, size=200_001)
    if late == "+inf":
        vector[-3] = np.inf
    elif late == "+inf tie":
        vector[[-3, 150_000]] = np.inf
    elif late == "nan":
        vector[-3] = np.nan
    else:
        vector[:] = -np.inf
    result = function(vector)
    with np.errstate(invalid="ignore"):
        if late == "nan":
            assert np.isnan(result).all()
            return
        ties = np.isposinf(vector) if late != "-inf row" else np.ones(vector.size, bool)
        expected = np.where(ties, 1 / ties.sum(), 0.0)
    if function is log_softmax:
        with np.errstate(divide="ignore"):
            expected = np.log(expected)
    np.testing.assert_array_equal(result, expected)
