import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.case_number import find_case_numbers, normalize_case_number
from tests.support import doubling_ratio


@pytest.mark.parametrize(
    "text", ["BA-2025-004711", "ba 2025 004711", "ba2025004711", "Ba-2025 004711", "ba.2025.004711"]
)
def test_forms_citizens_type_are_normalised(text):
    assert normalize_case_number(text) == "BA-2025-004711"


def test_three_letters_and_context():
    assert find_case_numbers("Mein Aktenzeichen ist bau 2025 000815, danke") == [(22, 37, "BAU-2025-000815")]


@pytest.mark.parametrize("text", ["B-2025-004711", "BA-2025-04711", "BA-2025-0047111", "ABCD-2025-004711", "Hallo"])
def test_other_shapes_are_not_case_numbers(text):
    assert normalize_case_number(text) is None


# --- properties: never raise, normalising is idempotent, linear work ---------------------------


CASE_TEXT = st.text(alphabet=st.sampled_from("ab BA-2025-004711 ./19 20 0123456789xyzÄ"), max_size=200)


@given(st.text(max_size=300) | CASE_TEXT)
def test_never_raises_and_normalised_values_are_fixed_points(text):
    for start, end, value in find_case_numbers(text):
        assert 0 <= start < end <= len(text)
        assert normalize_case_number(value) == value  # idempotent
        assert normalize_case_number(text[start:end]) == value
    normalize_case_number(text)


def test_separator_runs_stay_linear():
    """Doubling a crafted input (letters, then long separator runs and no digits) at most ~2.5x
    (3x with timer noise) the time."""
    assert doubling_ratio(find_case_numbers, "ba" + " ." * 200 + "2025" + "-" * 200 + "x ") <= 3.0
