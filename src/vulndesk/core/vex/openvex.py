"""The OpenVEX codec (openvex/spec v0.2.0; v0.0.x documents are read too).

**Reading.** A document is ``{@context, @id, author, timestamp, version, statements[]}``; a
statement ``{vulnerability {name, aliases}, products[] {@id, identifiers {purl, cpe22, cpe23},
subcomponents[] {@id, identifiers}}, status, justification, impact_statement, action_statement,
status_notes, timestamp}``. The v0.0.x shapes are accepted as well: the vulnerability as a bare
string, products and subcomponents as bare strings, and ``subcomponents`` at the statement level
(they then belong to every product of the statement). A product's ``purl`` is
``identifiers.purl``, else its ``@id`` when that is a purl; its ``cpe`` likewise. The statement
timestamp is the statement's own; the document's is not copied down, so that writing the
statement back does not add one.

**Writing** (:func:`openvex_document`) gives a v0.2.0 document. What OpenVEX cannot carry is lost
or reshaped, as follows:

- ``responses`` and ``native_state`` have no OpenVEX field and are dropped (a CycloneDX
  ``protected_at_runtime`` becomes plain ``inline_mitigations_already_exist``);
- ``detail`` becomes ``status_notes``;
- ``not_affected`` needs a justification or an impact statement: when the statement has neither,
  its ``detail`` becomes the impact statement (else a sentence saying no reason was given);
  ``affected`` needs an action statement: ``detail``, else the responses in words, else a
  sentence saying none was given;
- a product is named by its ``ref`` when the document was OpenVEX, else by its purl (then CPE,
  then ref), since OpenVEX asks for software identifiers rather than a BOM's local bom-refs or a
  CSAF product_id;
- a product limited to some versions (:class:`~vulndesk.core.vex.model.VexVersion`) becomes one
  product per version, the purl with that version; OpenVEX has no version ranges, so a range (or
  a version of a product without a purl) raises VexError rather than widen the statement to
  every version (``vers:all/*``, which limits nothing, is dropped);
- CSAF product names, vendors and CycloneDX component names are not written (OpenVEX products are
  identifiers only).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Final

from vulndesk.core.advisories.csaf import _str, _timestamp
from vulndesk.core.advisories.jsonfields import array, fail, json_object, optional_str
from vulndesk.core.advisories.osv import format_timestamp
from vulndesk.core.errors import AdvisoryError, IdentifierError
from vulndesk.core.ids.purl import is_purl, parse_purl
from vulndesk.core.vex.model import (
    JUSTIFICATIONS,
    VexDocument,
    VexError,
    VexProduct,
    VexStatement,
    VexStatus,
    vex_error,
)

__all__ = ["OPENVEX_CONTEXT", "is_openvex_context", "openvex_document", "parse_openvex"]

#: The @context of the documents written here.
OPENVEX_CONTEXT: Final = "https://openvex.dev/ns/v0.2.0"
_CONTEXT_PREFIX: Final = "https://openvex.dev/ns"
_STATUSES: Final = tuple(s.value for s in VexStatus)
_EVERY_VERSION: Final = ("vers:all/*", "*")  # a "range" that limits nothing
_NO_REASON: Final = "No justification or impact statement was given in the source statement."
_NO_ACTION: Final = "No action statement was given in the source statement."


def is_openvex_context(context: object) -> bool:
    """Return whether a JSON-LD ``@context`` value (a string or a list) names OpenVEX."""
    items = context if isinstance(context, list) else [context]
    return any(isinstance(c, str) and c.startswith(_CONTEXT_PREFIX) for c in items)


# --- reading --------------------------------------------------------------------------------------


def parse_openvex(obj: object, *, source: str) -> VexDocument:
    """Return the VexDocument of an OpenVEX document (already decoded from JSON).

    Raise :class:`~vulndesk.core.vex.model.VexError` naming ``source`` and the JSON path of the
    first problem.
    """
    try:
        return _document(obj, source)
    except AdvisoryError as e:
        raise vex_error(e) from e


def _document(obj: object, source: str) -> VexDocument:
    doc = json_object(obj, source, "$", "an OpenVEX document (a JSON object)")
    if not is_openvex_context(doc.get("@context")):
        raise fail(
            source, "$['@context']", f"an OpenVEX context ({OPENVEX_CONTEXT})", doc.get("@context")
        )
    statements = tuple(
        _statement(value, source, f"$.statements[{i}]")
        for i, value in enumerate(array(doc, "statements", source, "$"))
    )
    return VexDocument(
        format="openvex",
        id=optional_str(doc, "@id", source, "$") or "",
        author=optional_str(doc, "author", source, "$") or "",
        timestamp=_timestamp(doc, "timestamp", source, "$"),
        version=_version(doc.get("version"), source, "$.version"),
        statements=statements,
    )


def _version(value: object, source: str, path: str) -> int:
    # v0.2.0 says integer; v0.0.x examples wrote "1"
    if value is None:
        return 1
    if type(value) is int and value >= 1:
        return value
    if type(value) is str and value.isdigit() and int(value) >= 1:
        return int(value)
    raise fail(source, path, "a version number (an integer from 1)", value)


def _enum(value: object, allowed: tuple[str, ...], source: str, path: str) -> str:
    if type(value) is str and value in allowed:
        return value
    raise fail(source, path, "one of " + ", ".join(allowed), value)


def _statement(value: object, source: str, path: str) -> VexStatement:
    item = json_object(value, source, path)
    name, aliases = _vulnerability(item.get("vulnerability"), source, f"{path}.vulnerability")
    if "status" not in item:
        raise AdvisoryError("missing required field 'status'", source=source, location=path)
    status = VexStatus(_enum(item["status"], _STATUSES, source, f"{path}.status"))
    justification = None
    if item.get("justification") is not None:
        justification = _enum(
            item["justification"], JUSTIFICATIONS, source, f"{path}.justification"
        )
    # v0.0.x: subcomponents beside the products, meant for each of them
    shared = tuple(
        _product(sub, source, f"{path}.subcomponents[{i}]", ())
        for i, sub in enumerate(array(item, "subcomponents", source, path))
    )
    products = tuple(
        _product(product, source, f"{path}.products[{i}]", shared)
        for i, product in enumerate(array(item, "products", source, path))
    )
    return VexStatement(
        vulnerability=name,
        status=status,
        products=products,
        aliases=aliases,
        justification=justification,
        impact_statement=optional_str(item, "impact_statement", source, path) or "",
        action_statement=optional_str(item, "action_statement", source, path) or "",
        detail=optional_str(item, "status_notes", source, path) or "",
        timestamp=_timestamp(item, "timestamp", source, path),
    )


def _vulnerability(value: object, source: str, path: str) -> tuple[str, tuple[str, ...]]:
    if type(value) is str and value.strip():  # v0.0.x
        return value.strip(), ()
    if value is None:
        raise AdvisoryError(
            "missing required field 'vulnerability'",
            source=source,
            location=path.rpartition(".")[0],
        )
    vuln = json_object(value, source, path, "a vulnerability object {name, aliases} or an id")
    name = _str(vuln, "name", source, path).strip()
    aliases: list[str] = []
    for i, alias in enumerate(array(vuln, "aliases", source, path)):
        if type(alias) is not str or not alias.strip():
            raise fail(source, f"{path}.aliases[{i}]", "a non-empty string", alias)
        if alias.strip() != name and alias.strip() not in aliases:
            aliases.append(alias.strip())
    return name, tuple(aliases)


def _product(value: object, source: str, path: str, shared: tuple[VexProduct, ...]) -> VexProduct:
    if type(value) is str and value.strip():  # v0.0.x
        ref = value.strip()
        return VexProduct(
            ref=ref,
            purl=ref if is_purl(ref) else None,
            cpe=ref if ref.startswith("cpe:") else None,
            subcomponents=shared,
        )
    product = json_object(value, source, path, "a product object {@id, identifiers} or an id")
    at_id = optional_str(product, "@id", source, path)
    identifiers = product.get("identifiers")
    ids = {} if identifiers is None else json_object(identifiers, source, f"{path}.identifiers")
    where = f"{path}.identifiers"
    purl = optional_str(ids, "purl", source, where)
    # the spec's examples say cpe22/cpe23; its JSON schema once said @cpe22/@cpe23
    cpe = None
    for key in ("cpe23", "@cpe23", "cpe22", "@cpe22"):
        cpe = cpe or optional_str(ids, key, source, where)
    ref = (at_id or "").strip() or purl or cpe or ""
    if not ref:
        raise AdvisoryError(
            "a product needs an '@id' or identifiers (purl, cpe23, cpe22)",
            source=source,
            location=path,
        )
    subcomponents = tuple(
        _product(sub, source, f"{path}.subcomponents[{i}]", ())
        for i, sub in enumerate(array(product, "subcomponents", source, path))
    )
    return VexProduct(
        ref=ref,
        purl=purl or (ref if is_purl(ref) else None),
        cpe=cpe or (ref if ref.startswith("cpe:") else None),
        subcomponents=subcomponents + shared,
    )


# --- writing --------------------------------------------------------------------------------------


def openvex_document(doc: VexDocument) -> dict[str, Any]:
    """Return ``doc`` as an OpenVEX v0.2.0 document, ready for ``json.dumps``.

    Lossy where OpenVEX is smaller (module docstring). Raise VexError for a statement limited to
    version ranges, which OpenVEX cannot express.
    """
    own = doc.format == "openvex"
    timestamp = doc.timestamp or _latest(doc) or datetime.now(UTC)
    out: dict[str, Any] = {
        "@context": OPENVEX_CONTEXT,
        # no id (a CycloneDX BOM without serialNumber): one derived from the content, so that
        # writing the same statements twice gives the same document
        "@id": doc.id or f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, repr(doc))}",
        "author": doc.author or "Unknown Author",
        "timestamp": format_timestamp(timestamp),
        "version": max(doc.version, 1),
        "statements": [
            _statement_json(s, own, f"statement {i} ({s.vulnerability})")
            for i, s in enumerate(doc.statements)
        ],
    }
    return out


def _latest(doc: VexDocument) -> datetime | None:
    stamps = [s.timestamp for s in doc.statements if s.timestamp is not None]
    return max(stamps) if stamps else None


def _statement_json(s: VexStatement, own: bool, what: str) -> dict[str, Any]:
    vulnerability: dict[str, Any] = {"name": s.vulnerability}
    if s.aliases:
        vulnerability["aliases"] = list(s.aliases)
    out: dict[str, Any] = {"vulnerability": vulnerability}
    if s.timestamp is not None:
        out["timestamp"] = format_timestamp(s.timestamp)
    products: list[dict[str, Any]] = []
    for product in s.products:
        products.extend(_product_json(product, own, what))
    out["products"] = products
    out["status"] = s.status.value
    notes, impact, action = s.detail, s.impact_statement, s.action_statement
    if s.status is VexStatus.NOT_AFFECTED and not s.justification and not impact:
        impact, notes = (notes, "") if notes else (_NO_REASON, notes)
    if s.status is VexStatus.AFFECTED and not action:
        if notes:
            action, notes = notes, ""
        elif s.responses:
            action = "Vendor response: " + ", ".join(r.replace("_", " ") for r in s.responses)
        else:
            action = _NO_ACTION
    if notes:
        out["status_notes"] = notes
    if s.justification:
        out["justification"] = s.justification
    if impact:
        out["impact_statement"] = impact
    if action:
        out["action_statement"] = action
    return out


def _identifier(product: VexProduct, own: bool) -> str:
    if own:
        return product.ref
    return product.purl or product.cpe or product.ref


def _identifiers(product: VexProduct, at_id: str) -> dict[str, str]:
    ids: dict[str, str] = {}
    if product.purl and product.purl != at_id:
        ids["purl"] = product.purl
    if product.cpe and product.cpe != at_id:
        ids["cpe23" if product.cpe.startswith("cpe:2.3:") else "cpe22"] = product.cpe
    return ids


def _product_json(product: VexProduct, own: bool, what: str) -> list[dict[str, Any]]:
    subcomponents = []
    for sub in product.subcomponents:
        sub_id = _identifier(sub, own)
        item: dict[str, Any] = {"@id": sub_id}
        if ids := _identifiers(sub, sub_id):
            item["identifiers"] = ids
        subcomponents.append(item)
    targets = [product]
    specs = [v for v in product.versions if v.range not in _EVERY_VERSION]
    if specs:
        targets = [_versioned(product, v.version or v.range, what) for v in specs]
    out = []
    for target in targets:
        at_id = _identifier(target, own)
        item = {"@id": at_id}
        if ids := _identifiers(target, at_id):
            item["identifiers"] = ids
        if subcomponents:
            item["subcomponents"] = subcomponents
        out.append(item)
    return out


def _versioned(product: VexProduct, version: str, what: str) -> VexProduct:
    """Return ``product`` narrowed to one exact ``version`` (its purl with that version)."""
    if version.startswith("vers:") or not product.purl:
        raise VexError(
            f"{what}: product {product.ref!r} is limited to version {version!r}, which OpenVEX "
            "cannot express (it has no version ranges, and a version needs a purl to carry it); "
            "write this document as CycloneDX or CSAF instead"
        )
    try:
        narrowed = parse_purl(product.purl)._replace(version=version).to_string()
    except IdentifierError as e:
        raise VexError(f"{what}: product {product.ref!r}: {e}") from e
    return VexProduct(ref=narrowed, purl=narrowed, cpe=None, name=product.name, version=version)
