"""Component identities: finding or creating the identity of each SBOM component.

An identity's key is the component's canonical purl (with version and qualifiers), else its
first CPE, else ``name@version``; its lookups are the keys matching looks it up under
(``matching.identity.component_query``), computed once when the identity is created.
"""

from __future__ import annotations

from collections.abc import Sequence

from vulndesk.core.errors import VulndeskError
from vulndesk.core.ids.purl import purl_without_version
from vulndesk.core.matching.evaluation import default_evaluator
from vulndesk.core.matching.identity import NotEvaluated, component_query
from vulndesk.core.sbom.model import Component
from vulndesk.server.inventory.models import ComponentIdentity, IdentityLookup

_CHUNK = 500


def identity_key(component: Component) -> str:
    """Return the identity key of ``component``: its purl, else its CPE, else
    ``supplier/name@version`` (two vendors' products of one name are two identities), else
    ``name@version``."""
    if component.purl:
        return component.purl[:1000]
    if component.cpes:
        return component.cpes[0][:1000]
    named = f"{component.name}@{component.version or ''}"
    vendor = component.supplier or component.group
    return (f"{vendor}/{named}" if vendor else named)[:1000]


def identities_for(components: Sequence[Component]) -> list[int]:
    """Return the identity id of each component, creating the identities not stored yet.

    Safe against two workers creating the same identity at once: rows are inserted with
    ``ignore_conflicts`` (ON CONFLICT DO NOTHING) and read back by key.
    """
    keys = [identity_key(c) for c in components]
    ids: dict[str, int] = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = sorted(set(keys[start : start + _CHUNK]))
        ids.update(ComponentIdentity.objects.filter(key__in=chunk).values_list("key", "id"))
    missing: dict[str, Component] = {}
    for key, component in zip(keys, components, strict=True):
        if key not in ids and key not in missing:
            missing[key] = component
    if missing:
        _create(missing)
        created = sorted(missing)
        for start in range(0, len(created), _CHUNK):
            chunk = created[start : start + _CHUNK]
            ids.update(ComponentIdentity.objects.filter(key__in=chunk).values_list("key", "id"))
    return [ids[k] for k in keys]


def _create(components: dict[str, Component]) -> None:
    schemes = default_evaluator().schemes
    rows: list[ComponentIdentity] = []
    lookups: dict[str, list[tuple[str, str]]] = {}
    for key, component in components.items():
        query = component_query(component, schemes)
        reason = query.reason if isinstance(query, NotEvaluated) else ""
        package = ""
        if component.purl:
            try:
                package = purl_without_version(component.purl)[:1000]
            except VulndeskError:
                package = ""
        rows.append(
            ComponentIdentity(
                key=key,
                purl=(component.purl or "")[:1000],
                package=package,
                name=component.name[:500],
                version=(component.version or "")[:200],
                cpe=(component.cpes[0] if component.cpes else "")[:1000],
                supplier=(component.supplier or "")[:500],
                group=(component.group or "")[:500],
                hashes=[f"{h.alg}:{h.value}" for h in component.hashes],
                evaluable=not reason,
                reason=reason,
            )
        )
        if not isinstance(query, NotEvaluated):
            lookups[key] = sorted({(c.key.ecosystem, c.key.name) for c in query.candidates})
    ComponentIdentity.objects.bulk_create(rows, ignore_conflicts=True, batch_size=_CHUNK)
    if not lookups:
        return
    stored = dict(ComponentIdentity.objects.filter(key__in=list(lookups)).values_list("key", "id"))
    IdentityLookup.objects.bulk_create(
        [
            IdentityLookup(identity_id=stored[key], ecosystem=eco, name=name)
            for key, pairs in lookups.items()
            for eco, name in pairs
        ],
        ignore_conflicts=True,
        batch_size=_CHUNK,
    )
