"""The quality app's model permissions per role (collected by accounts.roles)."""

from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.roles import AddedRole, Declaration

ROLE_PERMISSIONS: Declaration = {
    Role.ADMIN: {
        "quality": {
            "survey": ("view",),
            "surveysettings": ("view",),
            "qualityevent": ("view",),
            "review": ("view",),
            "cycle": ("view",),
            "dispute": ("view",),
        }
    },
}

# The QA reviewer: a role held on top of agent or lead. An in-house reviewer reviews
# anyone; a vendor's (by their team) only that vendor's agents: the sampling assigns so
# and the reviews' scoping (quality.selectors) shows so. The work itself goes through
# the pages, which check the role; the permissions are what the admin site may show.
QA_REVIEWER = AddedRole(
    name="qa_reviewer",
    label=_("QA reviewer"),
    description=_(
        "Reviews tickets against the scorecards: in-house, anyone's; at a vendor, only that "
        "vendor's agents."
    ),
    permissions={
        "quality": {
            "scorecard": ("view",),
            "scorecardversion": ("view",),
            "review": ("view", "change"),
            "calibrationsession": ("view",),
        }
    },
)
