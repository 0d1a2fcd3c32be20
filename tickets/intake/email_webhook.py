"""The raw-MIME webhook for inbound email (a mail provider's "forward to URL"): the body
is the message as received, the Authorization header a bearer token."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from tickets.intake.email import email_ingest
from tickets.models import InboundEmail

MAX_BYTES = 40 * 1024 * 1024


@csrf_exempt  # a machine posts here, authenticated by its token, with no session
@require_POST
def inbound_email(request: HttpRequest) -> JsonResponse:
    token = settings.INBOUND_EMAIL_WEBHOOK_TOKEN
    if not token:
        return JsonResponse({"error": "The inbound email webhook is not enabled."}, status=503)
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        return JsonResponse({"error": "A valid bearer token is required."}, status=401)
    if int(request.headers.get("Content-Length") or 0) > MAX_BYTES:
        return JsonResponse({"error": f"The message is over {MAX_BYTES} bytes."}, status=413)
    raw = request.body
    if not raw.strip():
        return JsonResponse({"error": "The body must be the raw message (RFC 822)."},
                            status=400)  # fmt: skip
    result = email_ingest(raw, source=InboundEmail.Source.WEBHOOK)
    return JsonResponse({
        "outcome": result.outcome, "inbound_id": result.inbound.pk,
        "ticket": result.ticket.reference if result.ticket else None, "detail": result.detail,
    }, status=202)  # fmt: skip
