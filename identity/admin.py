from django.contrib import admin
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin  # noqa: F401 (registers)
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin  # noqa: F401 (registers)
from django_otp.plugins.otp_totp.models import TOTPDevice

# Second factors are managed on identity's own pages (a person's, and an admin's reset,
# both audited), never edited in the admin site, which would show their secrets.
for model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
