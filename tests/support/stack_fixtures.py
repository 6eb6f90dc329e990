"""Fixtures shared by the suites that run against the emulators (tests/integration, tests/hostile).

A conftest imports the fixtures it wants from here and calls `skip_when_stack_down` from its collection hook.
"""

import pytest

from support import emulators


def skip_when_stack_down(items, folder: str) -> None:
    """Skip the tests under `folder` when the emulators are not running (scripts/test starts them)."""
    if emulators.stack_is_up():
        return
    skip = pytest.mark.skip(reason="the emulators are not running: use scripts/test, which starts them")
    for item in items:
        if folder in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture
def user():
    return emulators.sign_up()


@pytest.fixture
def org():
    return emulators.make_org()


@pytest.fixture
def admin(org):
    return emulators.join_org(emulators.sign_up(), org, "admin")


@pytest.fixture
def member(org):
    return emulators.join_org(emulators.sign_up(), org, "member")
