"""Token-wise output comparison, with and without a float tolerance."""
import pytest

from thinkbench.verifiers.output_match import first_difference, tokens_match


@pytest.mark.parametrize("got,want", [
    ("3\n", "3"), ("1 2 3\n", "1\n2\n3"), ("  YES  \r\n", "YES"), ("", ""), ("a  b\t\n\n", "a b"),
])
def test_whitespace_only_separates_tokens(got, want):
    assert tokens_match(got, want)


@pytest.mark.parametrize("got,want", [("3", "4"), ("1 2", "1 2 3"), ("yes", "YES"), ("3.0", "3"), ("12", "1 2")])
def test_exact_tokens_without_tolerance(got, want):
    assert not tokens_match(got, want)


def test_float_tolerance_is_absolute_near_zero_and_relative_for_large_values():
    assert tokens_match("0.3333333", "0.333333333", float_tolerance=1e-6)
    assert tokens_match("3.0", "3", float_tolerance=1e-6)
    assert not tokens_match("0.3334", "0.3333", float_tolerance=1e-6)
    assert tokens_match("1000000.5", "1000000", float_tolerance=1e-6)
    assert not tokens_match("1000002", "1000000", float_tolerance=1e-6)
    assert not tokens_match("abc", "abd", float_tolerance=1.0)  # words still compare exactly
    assert tokens_match("nan", "nan", float_tolerance=1.0)  # the same text is the same token
    assert not tokens_match("inf", "1e308", float_tolerance=1.0)


def test_first_difference_names_the_token():
    assert first_difference("1 2 4", "1 2 3") == "token 3: expected '3', got '4'"
    assert first_difference("1 2", "1 2 3") == "expected 3 tokens, got 2"
    assert first_difference("1.0000001 5", "1 4", float_tolerance=1e-6) == "token 2: expected '4', got '5'"
