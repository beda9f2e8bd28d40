"""The digest that binds a signature or consent to what it approved (第十条).

``canonical`` covers the page body (line endings normalised to LF) and the
whole front matter except ``review.signatures`` and ``review.consents``,
serialised as sorted, compact JSON.  Any change to the body, the title, the
metadata or any review field changes the digest and voids every signature.
"""

from __future__ import annotations

import hashlib
import json

from .frontmatter import to_jsonable

UNSIGNED_FIELDS = ("signatures", "consents")


def canonical(meta: dict, body: str, jsonable: dict | None = None) -> bytes:
    """``jsonable`` is ``to_jsonable(meta)`` when the caller already has it."""
    data = dict(jsonable) if jsonable is not None else to_jsonable(meta)
    review = data.get("review")
    if isinstance(review, dict):
        data["review"] = {k: v for k, v in review.items() if k not in UNSIGNED_FIELDS}
    body_lf = body.replace("\r\n", "\n").replace("\r", "\n")
    doc = {"front_matter": data, "body": body_lf}
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def page_digest(meta: dict, body: str, jsonable: dict | None = None) -> str:
    return "sha256:" + hashlib.sha256(canonical(meta, body, jsonable)).hexdigest()
