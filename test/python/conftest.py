import os
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "runtime", "python"))
ALFWORLD_DATA = os.environ.get("ALFWORLD_DATA") or os.path.join(
    os.environ.get("STEPHRL_HOME") or os.path.join(ROOT, ".stephrl"), "data", "alfworld")


def pytest_configure(config):
    config.addinivalue_line("markers", "unit: needs no engine, model or browser (npm run test:unit)")


@pytest.fixture(scope="session")
def scienceworld():
    from stephrl_env.scienceworld_session import ScienceWorldSession
    session = ScienceWorldSession()
    yield session
    session.close()


@pytest.fixture(scope="session")
def alfworld_data():
    return ALFWORLD_DATA
