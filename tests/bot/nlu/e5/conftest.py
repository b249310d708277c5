import pytest


@pytest.fixture(scope="session")
def image():
    from bot.nlu.e5.weights import load_image

    return load_image()
