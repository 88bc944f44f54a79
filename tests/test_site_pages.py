"""Facts the reference pages state: the glossary's floating-point numbers, the
verification page's files and commands."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("dtype", "exponent"), [(np.float64, -53), (np.float32, -24), (np.float16, -11)]
)
def test_unit_roundoff_is_half_the_machine_epsilon(dtype, exponent):
    assert np.finfo(dtype).eps / 2 == 2.0**exponent


def test_ulp_of_numbers_in_one_to_two_is_the_float64_epsilon():
    assert np.spacing(1.0) == np.spacing(1.999) == np.finfo(np.float64).eps == 2.0**-52


def test_float64_exp_overflows_at_710_and_underflows_to_zero_at_minus_746():
    with np.errstate(over="ignore"):
        assert np.isinf(np.exp(np.float64(710)))
    assert np.isfinite(np.exp(np.float64(709)))
    assert np.exp(np.float64(-746)) == 0.0


def test_verification_page_names_only_files_and_make_targets_that_exist():
    text = (ROOT / "book" / "verification.md").read_text(encoding="utf-8")
    spans = re.findall(r"`([^`\s]+)`", text)
    paths = [span for span in spans if "/" in span or span.startswith(".")]
    globbed = [span for span in paths if not list(ROOT.glob(span.rstrip("/")))]
    assert globbed == [], "verification.md names paths that do not exist"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = re.findall(r"`make ([\w-]+)`", text)
    assert targets
    assert [t for t in targets if not re.search(rf"^{t}:", makefile, re.MULTILINE)] == []
