"""Hostile tests run against the emulators that scripts/test starts, like tests/integration.

Every refused request asserts its status, its error code, the error envelope, and that nothing was written
(see attack.refused / attack.nothing_written).
"""

import pytest

from integration.inprocess import app_client  # noqa: F401 - the in-process app fixture, for the tests here
from support import emulators


def pytest_collection_modifyitems(config, items):
    if emulators.stack_is_up():
        return
    skip = pytest.mark.skip(reason="the emulators are not running: use scripts/test, which starts them")
    for item in items:
        if "hostile" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture
def user():
    return emulators.sign_up()


@pytest.fixture
def victim():
    """Another user with something to steal: one classification (document, stored image, aggregates)."""
    from hostile import attack

    someone = emulators.sign_up()
    someone.classification = attack.classify(someone).json()
    return someone


@pytest.fixture
def org():
    return emulators.make_org()


@pytest.fixture
def admin(org):
    return emulators.join_org(emulators.sign_up(), org, "admin")


@pytest.fixture
def member(org):
    return emulators.join_org(emulators.sign_up(), org, "member")
