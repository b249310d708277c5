import pytest

from bot.core.case_number import find_case_numbers, normalize_case_number


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
