from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.dateparse import parse_date

from jiceng.audit import queries


@login_required
def entry_list(request: HttpRequest) -> HttpResponse:
    params = {k: request.GET.get(k, "")[:150] for k in ("username", "action", "object_type", "object_id")}
    since, until = parse_date(request.GET.get("since", "")), parse_date(request.GET.get("until", ""))
    entries = queries.audit_entries(
        request.user,  # type: ignore[arg-type]
        since=queries.day_start(since) if since else None,
        until=queries.day_start(until, plus_days=1) if until else None,
        **params,
    )
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "audit/entry_list.html",
        {
            "page": page,
            "filters": params,
            "since": request.GET.get("since", ""),
            "until": request.GET.get("until", ""),
        },
    )
