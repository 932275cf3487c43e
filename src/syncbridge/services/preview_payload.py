"""The preview's cached payload and its answer, as pure functions (the service does the reading and writing).

A payload holds, per kind, the list of changes as rows ``[source id, target id, natural key, source fingerprint,
target fingerprint, matched by natural key]`` and the rendered records of the first rows; the answer is one page
of each kind, in the format the API serves.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from syncbridge.domain.codec import to_dict
from syncbridge.domain.delta import Change, ChangeKind, field_diff
from syncbridge.domain.records import Record

# The answer's name of each kind of change.
KIND_KEYS: dict[ChangeKind, str] = {
    ChangeKind.NEW: "new",
    ChangeKind.UPDATED: "updated",
    ChangeKind.DELETED: "deleted",
    ChangeKind.CONFLICT: "conflicts",
}
Row = list[Any]
Rows = dict[str, list[Row]]


def change_row(change: Change) -> Row:
    return [
        change.source_id,
        change.target_id,
        change.natural_key,
        change.source_fingerprint,
        change.target_fingerprint,
        change.matched_by_natural_key,
    ]


def empty_rows() -> Rows:
    return {key: [] for key in KIND_KEYS.values()}


def _sides(row: Row, inbound: bool) -> tuple[str | None, str | None]:
    """(hub id, system id) of a row: inbound reads the system (source) into the hub (target)."""
    return (row[1], row[0]) if inbound else (row[0], row[1])


def ids_to_render(rows: Rows, *, inbound: bool) -> tuple[set[str], set[str]]:
    """The hub ids and the system ids whose records rendering these rows needs."""
    hub_ids: set[str] = set()
    system_ids: set[str] = set()
    for key, bucket in rows.items():
        for row in bucket:
            hub_id, system_id = _sides(row, inbound)
            if hub_id and (key != "new" or not inbound):
                hub_ids.add(hub_id)
            if system_id and key != "deleted" and (inbound or key != "new"):
                system_ids.add(system_id)
    return hub_ids, system_ids


def render_rows(
    rows: Rows, *, inbound: bool, hub: Mapping[str, Record], system: Mapping[str, Record]
) -> dict[str, dict[str, Any]]:
    """The records shown for the rows, by kind and source id.

    new: the source record · updated / conflicts: ``{"id", "targetId", "naturalKey", "changes"}`` with the field
    diff from the target's values (old) to the source's (new) · deleted: the hub record. A record that is gone
    by now shows as ``{"id", "naturalKey"}``.
    """
    out: dict[str, dict[str, Any]] = {}
    for key, bucket in rows.items():
        rendered: dict[str, Any] = {}
        for row in bucket:
            source_id, target_id, natural_key = row[0], row[1], row[2]
            hub_id, system_id = _sides(row, inbound)
            hub_record, system_record = hub.get(hub_id or ""), system.get(system_id or "")
            source, target = (system_record, hub_record) if inbound else (hub_record, system_record)
            stub = {"id": source_id, "naturalKey": natural_key or None}
            if key == "new":
                rendered[source_id] = to_dict(source) if source is not None else stub
            elif key == "deleted":
                rendered[source_id] = to_dict(hub_record) if hub_record is not None else stub
            else:
                changes = field_diff(target, source) if source is not None and target is not None else None
                rendered[source_id] = {**stub, "targetId": target_id, "changes": changes}
        out[key] = rendered
    return out


def build_payload(
    *,
    system: str,
    entity: str,
    direction: str,
    rows: Rows,
    records: dict[str, dict[str, Any]],
    computed_at: datetime,
    ttl: timedelta,
) -> dict[str, Any]:
    return {
        "syncType": system,
        "entityType": entity,
        "direction": direction,
        "computedAt": computed_at.isoformat(),
        "expiresAt": (computed_at + ttl).isoformat(),
        "changes": rows,
        "records": records,
    }


def page_rows(payload: Mapping[str, Any], page: int, page_size: int) -> Rows:
    start = (page - 1) * page_size
    return {key: bucket[start : start + page_size] for key, bucket in payload["changes"].items()}


def unrendered(payload: Mapping[str, Any], window: Rows) -> Rows:
    """The rows of the window whose records the payload does not hold."""
    stored: dict[str, dict[str, Any]] = payload["records"]
    return {key: [r for r in rows if r[0] not in stored[key]] for key, rows in window.items()}


def answer(
    payload: Mapping[str, Any],
    window: Rows,
    extra: Mapping[str, Mapping[str, Any]],
    *,
    hit: bool,
    page: int,
    page_size: int,
) -> dict[str, Any]:
    """The API's answer: counts, one page of records per kind, timestamps and ``cacheHit``."""
    stored: dict[str, dict[str, Any]] = payload["records"]
    delta: dict[str, Any] = {}
    for key, rows in window.items():
        count = len(payload["changes"][key])
        delta[key] = {
            "count": count,
            "records": [stored[key][r[0]] if r[0] in stored[key] else extra[key][r[0]] for r in rows],
            "page": page,
            "pageSize": page_size,
            "totalPages": math.ceil(count / page_size),
        }
    return {
        "syncType": payload["syncType"],
        "entityType": payload["entityType"],
        "direction": payload["direction"],
        "delta": delta,
        "computedAt": payload["computedAt"],
        "expiresAt": payload["expiresAt"],
        "cacheHit": hit,
    }
