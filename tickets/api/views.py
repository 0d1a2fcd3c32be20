"""REST API v1 for tickets, messages, requesters and queues. One view per resource action;
every query starts from the scoping selectors, every write is a service call."""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.http import AuthenticatedApiRequest
from accounts.models import User
from tickets import selectors, services
from tickets.api.serializers import (
    MessageIn,
    MessageOut,
    QueueOut,
    RequesterOut,
    TicketCreateIn,
    TicketListQuery,
    TicketOut,
    TicketUpdateIn,
)
from tickets.models import Queue
from tickets.selectors import QueueFilters


def _queue_or_error(user: User, queue_id: int) -> Queue:
    queue = next((q for q in selectors.visible_queue_list(user) if q.pk == queue_id), None)
    if queue is None:
        raise services.TicketError(f"queue {queue_id} does not exist or is not yours to use.")
    return selectors.visible_queues(user).get(pk=queue.pk)


class TicketListCreateApi(APIView):
    @extend_schema(parameters=[TicketListQuery], responses=TicketOut(many=True))
    def get(self, request: AuthenticatedApiRequest) -> Response:
        query = TicketListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        if data.get("q"):
            result = selectors.search_tickets(request.user, data["q"], full_rows=True)
            return Response({"results": TicketOut(result.rows, many=True).data,
                             "next_cursor": None})  # fmt: skip
        filters = QueueFilters(
            view="queue" if data.get("queue") and data["view"] == "all" else data["view"],
            queue=data.get("queue"),
            statuses=sorted(data.get("status", [])),
            priorities=sorted(data.get("priority", [])),
            language=data.get("language", ""),
            channel=data.get("channel", ""),
            tag=data.get("tag", ""),
            assignee=data.get("assignee", ""),
        )
        page = selectors.queue_page(
            request.user, filters, cursor=data.get("cursor", ""), full_rows=True
        )
        return Response({"results": TicketOut(page.rows, many=True).data,
                         "next_cursor": page.next_cursor or None})  # fmt: skip

    @extend_schema(request=TicketCreateIn, responses={201: TicketOut})
    def post(self, request: AuthenticatedApiRequest) -> Response:
        payload = TicketCreateIn(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        with transaction.atomic():
            queue = _queue_or_error(request.user, data["queue"])
            # Matches only requesters this person may see: anyone else's details never
            # come back (a provisional identity holds what they sent instead).
            requester = services.requester_get_or_create(**data["requester"], actor=request.user)
            ticket = services.ticket_create(
                actor=request.user, requester=requester, queue=queue, subject=data["subject"],
                body=data["body"], channel=data["channel"], language=data.get("language", ""),
                category=data.get("category", ""), tags=data.get("tags", []),
                priority=data.get("priority"), metadata=data.get("metadata"),
            )  # fmt: skip
        try:
            ticket = selectors.get_ticket_for(request.user, ticket.reference)
        except Http404:
            # Placed where the caller may not look (tickets.placement: child safety goes
            # to the cleared queue): created all the same, say so, show nothing of it.
            return Response(
                {"reference": ticket.reference,
                 "detail": _("Created in a queue you cannot see.")},
                status=status.HTTP_201_CREATED,
            )  # fmt: skip
        return Response(TicketOut(ticket).data, status=status.HTTP_201_CREATED)


class TicketDetailApi(APIView):
    @extend_schema(responses=TicketOut)
    def get(self, request: AuthenticatedApiRequest, reference: str) -> Response:
        return Response(TicketOut(selectors.get_ticket_for(request.user, reference)).data)

    @extend_schema(request=TicketUpdateIn, responses=TicketOut)
    def patch(self, request: AuthenticatedApiRequest, reference: str) -> Response:
        ticket = selectors.get_ticket_for(request.user, reference)
        payload = TicketUpdateIn(data=request.data)
        payload.is_valid(raise_exception=True)
        data, user = payload.validated_data, request.user
        changes = {key: data[key] for key in ("priority", "tags", "status") if key in data}
        queue = ticket.queue
        if "queue" in data:
            queue = changes["queue"] = _queue_or_error(user, data["queue"])
        if "assignee" in data:
            # Checked against the queue the ticket will be in, after any move.
            changes["assignee"] = None
            if data["assignee"] is not None:
                changes["assignee"] = selectors.assignable_agents(user, queue).filter(
                    pk=data["assignee"]).first()  # fmt: skip
                if changes["assignee"] is None:
                    raise services.TicketError(
                        f"user {data['assignee']} cannot be assigned tickets in this queue."
                    )
        services.ticket_update_properties(actor=user, ticket=ticket, **changes)
        return Response(TicketOut(selectors.get_ticket_for(user, reference)).data)


class TicketMessagesApi(APIView):
    @extend_schema(responses=MessageOut(many=True))
    def get(self, request: AuthenticatedApiRequest, reference: str) -> Response:
        ticket = selectors.get_ticket_for(request.user, reference)
        return Response(MessageOut(selectors.ticket_conversation(ticket), many=True).data)

    @extend_schema(request=MessageIn, responses={201: MessageOut})
    def post(self, request: AuthenticatedApiRequest, reference: str) -> Response:
        ticket = selectors.get_ticket_for(request.user, reference)
        payload = MessageIn(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        message = services.ticket_reply(
            actor=request.user, ticket=ticket, body=data["body"], internal=data["internal"],
            status=data.get("status"),
        )  # fmt: skip
        return Response(MessageOut(message).data, status=status.HTTP_201_CREATED)


class RequesterListApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("email", str), OpenApiParameter("external_id", str),
            OpenApiParameter("after", int, description="Keyset cursor: the last id you saw."),
        ],
        responses=RequesterOut(many=True),
    )  # fmt: skip
    def get(self, request: AuthenticatedApiRequest) -> Response:
        requesters = selectors.visible_requesters(request.user).order_by("id")
        email = request.query_params.get("email", "")[:254]
        external_id = request.query_params.get("external_id", "")[:128]
        after = request.query_params.get("after", "")
        if email:
            requesters = requesters.filter(pk__in=selectors.requester_ids_with_email(email))
        if external_id:
            requesters = requesters.filter(
                pk__in=selectors.requester_ids_with_external_id(external_id))  # fmt: skip
        if after.isdigit():
            requesters = requesters.filter(id__gt=int(after))
        rows = list(requesters[:100])
        return Response({"results": RequesterOut(rows, many=True).data,
                         "next_after": rows[-1].pk if len(rows) == 100 else None})  # fmt: skip


class RequesterDetailApi(APIView):
    @extend_schema(responses=RequesterOut)
    def get(self, request: AuthenticatedApiRequest, pk: int) -> Response:
        return Response(RequesterOut(get_object_or_404(selectors.visible_requesters(request.user),
                                                       pk=pk)).data)  # fmt: skip


class QueueListApi(APIView):
    @extend_schema(responses=QueueOut(many=True))
    def get(self, request: AuthenticatedApiRequest) -> Response:
        queues = selectors.visible_queues(request.user).order_by("name")
        return Response({"results": QueueOut(queues, many=True).data})
