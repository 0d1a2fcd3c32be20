import pytest
from django_otp.oath import totp

from accounts.models import Role
from identity import policy, services
from tests import factories


@pytest.fixture(autouse=True)
def _fresh_policies():
    policy.forget()
    yield
    policy.forget()


def code_for(device) -> str:  # type: ignore[no-untyped-def]
    """The code an authenticator app shows now for the device."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def enrolled(user):  # type: ignore[no-untyped-def]
    """The person with a confirmed authenticator app (and recovery codes); the device."""
    device = services.totp_begin(user=user)
    device.confirmed = True
    device.save()
    services.recovery_codes_make(user=user)
    return device


@pytest.fixture
def admin():
    return factories.user(role=Role.ADMIN)
