"""The demo organisation's people and passwords, importable before Django is set up
(`make run` prints the logins)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEMO_PASSWORD = "helpdesk-demo"  # noqa: S105 - documented demo login, never for production


@dataclass(frozen=True)
class DemoUser:
    email: str
    full_name: str
    role: str  # accounts.models.Role value
    team: str | None  # team slug
    languages: tuple[str, ...]
    time_zone: str
    description: str


VENDORS = [
    ("Northwind Support", "ops@northwind.example.com"),
    ("Atlas Contact Centers", "ops@atlas.example.com"),
]
# (team name, vendor name or None for in-house)
TEAMS = [
    ("Trust & Safety", None),
    ("Tier 1 Americas", "Northwind Support"),
    ("MENA & Europe", "Atlas Contact Centers"),
]

USERS = [
    DemoUser("admin@example.com", "Ada Okafor", "admin", None, ("en",),
             "Europe/London", "admin: settings, SOPs, Django admin"),
    DemoUser("lead@example.com", "Leila Haddad", "lead", "trust-safety", ("en", "ar", "fr"),
             "Europe/Paris", "in-house Trust & Safety lead"),
    DemoUser("agent@example.com", "Ana Souza", "agent", "trust-safety", ("en", "pt", "es"),
             "America/Sao_Paulo", "in-house Trust & Safety agent"),
    DemoUser("northwind.lead@example.com", "Miguel Santos", "lead",
             "northwind-support-tier-1-americas", ("en", "es"), "America/Mexico_City",
             "vendor lead at Northwind Support"),
    DemoUser("northwind.agent@example.com", "Grace Tan", "agent",
             "northwind-support-tier-1-americas", ("en", "zh", "es"), "America/Los_Angeles",
             "vendor agent at Northwind Support"),
    DemoUser("atlas.lead@example.com", "Omar Farouk", "lead",
             "atlas-contact-centers-mena-europe", ("ar", "en", "fr"), "Africa/Cairo",
             "vendor lead at Atlas Contact Centers"),
    DemoUser("atlas.agent@example.com", "Yuki Sato", "agent",
             "atlas-contact-centers-mena-europe", ("ja", "en", "ru"), "Asia/Tokyo",
             "vendor agent at Atlas Contact Centers"),
]  # fmt: skip


def login_lines(passwords: dict[str, str] | None = None) -> list[str]:
    """One line per demo login: email, password, who. With ``passwords`` (the random ones
    just set, DEBUG off) a login missing from it kept the password it already had."""
    unchanged = "(unchanged)"
    shown = {
        u.email: DEMO_PASSWORD if passwords is None else passwords.get(u.email, unchanged)
        for u in USERS
    }
    width = max(len(u.email) for u in USERS)
    pw_width = max(len(value) for value in shown.values())
    return [f"  {u.email:<{width}}  {shown[u.email]:<{pw_width}}   {u.description}" for u in USERS]


# (name, languages, team slugs, vendor names, default priority)
QUEUES = [
    ("General Support", ["en", "es", "pt", "fr", "de"], ["trust-safety"], ["Northwind Support"], 3),
    ("Payments", ["en", "es", "pt"], ["northwind-support-tier-1-americas"], [], 2),
    ("Trust & Safety", [], ["trust-safety"], [], 2),
    ("MENA & Europe", ["ar", "fr", "en", "ru", "de"], [], ["Atlas Contact Centers"], 3),
    ("Japan", ["ja", "en"], [], ["Atlas Contact Centers"], 3),
]

# Support addresses: (queue, address, sender name). Mail to one opens tickets in its
# queue, and the queue's mail goes out from it. No IMAP settings: the demo has no server.
MAILBOXES = [
    ("General Support", "support@example.com", "Example Support"),
    ("Payments", "payments@example.com", "Example Payments"),
    ("Trust & Safety", "safety@example.com", "Example Trust & Safety"),
    ("MENA & Europe", "mena@example.com", "Example Support MENA"),
    ("Japan", "japan@example.com", "Example サポート"),
]
# Email routing rules: (field, contains, queue, category).
EMAIL_ROUTES = [
    ("subject", "chargeback", "Payments", "billing"),
    ("from", "@bank.example", "Payments", "billing"),
]

# (name, language, body, set_status, set_priority, add_tags)
MACROS = [
    ("Password reset steps", "en",
     "Hi {requester_name},\n\nTo get back in, open the sign-in page, choose \"Forgot password\" "
     "and follow the link we email you. The link works for one hour.\n\n{agent_name}",
     "pending", None, ["login"]),
    ("Password reset steps", "es",
     "Hola {requester_name}:\n\nPara entrar de nuevo, abre la página de inicio de sesión, elige "
     "\"Olvidé mi contraseña\" y sigue el enlace que te enviaremos. Es válido una hora.\n\n"
     "{agent_name}", "pending", None, ["login"]),
    ("Password reset steps", "ar",
     "مرحبًا {requester_name}،\n\nلاستعادة الدخول افتح صفحة تسجيل الدخول واختر \"نسيت كلمة "
     "المرور\" واتبع الرابط الذي سنرسله إليك. الرابط صالح لمدة ساعة.\n\n{agent_name}",
     "pending", None, ["login"]),
    ("Refund issued", "en",
     "Hi {requester_name},\n\nWe have refunded the duplicate charge on {ticket_reference}. "
     "It shows on your statement within 5–10 business days.\n\n{agent_name}",
     "solved", None, ["refund"]),
    ("Refund issued", "es",
     "Hola {requester_name}:\n\nHemos reembolsado el cobro duplicado ({ticket_reference}). "
     "Lo verás en tu extracto en 5 a 10 días hábiles.\n\n{agent_name}",
     "solved", None, ["refund"]),
    ("Impersonation report received", "en",
     "Hi {requester_name},\n\nThanks for reporting this profile. Our safety team is reviewing it "
     "and we will update you here.\n\n{agent_name}", "on_hold", 2, ["impersonation"]),
]  # fmt: skip

# (name, time zone, open 24/7, holidays of, Mon–Fri hours or None)
CALENDARS = [
    ("Around the clock", "UTC", True, "", None),
    ("Manila office", "Asia/Manila", False, "PH", ("08:00", "20:00")),
]

# (name, position, calendar, queues (empty: any), high-profile, warning actions,
#  breach actions, {priority: (first reply, next reply, resolution) in minutes})
SLA_POLICIES = [
    ("High-profile requesters", 10, "Around the clock", [], "yes",
     ["notify_assignee", "notify_lead"], ["notify_lead", "raise_priority", "escalate"],
     {1: (15, 30, 120), 2: (30, 60, 240), 3: (60, 120, 480), 4: (60, 120, 480)}),
    ("Northwind business hours", 50, "Manila office", ["Payments"], "any",
     ["notify_assignee"], ["notify_lead", "notify_vendor"],
     {1: (60, 120, 480), 2: (120, 240, 960), 3: (240, 480, 1440), 4: (480, 960, 2880)}),
    ("Standard", 100, "Around the clock", [], "any",
     ["notify_assignee"], ["notify_assignee", "notify_lead", "notify_vendor"],
     {1: (30, 60, 240), 2: (120, 240, 1440), 3: (480, 480, 4320), 4: (1440, 1440, 10080)}),
]  # fmt: skip

# SOPs: (title, summary, queues, categories, tags, languages, vendors, macros "name|lang",
#  versions [(body, steps, change summary)], proposal (body, steps, change summary) or None)
SOPS: list[tuple[Any, ...]] = [
    ("Hacked accounts and account takeover",
     "When someone else got into a user's account, or changed its email or password.",
     [], ["account"], ["hacked", "recovery", "login", "2fa"], [],
     ["Northwind Support", "Atlas Contact Centers"], ["Password reset steps|en", "Password reset steps|es"],
     [("## When to use\n\nThe requester says their account was taken over, or its email, phone "
       "or password changed without them.\n\n## Procedure\n\n1. Verify the requester owns the "
       "account (two of: original sign-up email, last payment, device used).\n2. End every "
       "session and reset the password.\n3. Restore the original email.\n\nNever share account "
       "details before verification.",
       ["Verify ownership (two signals)", "End all sessions", "Reset the password",
        "Restore the original email"], "First version"),
      ("## When to use\n\nThe requester says their account was taken over, or its email, phone "
       "or password changed without them.\n\n## Procedure\n\n1. Verify the requester owns the "
       "account (two of: original sign-up email, last payment, device used).\n2. End every "
       "session and reset the password.\n3. Restore the original email.\n4. **Turn on two-step "
       "verification** with the requester and check the recovery phone.\n\nNever share account "
       "details before verification. See the [security centre](https://example.com/security).",
       ["Verify ownership (two signals)", "End all sessions", "Reset the password",
        "Restore the original email", "Turn on two-step verification"],
       "Adds two-step verification after recovery")],
     None),
    ("Refunds for duplicate charges",
     "A requester was charged twice for the same order or subscription period.",
     ["General Support", "Payments"], ["billing"], ["refund", "payments"], [],
     ["Northwind Support"], ["Refund issued|en", "Refund issued|es"],
     [("## Procedure\n\n1. Find both charges in the payment log; they must have the same amount "
       "and order.\n2. Refund the **second** charge only.\n3. Reply with the *Refund issued* "
       "macro.\n\n| Amount | Who approves |\n|---|---|\n| up to $100 | the agent |\n"
       "| over $100 | a lead |",
       ["Find both charges", "Refund the second charge", "Reply with the macro"],
       "First version")],
     None),
    ("Impersonation reports",
     "A profile uses someone else's name or photos.",
     ["Trust & Safety", "General Support"], ["safety"], ["impersonation"], [],
     [], ["Impersonation report received|en"],
     [("## Procedure\n\n1. Ask for a link to the impersonating profile and, for public figures, "
       "proof of identity.\n2. Compare photos and names.\n3. Remove the profile if it copies the "
       "requester; warn it if it is a parody not labelled as one.",
       ["Get the profile link", "Compare photos and names", "Remove or warn"], "First version")],
     ("## Procedure\n\n1. Ask for a link to the impersonating profile and, for public figures, "
      "proof of identity.\n2. Compare photos and names.\n3. Remove the profile if it copies the "
      "requester; warn it if it is a parody not labelled as one.\n4. Check the impersonator's "
      "other accounts (same device or payment).",
      ["Get the profile link", "Compare photos and names", "Remove or warn",
       "Check linked accounts"], "Proposal: also check linked accounts")),
]  # fmt: skip

# Escalation reasons: (name, trigger, target team slug, severity, categories, tags)
ESCALATION_REASONS = [
    ("Legal or law-enforcement request", "manual", "trust-safety", 3, [], []),
    ("Payments investigation", "manual", "trust-safety", 3, [], []),
    ("Bug for engineering", "manual", "trust-safety", 4, [], []),
    ("Threat of violence", "category", "trust-safety", 1, ["threats"], ["threat", "violence"]),
    ("Self-harm or suicide risk", "category", "trust-safety", 1, ["self-harm"],
     ["self-harm", "suicide"]),
    ("Child safety", "category", "trust-safety", 1, ["child-safety"], ["csam", "grooming"]),
    ("High-profile requester", "high_profile", "trust-safety", 2, [], []),
    ("SLA breach review", "sla_breach", "trust-safety", 3, [], []),
]  # fmt: skip
# On-call: (team slug, time zone, member emails in order)
ROTATIONS = [
    ("trust-safety", "Europe/Paris", ["agent@example.com", "lead@example.com"]),
]
