"""Signing on the signer's own machine, by OpenSSH (``ssh-keygen -Y sign``).

The key is the one git signs with (``git config user.signingKey``, as for
``gpg.format=ssh``): a private key file, a public key file whose private half is
in ``ssh-agent`` or on a FIDO token, or a ``key::ssh-ed25519 AAAA…`` literal
(then always through the agent, ``ssh-keygen -U``).  The private key never
passes through this program: OpenSSH asks for the passphrase or the touch.

All messages of one run are signed by one ``ssh-keygen`` call (one passphrase
prompt for a batch of pages).  Only the build's in-process verifier
(``sshsig.py``) decides what a signature proves.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from . import sshsig
from .messages import NAMESPACE


class SigningError(RuntimeError):
    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh}\n{en}")
        self.zh = zh
        self.en = en


def configured_key(cwd: Path) -> str:
    """``user.signingKey`` as git reads it in ``cwd``; SigningError when unset."""
    proc = subprocess.run(["git", "config", "--get", "user.signingKey"], cwd=cwd,
                          capture_output=True, text=True, check=False)
    value = proc.stdout.strip()
    if proc.returncode != 0 or not value:
        raise SigningError(
            "本站要求 SSH 签名（signatures: ssh），但 git 没有配置签名密钥：请运行 "
            "git config --global user.signingKey ~/.ssh/id_ed25519.pub（公钥须已列入名册 keys）",
            "this site requires SSH signatures (signatures: ssh) but git has no signing key: run "
            "`git config --global user.signingKey ~/.ssh/id_ed25519.pub` (the public key must be "
            "listed under your keys in the roster)")
    return value


def public_key_of(value: str, cwd: Path) -> sshsig.PublicKey | None:
    """The public key ``user.signingKey`` names, when it can be read without the private key."""
    try:
        if value.startswith("key::"):
            return sshsig.parse_public_key(value[5:])[0]
        if value.startswith(("ssh-", "ecdsa-", "sk-")):
            return sshsig.parse_public_key(value)[0]
        path = Path(os.path.expanduser(value))
        if not path.is_absolute():
            path = cwd / path
        for candidate in (path, Path(str(path) + ".pub")):
            if candidate.is_file():
                try:
                    return sshsig.parse_public_key(candidate.read_text(encoding="utf-8").strip())[0]
                except (sshsig.SSHSigError, UnicodeDecodeError, OSError):
                    continue
    except sshsig.SSHSigError:
        return None
    return None


def available() -> bool:
    return shutil.which("ssh-keygen") is not None


def sign_messages(messages: list[bytes], cwd: Path) -> list[str]:
    """Each message's armoured SSHSIG (one line), by the key git is configured with."""
    if not available():
        raise SigningError("找不到 ssh-keygen（OpenSSH 8.2 及以上）：SSH 签名需要它",
                           "ssh-keygen (OpenSSH 8.2 or later) was not found; SSH signing needs it")
    value = configured_key(cwd)
    with tempfile.TemporaryDirectory(prefix="secrecy-gate-sign-") as tmp:
        args = ["ssh-keygen", "-q", "-Y", "sign", "-n", NAMESPACE]
        if value.startswith("key::") or value.startswith(("ssh-", "ecdsa-", "sk-")):
            literal = value[5:] if value.startswith("key::") else value
            keyfile = Path(tmp) / "key.pub"
            keyfile.write_text(literal.strip() + "\n", encoding="utf-8")
            args += ["-U", "-f", str(keyfile)]  # the private key is in ssh-agent
        else:
            path = Path(os.path.expanduser(value))
            args += ["-f", str(path if path.is_absolute() else cwd / path)]
        files = []
        for i, message in enumerate(messages):
            f = Path(tmp) / f"entry-{i}"
            f.write_bytes(message)
            files.append(f)
        # stdin stays the terminal: ssh-keygen may ask for a passphrase or a touch.
        proc = subprocess.run(args + [str(f) for f in files], cwd=cwd, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, check=False)
        if proc.returncode != 0:
            err = proc.stderr.strip()
            raise SigningError(f"ssh-keygen 签名失败：{err}", f"ssh-keygen failed to sign: {err}")
        out = []
        for f in files:
            try:
                armoured = Path(str(f) + ".sig").read_text(encoding="ascii")
            except OSError as exc:
                raise SigningError(f"ssh-keygen 没有写出签名：{exc}", f"ssh-keygen wrote no signature: {exc}") from None
            out.append(sshsig.armour(sshsig.dearmour(armoured)))
    return out
