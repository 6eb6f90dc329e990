"""Hostile tests run against the emulators that scripts/test starts, like tests/integration.

Every refused request asserts its status, its error code, the error envelope, and that nothing was written
(see attack.refused / attack.nothing_written).
"""

import pytest

from integration.inprocess import app_client, client_with  # noqa: F401 - the in-process app fixtures, for the tests here
from support import emulators
from support.stack_fixtures import admin, member, org, skip_when_stack_down, user  # noqa: F401 - shared fixtures


def pytest_collection_modifyitems(config, items):
    # Hostile files fed to the model validator need no emulator: they run whether or not the stack is up.
    skip_when_stack_down([item for item in items if not item.get_closest_marker("no_emulators")], "hostile")


@pytest.fixture
def victim():
    """Another user with something to steal: one classification (document, stored image, aggregates)."""
    from hostile import attack

    someone = emulators.sign_up()
    someone.classification = attack.classify(someone).json()
    return someone
