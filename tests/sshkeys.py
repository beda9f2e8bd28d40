"""Test keys for the fictional people of tests/conftest.py (TEST ONLY), and an in-process
signer for machines without ssh-keygen.

Keys are made once per test session with ``cryptography`` and written as OpenSSH private
key files (mode 0600), so that ``ssh-keygen -Y sign`` can use them where it exists.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from secrecy_gate.signatures import messages, sshsig

_DIR = None
_KEYS: dict[str, tuple[object, sshsig.PublicKey, Path]] = {}
HAVE_SSH_KEYGEN = shutil.which("ssh-keygen") is not None


def key(who: str):
    """(private key, PublicKey, private key file) of a person (made on first use)."""
    global _DIR
    if who not in _KEYS:
        if _DIR is None:
            _DIR = Path(tempfile.mkdtemp(prefix="sg-test-keys-"))
        priv = ed25519.Ed25519PrivateKey.generate()
        line = priv.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                              serialization.PublicFormat.OpenSSH).decode()
        pub = sshsig.parse_public_key(line)[0]
        path = _DIR / f"id_{who}"
        path.write_bytes(priv.private_bytes(serialization.Encoding.PEM,
                                            serialization.PrivateFormat.OpenSSH,
                                            serialization.NoEncryption()))
        os.chmod(path, 0o600)
        path.with_suffix(".pub").write_text(f"{line} {who}@test-only\n")
        _KEYS[who] = (priv, pub, path)
    return _KEYS[who]


def public_line(who: str) -> str:
    return f"{key(who)[1].openssh()} {who} TEST ONLY"


def owner_of(path: str) -> str | None:
    for who, (_, _, p) in _KEYS.items():
        if str(p) == str(path):
            return who
    return None


def inprocess_signer(msgs: list[bytes], cwd) -> list[str]:
    """What ``ssh-keygen -Y sign`` would give, for the key git is configured with."""
    import subprocess
    value = subprocess.run(["git", "config", "--get", "user.signingKey"], cwd=cwd,
                           capture_output=True, text=True).stdout.strip()
    who = owner_of(value)
    priv, pub, _ = key(who)
    return [sshsig.sign_with(priv, pub, m, messages.NAMESPACE) for m in msgs]


def signer():
    """The signer tests use: OpenSSH where it exists (the real path), else in-process."""
    return None if HAVE_SSH_KEYGEN else inprocess_signer


def sign_approval(who: str, what: str, name: str, date, digest: str) -> str:
    priv, pub, _ = key(who)
    return sshsig.sign_with(priv, pub, messages.approval_message(what, name, str(date), digest),
                            messages.NAMESPACE)
