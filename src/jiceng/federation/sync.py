"""Base data from the county sub-databases (区县分库) to the province-wide store (全省总库), and queries
across counties.

County: ``queue_registry_changes`` finds people and organizations changed since its cursor (by
updated_at, id; soft deletes included, so imports and bulk updates are caught too) and queues them as
data.sync batches together with the cursor's advance, in one transaction. Changes younger than a few
seconds wait for the next run, so a write still committing is not skipped.

Hub: ``on_sync`` upserts per county code, keeping the newest version of each record (a repeat or an
older version changes nothing).

Query: a permitted county user asks the hub by ID number, credit code or name; the hub answers with masked
results. Both sides audit the query.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from jiceng.accounts.permissions import require_role
from jiceng.accounts.roles import Role
from jiceng.audit.actions import record
from jiceng.core.crypto import blind_index
from jiceng.core.errors import DomainError, InvalidInput, field_error
from jiceng.core.validators import (
    InvalidValue,
    mask_id_number,
    mask_phone,
    parse_credit_code,
    parse_id_number,
)
from jiceng.federation import delivery, signing
from jiceng.federation.county import the_hub
from jiceng.federation.messaging import (
    BatchItem,
    check_envelope,
    enqueue,
    handles,
    handles_batch,
    keys_of,
    own_code,
    reject,
)
from jiceng.federation.models import InboxMessage, MessageType, ProvinceRecord, SyncCursor, System, SystemKind
from jiceng.registry.models import Organization, Person

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User

logger = logging.getLogger(__name__)

BATCH = 100
SCAN_LIMIT = 5000
SETTLE = timedelta(seconds=2)
QUERY_ROLES = (Role.COUNTY_CENTER, Role.SAFETY_OFFICER, Role.HUB_OPERATOR, Role.ADMIN)


def _person(p: Person) -> dict[str, Any]:
    return {
        "name": p.name,
        "key": p.id_number,
        "sex": p.sex,
        "birth_date": p.birth_date.isoformat() if p.birth_date else "",
        "phone": p.phone,
        "address": p.address,
        "region": p.region_code,
    }


def _organization(o: Organization) -> dict[str, Any]:
    return {
        "name": o.name,
        "key": o.credit_code,
        "org_kind": o.org_kind,
        "legal_representative": o.legal_representative,
        "phone": o.contact_phone,
        "address": o.address,
        "region": o.region_code,
    }


KINDS: dict[str, tuple[Any, Any]] = {
    "person": (Person, _person),
    "organization": (Organization, _organization),
}


def queue_registry_changes(now: datetime | None = None) -> int:
    """Queue the base-data changes since the last run for the hub. Returns the number of records queued."""
    now = now or timezone.now()
    try:
        hub = the_hub()
    except DomainError:
        return 0
    queued = 0
    for kind, (model, serialize) in KINDS.items():
        with transaction.atomic():
            cursor, _created = SyncCursor.objects.select_for_update().get_or_create(kind=kind)
            qs = model.objects.filter(updated_at__lte=now - SETTLE)
            if cursor.updated_at is not None:
                qs = qs.filter(
                    Q(updated_at__gt=cursor.updated_at)
                    | Q(updated_at=cursor.updated_at, id__gt=cursor.last_id)
                )
            rows = list(qs.order_by("updated_at", "id")[:SCAN_LIMIT])
            if not rows:
                continue
            records = [
                {
                    "id": r.pk,
                    "version": r.version,
                    "deleted": r.deleted_at is not None,
                    "updated_at": r.updated_at.isoformat(),
                    **serialize(r),
                }
                for r in rows
            ]
            for start in range(0, len(records), BATCH):
                enqueue(
                    hub, MessageType.SYNC, {"kind": kind, "records": records[start : start + BATCH]}, now=now
                )
            last = rows[-1]
            cursor.updated_at, cursor.last_id = last.updated_at, last.pk
            cursor.save(update_fields=["updated_at", "last_id"])
            queued += len(rows)
    return queued


def _key_index(kind: str, key: str) -> str:
    return blind_index(key.strip().upper()) if key else ""


def _check_sync(source: System, payload: dict[str, Any]) -> tuple[str, dict[int, dict[str, Any]]]:
    if source.kind != SystemKind.COUNTY:
        raise field_error("source", _("Only county platforms send base data."), "not_a_county")
    kind = str(payload["kind"])
    if kind not in KINDS:
        raise field_error("kind", _("Unknown kind of record."), "invalid_kind")
    return kind, {int(r["id"]): r for r in payload["records"]}


# Column names (none of these fields renames its column).
UPSERT_FIELDS = (
    *("county_code", "kind", "record_id", "version", "deleted"),
    *("name", "key_index", "region_code", "data", "updated_at"),
)


def _upsert(county_code: str, kind: str, incoming: dict[int, dict[str, Any]], now: datetime) -> None:
    """Insert the records, or replace the stored ones of a lower version; one statement run for all rows.

    Hand-written SQL because the ORM's bulk_create cannot say "update only when newer" (and its per-field
    compilation costs more than the rest of a sync); ``INSERT … ON CONFLICT … DO UPDATE … WHERE`` is the
    same on PostgreSQL and SQLite."""
    if not incoming:
        return
    opts = ProvinceRecord._meta
    data_field, at_field = opts.get_field("data"), opts.get_field("updated_at")
    assert isinstance(data_field, models.Field) and isinstance(at_field, models.Field)
    q = connection.ops.quote_name
    table = q(opts.db_table)
    columns = [q(name) for name in UPSERT_FIELDS]
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns[3:])
    version = q("version")
    values = ", ".join(["%s"] * len(columns))
    insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({values})"  # noqa: S608 - names from the model
    upsert = f"ON CONFLICT ({', '.join(columns[:3])}) DO UPDATE SET {updates}"
    sql = f"{insert} {upsert} WHERE {table}.{version} < excluded.{version}"
    rows = [
        (
            county_code,
            kind,
            record_id,
            int(r["version"]),
            bool(r.get("deleted")),
            str(r.get("name", ""))[:120],
            _key_index(kind, str(r.get("key", ""))),
            str(r.get("region", ""))[:18],
            data_field.get_db_prep_save(json.dumps(r, ensure_ascii=False), connection),
            at_field.get_db_prep_save(parse_datetime(str(r.get("updated_at") or "")) or now, connection),
        )
        for record_id, r in incoming.items()
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


@handles("hub", MessageType.SYNC)
def on_sync(source: System, message: InboxMessage, payload: dict[str, Any], now: datetime) -> None:
    kind, incoming = _check_sync(source, payload)
    _upsert(source.code, kind, incoming, now)


@handles_batch("hub", MessageType.SYNC)
def on_sync_batch(items: list[BatchItem], now: datetime) -> None:
    """Many data.sync messages: per county and kind, the newest version of each record (the first of
    equal versions, as one by one), upserted together."""
    merged: dict[tuple[str, str], dict[int, dict[str, Any]]] = {}
    for source, _message, payload in items:
        kind, incoming = _check_sync(source, payload)
        records = merged.setdefault((source.code, kind), {})
        for record_id, r in incoming.items():
            if record_id not in records or int(records[record_id]["version"]) < int(r["version"]):
                records[record_id] = r
    for (code, kind), records in merged.items():
        _upsert(code, kind, records, now)


# --- cross-county queries --------------------------------------------------------------------------------


def _criteria(kind: str, key: str, name: str) -> dict[str, str]:
    if kind not in KINDS:
        raise field_error("kind", _("Unknown kind of record."), "invalid_kind")
    key, name = (key or "").strip(), (name or "").strip()
    if key:
        try:
            key = parse_id_number(key).number if kind == "person" else parse_credit_code(key)
        except InvalidValue as exc:
            raise field_error("key", exc.message, exc.code) from exc
    elif len(name) < 2:
        raise field_error(
            "name", _("Give an ID number or code, or a name of at least 2 characters."), "required"
        )
    return {"kind": kind, "key": key, "name": name}


def query_hub(
    actor: User | AnonymousUser | None, *, kind: str, key: str = "", name: str = "", purpose: str = ""
) -> list[dict[str, Any]]:
    """Ask the hub about a person or organization in other counties; audited here and at the hub."""
    user = require_role(actor, *QUERY_ROLES)
    criteria = _criteria(kind, key, name)
    if not (purpose or "").strip():
        raise field_error("purpose", _("Say why you need this information."), "purpose_required")
    hub = the_hub()
    if not hub.data_url:
        raise DomainError(_("The collaboration platform has no data service."), code="no_data_service")
    record(
        "federation.query",
        actor=user,
        object_type="federation.provincerecord",
        changes={"kind": kind, "by": "key" if criteria["key"] else "name", "purpose": purpose.strip()[:200]},
    )
    now = timezone.now()
    envelope = {
        "id": str(uuid.uuid4()),
        "type": MessageType.QUERY,
        "source": own_code(),
        "target": hub.code,
        "time": now.isoformat(),
        "correlation": "",
        "sequence": 0,
        "payload": {**criteria, "user": user.username, "purpose": purpose.strip()[:200]},
    }
    try:
        status, answer = delivery.transport(hub.data_url, signing.sign(envelope, hub.key, now))
    except Exception as exc:
        raise DomainError(_("The collaboration platform does not answer."), code="hub_unreachable") from exc
    if status != 200 or not isinstance(answer, dict):
        raise DomainError(_("The collaboration platform refused the query."), code="query_refused")
    check = check_envelope(answer, timezone.now(), {hub.code: hub}, expect_type=MessageType.RESPONSE)
    if check.reason or check.source is None or check.source.pk != hub.pk:
        raise DomainError(_("The collaboration platform's answer is not properly signed."), code="bad_answer")
    results = answer["payload"].get("results", [])
    return results if isinstance(results, list) else []


def answer_query(envelope: Any, *, remote_addr: str = "") -> tuple[int, dict[str, Any]]:
    """The hub's data service: a signed data.query in, a signed data.response with masked results out."""
    now = timezone.now()
    check = check_envelope(envelope, now, {}, expect_type=MessageType.QUERY)
    if check.reason or check.source is None:
        reject(check, check.reason or "malformed", remote_addr, now)
        return 403, {"code": "rejected", "reason": check.reason}
    source = check.source
    payload = check.envelope["payload"]
    try:
        criteria = _criteria(
            str(payload.get("kind")), str(payload.get("key", "")), str(payload.get("name", ""))
        )
    except InvalidInput as exc:
        return 422, {"code": exc.code, "message": str(exc.message)}
    qs = ProvinceRecord.objects.filter(kind=criteria["kind"], deleted=False)
    if criteria["key"]:
        qs = qs.filter(key_index=_key_index(criteria["kind"], criteria["key"]))
    else:
        qs = qs.filter(name=criteria["name"])
    results = []
    for row in qs.order_by("county_code", "record_id")[:20]:
        data = json.loads(row.data)
        masked_key = mask_id_number(data.get("key", "")) if row.kind == "person" else data.get("key", "")
        results.append(
            {
                "county": row.county_code,
                "region": row.region_code,
                "name": row.name,
                "key": masked_key,
                "phone": mask_phone(data.get("phone", "")) if data.get("phone") else "",
                "address": data.get("address", ""),
                "own_county": row.county_code == source.code,
            }
        )
    record(
        "federation.query.answer",
        actor=None,
        username=f"{source.code}:{payload.get('user', '')}"[:150],
        object_type="federation.provincerecord",
        changes={
            "kind": criteria["kind"],
            "by": "key" if criteria["key"] else "name",
            "purpose": str(payload.get("purpose", ""))[:200],
            "results": len(results),
        },
    )
    response = {
        "id": str(uuid.uuid4()),
        "type": MessageType.RESPONSE,
        "source": own_code(),
        "target": source.code,
        "time": now.isoformat(),
        "correlation": str(check.envelope["id"]),
        "sequence": 0,
        "payload": {"results": results},
    }
    return 200, signing.sign(response, source.key, now)


__all__ = ["answer_query", "keys_of", "on_sync", "query_hub", "queue_registry_changes"]
