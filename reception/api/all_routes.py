"""Every route of the JSON API v1, in the order the application matches them (the
meetings' /letters/{letter}/meeting-requests before the letters' /{reference}/{move})."""

from __future__ import annotations

from starlette.routing import BaseRoute

from reception.api import (
    accounts,
    admin,
    appointments,
    call_topics,
    categories,
    edge,
    edge_admin,
    edge_status,
    letters,
    meetings,
    openapi,
    queue,
    ratings,
    remote,
    remote_admin,
    reports,
    sms,
    sms_texts,
)

routes: list[BaseRoute] = [
    *openapi.routes,
    *queue.routes,
    *sms.routes,
    *admin.routes,
    *remote_admin.routes,
    *sms_texts.routes,
    *call_topics.routes,
    *categories.routes,
    *accounts.routes,
    *appointments.routes,
    *meetings.routes,
    *letters.routes,
    *reports.routes,
    *ratings.routes,
    *remote.routes,
    *edge.routes,
    *edge_admin.routes,
    *edge_status.routes,
]
