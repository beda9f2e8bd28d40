"""The SSH signature of every entry of one record, checked once (第十条, 第十一条, 第十八条).

Pure and independent of git and of the roster: it says which key made each
entry's signature over exactly that entry and the entries before it, or why
not.  Whose key that is, and whether the roster gave it to the signer when the
entry was committed, is ``review/rules.py``'s judgement.  The build runs this
while git history is still being read in the other process (``review/gate.py``
``_prepare``), so a portal's tens of thousands of verifications overlap the
history reading.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from . import messages, sshsig


@dataclass(frozen=True)
class Proof:
    key: sshsig.PublicKey | None = None  # the key that signed, when the signature is valid
    error: sshsig.SSHSigError | None = None  # why not; None with no key: no signature at all

    @property
    def missing(self) -> bool:
        return self.key is None and self.error is None


@functools.lru_cache(maxsize=1 << 16)
def _verify(armoured: str, message: bytes) -> Proof:
    try:
        return Proof(sshsig.verify(armoured, message, messages.NAMESPACE))
    except sshsig.SSHSigError as exc:
        return Proof(None, exc)


def prove(kind: str, entry, previous, items: list[bytes] | None = None) -> Proof:
    """The proof of one ``signature`` or ``consent`` entry after ``previous`` entries
    (``items``: their ``messages.chain_item``s, when already made)."""
    if not entry.sshsig:
        return Proof()
    return _verify(entry.sshsig, messages.entry_message(kind, entry, previous, items))


def prove_record(record) -> dict[tuple[str, int], Proof]:
    """("signatures" | "consents", index) → Proof, for every entry of a ReviewRecord."""
    out = {}
    for kind, field, entries in (("signature", "signatures", record.signatures),
                                 ("consent", "consents", record.consents)):
        items: list[bytes] = []
        for i, entry in enumerate(entries):
            out[(field, i)] = prove(kind, entry, entries[:i], items[:])
            items.append(messages.chain_item(entry))
    return out
