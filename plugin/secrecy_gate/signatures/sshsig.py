"""The ``SSHSIG`` format (OpenSSH ``PROTOCOL.sshsig``), read and verified in-process.

An armoured signature is::

    -----BEGIN SSH SIGNATURE-----
    base64 of: "SSHSIG" uint32(1) string(publickey) string(namespace)
               string(reserved) string(hash_algorithm) string(signature)
    -----END SSH SIGNATURE-----

and what the key signed is ``"SSHSIG" string(namespace) string(reserved)
string(hash_algorithm) string(H(message))``.  Hardware (FIDO ``sk-``) keys sign
``sha256(application) || flags || counter || sha256(that)``; their signature
carries the flags and the counter after it.

Verification uses ``cryptography`` (one well-kept library, no subprocess per
signature: a portal has tens of thousands of entries).  Everything that is not
exactly right raises ``SSHSigError`` with a finding code — garbled armour, a
truncated or padded blob, an unknown key type, another namespace, a signature
over other data — and nothing else ever escapes ``verify``: a property test
feeds it random bytes.

A review entry is one YAML line (``desk/signing.py`` writes one-line flow
entries, which the history reader reads fast), so the armour is stored with its
line breaks as spaces; ``armour`` / ``dearmour`` accept both forms, and
``openssh_armour`` gives the exact file ``ssh-keygen -Y verify`` reads.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import re
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

try:  # libsodium: Ed25519 in ~60% of OpenSSL's time here, and without holding the GIL
    from nacl.bindings import crypto_sign_open as _sodium_open
    from nacl.exceptions import BadSignatureError as _SodiumBad
except ImportError:  # pragma: no cover - PyNaCl is a dependency; OpenSSL alone still verifies
    _sodium_open = None

BEGIN = "-----BEGIN SSH SIGNATURE-----"
END = "-----END SSH SIGNATURE-----"
MAGIC = b"SSHSIG"
VERSION = 1
HASHES = {"sha256": hashlib.sha256, "sha512": hashlib.sha512}
# A signature blob is a few hundred bytes (RSA 8192: ~2.1 KB); anything far larger is refused
# before decoding, so a hostile page cannot make the build decode megabytes per entry.
MAX_ARMOUR = 16384

ED25519 = "ssh-ed25519"
RSA = "ssh-rsa"
SK_ED25519 = "sk-ssh-ed25519@openssh.com"
SK_ECDSA = "sk-ecdsa-sha2-nistp256@openssh.com"
ECDSA = {"ecdsa-sha2-nistp256": (ec.SECP256R1, hashes.SHA256),
         "ecdsa-sha2-nistp384": (ec.SECP384R1, hashes.SHA384),
         "ecdsa-sha2-nistp521": (ec.SECP521R1, hashes.SHA512)}
RSA_SIGS = {"rsa-sha2-256": hashes.SHA256, "rsa-sha2-512": hashes.SHA512}
KEY_TYPES = (ED25519, *ECDSA, RSA, SK_ED25519, SK_ECDSA)
MIN_RSA_BITS = 2048
SK_USER_PRESENT = 0x01


class SSHSigError(ValueError):
    """Why a signature or key is refused.  ``code`` is the finding code (``sshsig.*``)."""

    def __init__(self, code: str, zh: str, en: str):
        super().__init__(en)
        self.code = code
        self.zh = zh
        self.en = en


def _armour_error(zh: str, en: str) -> SSHSigError:
    return SSHSigError("sshsig.armour", zh, en)


def _malformed(zh: str, en: str) -> SSHSigError:
    return SSHSigError("sshsig.malformed", zh, en)


class _Reader:
    """SSH wire format (RFC 4251): uint32 and length-prefixed strings, strictly bounded."""

    def __init__(self, data: bytes, what: str):
        self.data = data
        self.pos = 0
        self.what = what

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise _malformed(f"{self.what}被截断", f"the {self.what} is truncated")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def uint32(self) -> int:
        return struct.unpack(">I", self.take(4))[0]

    def string(self) -> bytes:
        return self.take(self.uint32())

    def text(self) -> str:
        raw = self.string()
        try:
            return raw.decode("ascii")
        except UnicodeDecodeError:
            raise _malformed(f"{self.what}含非 ASCII 名称", f"the {self.what} holds a non-ASCII name") from None

    def mpint(self) -> int:
        raw = self.string()
        if raw and raw[0] & 0x80:
            raise _malformed(f"{self.what}含负整数", f"the {self.what} holds a negative integer")
        return int.from_bytes(raw, "big")

    def end(self) -> None:
        if self.pos != len(self.data):
            raise _malformed(f"{self.what}末尾有多余数据", f"the {self.what} has trailing data")


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


# -- public keys ------------------------------------------------------------------

@dataclass(frozen=True)
class PublicKey:
    """One SSH public key: its type, its wire blob, and the key ``cryptography`` verifies with."""

    type: str
    blob: bytes
    key: object  # Ed25519PublicKey | EllipticCurvePublicKey | RSAPublicKey
    application: bytes = b""  # sk- keys: the FIDO application (normally b"ssh:")
    raw: bytes = b""  # Ed25519 keys: the 32 bytes of the point (what libsodium verifies with)

    @property
    def fingerprint(self) -> str:
        """As ``ssh-keygen -l`` prints it: ``SHA256:`` and unpadded base64."""
        return fingerprint(self.blob)

    def openssh(self) -> str:
        """``type base64`` — the line an ``allowed_signers`` or ``.pub`` file holds."""
        return f"{self.type} {base64.b64encode(self.blob).decode()}"


def fingerprint(blob: bytes) -> str:
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def _unsupported(key_type: str) -> SSHSigError:
    shown = key_type if len(key_type) <= 60 and key_type.isprintable() else repr(key_type[:60])
    return SSHSigError("sshsig.key-type", f"不支持的密钥类型 {shown}（支持：{', '.join(KEY_TYPES)}）",
                       f"unsupported key type {shown} (supported: {', '.join(KEY_TYPES)})")


@functools.lru_cache(maxsize=1024)
def parse_key_blob(blob: bytes) -> PublicKey:
    """The wire form of a public key → PublicKey; SSHSigError when unsupported or malformed."""
    r = _Reader(blob, "公钥")
    r.what = "public key"
    key_type = r.text()
    try:
        if key_type == ED25519 or key_type == SK_ED25519:
            raw = r.string()
            if len(raw) != 32:
                raise _malformed("Ed25519 公钥长度不是 32 字节", "the Ed25519 public key is not 32 bytes")
            key = ed25519.Ed25519PublicKey.from_public_bytes(raw)
            app = r.string() if key_type == SK_ED25519 else b""
        elif key_type in ECDSA or key_type == SK_ECDSA:
            name = "ecdsa-sha2-nistp256" if key_type == SK_ECDSA else key_type
            curve_name = r.text()
            if curve_name != name.rsplit("-", 1)[1]:
                raise _malformed(f"ECDSA 公钥的曲线 {curve_name} 与类型 {key_type} 不符",
                                 f"the ECDSA curve {curve_name} does not match the type {key_type}")
            key = ec.EllipticCurvePublicKey.from_encoded_point(ECDSA[name][0](), r.string())
            app = r.string() if key_type == SK_ECDSA else b""
        elif key_type == RSA:
            e, n = r.mpint(), r.mpint()
            if n.bit_length() < MIN_RSA_BITS or e < 3 or e % 2 == 0:
                raise SSHSigError("sshsig.key-type", f"RSA 密钥短于 {MIN_RSA_BITS} 位或参数无效",
                                  f"the RSA key is shorter than {MIN_RSA_BITS} bits or invalid")
            key = rsa.RSAPublicNumbers(e, n).public_key()
            app = b""
        else:
            raise _unsupported(key_type)
    except SSHSigError:
        raise
    except (ValueError, TypeError) as exc:  # cryptography: a point off the curve, and the like
        raise _malformed(f"公钥无效：{exc}", f"the public key is invalid: {exc}") from None
    r.end()
    return PublicKey(key_type, bytes(blob), key, app,
                     bytes(raw) if key_type in (ED25519, SK_ED25519) else b"")


def _ed25519_verify(key: PublicKey, sig: bytes, data: bytes) -> None:
    """Ed25519 (RFC 8032) by libsodium where PyNaCl is installed, else by OpenSSL; raises
    InvalidSignature.  Both reject a non-canonical S; libsodium also rejects small-order
    keys and points, so it accepts no signature OpenSSL would refuse."""
    if _sodium_open is None or len(key.raw) != 32:
        key.key.verify(sig, data)
        return
    if len(sig) != 64:  # libsodium reads the first 64 bytes of signature + message as the signature
        raise InvalidSignature
    try:
        _sodium_open(sig + data, key.raw)
    except (_SodiumBad, ValueError, TypeError):
        raise InvalidSignature from None


_KEY_LINE = re.compile(r"^\s*(\S+)\s+([A-Za-z0-9+/=]+)(?:\s+(.*?))?\s*$")


def parse_public_key(line: str) -> tuple[PublicKey, str]:
    """``ssh-ed25519 AAAA… comment`` (a ``.pub`` line) → (PublicKey, comment)."""
    m = _KEY_LINE.match(line or "") if isinstance(line, str) else None
    if m is None:
        raise _malformed("公钥应写作“类型 base64 注释”，如 ssh-ed25519 AAAA… 张三",
                         "a public key is written `type base64 comment`, e.g. ssh-ed25519 AAAA… name")
    try:
        blob = base64.b64decode(m.group(2), validate=True)
    except (binascii.Error, ValueError):
        raise _malformed("公钥的 base64 无效", "the public key's base64 is invalid") from None
    key = parse_key_blob(blob)
    if key.type != m.group(1):
        raise _malformed(f"公钥行写的类型 {m.group(1)} 与密钥本身的类型 {key.type} 不符",
                         f"the line says {m.group(1)} but the key is {key.type}")
    return key, m.group(3) or ""


# -- the armour -------------------------------------------------------------------

def armour(blob: bytes, one_line: bool = True) -> str:
    """The armoured signature; ``one_line`` puts spaces where OpenSSH puts line breaks."""
    b64 = base64.b64encode(blob).decode()
    lines = [BEGIN, *(b64[i:i + 70] for i in range(0, len(b64), 70)), END]
    return (" " if one_line else "\n").join(lines) + ("" if one_line else "\n")


def dearmour(text) -> bytes:
    """Armoured text (line breaks or spaces) → the blob.  SSHSigError when garbled."""
    if not isinstance(text, str):
        raise _armour_error("签名不是文本", "the signature is not text")
    if len(text) > MAX_ARMOUR:
        raise _armour_error("签名过长", "the signature is too long")
    text = text.strip()
    if not text.startswith(BEGIN) or not text.endswith(END) or len(text) < len(BEGIN) + len(END):
        raise _armour_error(f"签名应以 {BEGIN} 开头、以 {END} 结尾",
                            f"the signature must start with {BEGIN} and end with {END}")
    body = "".join(text[len(BEGIN):len(text) - len(END)].split())
    if not body or not re.fullmatch(r"[A-Za-z0-9+/]+={0,2}", body):
        raise _armour_error("签名的 base64 内容无效", "the signature's base64 is invalid")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise _armour_error("签名的 base64 内容无效", "the signature's base64 is invalid") from None


def openssh_armour(text: str) -> str:
    """Any armour this module reads → exactly what ``ssh-keygen -Y sign`` writes."""
    return armour(dearmour(text), one_line=False)


# -- the signature --------------------------------------------------------------------

@dataclass(frozen=True)
class Parsed:
    key: PublicKey
    namespace: str
    hash_alg: str
    sig_type: str
    sig: bytes  # the raw signature inside the SSH signature blob
    flags: int = 0  # sk- keys
    counter: int = 0  # sk- keys
    reserved: bytes = b""  # signed over as it is, meaning nothing yet


def parse(blob: bytes) -> Parsed:
    """The SSHSIG blob → its fields.  SSHSigError when it is not exactly the format."""
    r = _Reader(blob, "签名")
    r.what = "signature"
    if r.take(6) != MAGIC:
        raise _malformed("签名不以 SSHSIG 开头", "the signature does not start with SSHSIG")
    version = r.uint32()
    if version != VERSION:
        raise _malformed(f"不支持的 SSHSIG 版本 {version}", f"unsupported SSHSIG version {version}")
    key_blob = r.string()
    namespace_raw = r.string()
    reserved = r.string()
    hash_alg = r.text()
    sig_blob = r.string()
    r.end()
    key = parse_key_blob(key_blob)
    try:
        namespace = namespace_raw.decode("utf-8")
    except UnicodeDecodeError:
        namespace = repr(namespace_raw)
    if hash_alg not in HASHES:
        raise SSHSigError("sshsig.hash", f"不支持的摘要算法 {hash_alg[:20]!r}（只接受 sha256、sha512）",
                          f"unsupported hash algorithm {hash_alg[:20]!r} (sha256 or sha512 only)")
    s = _Reader(sig_blob, "签名值")
    s.what = "signature value"
    sig_type = s.text()
    sig = s.string()
    flags = counter = 0
    if key.type in (SK_ED25519, SK_ECDSA):
        flags = s.take(1)[0]
        counter = s.uint32()
    s.end()
    return Parsed(key, namespace, hash_alg, sig_type, sig, flags, counter, reserved)


def signed_data(namespace: str, hash_alg: str, message: bytes, reserved: bytes = b"") -> bytes:
    """What the key signs (before the sk- wrapping)."""
    h = HASHES[hash_alg](message).digest()
    return (MAGIC + _string(namespace.encode()) + _string(reserved) + _string(hash_alg.encode())
            + _string(h))


def _invalid(zh: str = "签名与所签内容不符（签的是别的内容，或已被改动）",
             en: str = "the signature does not match what it claims to sign (other data, or altered)"):
    return SSHSigError("sshsig.invalid", zh, en)


def _ecdsa_sig(raw: bytes) -> bytes:
    r = _Reader(raw, "ECDSA 签名")
    r.what = "ECDSA signature"
    rr, ss = r.mpint(), r.mpint()
    r.end()
    return encode_dss_signature(rr, ss)


def _check(parsed: Parsed, data: bytes) -> None:
    key, t = parsed.key, parsed.key.type
    try:
        if t == ED25519:
            if parsed.sig_type != ED25519:
                raise _invalid()
            _ed25519_verify(key, parsed.sig, data)
        elif t in ECDSA:
            if parsed.sig_type != t:
                raise _invalid()
            key.key.verify(_ecdsa_sig(parsed.sig), data, ec.ECDSA(ECDSA[t][1]()))
        elif t == RSA:
            alg = RSA_SIGS.get(parsed.sig_type)
            if alg is None:
                raise SSHSigError("sshsig.key-type",
                                  f"RSA 签名算法 {parsed.sig_type[:30]} 不被接受（只接受 rsa-sha2-256、rsa-sha2-512）",
                                  f"the RSA signature algorithm {parsed.sig_type[:30]} is not accepted "
                                  "(rsa-sha2-256 or rsa-sha2-512 only)")
            key.key.verify(parsed.sig, data, padding.PKCS1v15(), alg())
        elif t in (SK_ED25519, SK_ECDSA):
            if parsed.sig_type != t:
                raise _invalid()
            if not parsed.flags & SK_USER_PRESENT:
                raise _invalid("硬件密钥签名时未确认用户在场（未触摸密钥）",
                               "the hardware key signed without user presence (no touch)")
            wrapped = (hashlib.sha256(key.application).digest() + bytes([parsed.flags])
                       + struct.pack(">I", parsed.counter) + hashlib.sha256(data).digest())
            if t == SK_ED25519:
                _ed25519_verify(key, parsed.sig, wrapped)
            else:
                key.key.verify(_ecdsa_sig(parsed.sig), wrapped, ec.ECDSA(hashes.SHA256()))
        else:  # parse_key_blob admits nothing else
            raise _unsupported(t)
    except InvalidSignature:
        raise _invalid() from None
    except SSHSigError:
        raise
    except (ValueError, TypeError, OverflowError) as exc:
        raise _invalid(f"签名无法验证：{exc}", f"the signature cannot be verified: {exc}") from None


def verify(armoured, message: bytes, namespace: str) -> PublicKey:
    """The key that made ``armoured`` over ``message`` in ``namespace``; SSHSigError otherwise.

    Says nothing of *whose* key it is: the caller compares it with the keys the
    roster gives the signer (``PublicKey.blob``).
    """
    try:
        parsed = parse(dearmour(armoured))
    except SSHSigError:
        raise
    except Exception as exc:  # noqa: BLE001 - a reader bug must not crash a build: refuse
        raise _malformed(f"签名无法解析：{exc!r}", f"the signature cannot be parsed: {exc!r}") from None
    if parsed.namespace != namespace:
        shown = parsed.namespace[:40]
        raise SSHSigError("sshsig.namespace",
                          f"签名的命名空间是 {shown!r}，不是 {namespace!r}：这是为别的用途做的签名",
                          f"the signature's namespace is {shown!r}, not {namespace!r}: it was made "
                          "for another purpose")
    try:
        data = signed_data(namespace, parsed.hash_alg, message, parsed.reserved)
        _check(parsed, data)
    except SSHSigError:
        raise
    except Exception as exc:  # noqa: BLE001 - fail closed, never crash
        raise _invalid(f"签名无法验证：{exc!r}", f"the signature cannot be verified: {exc!r}") from None
    return parsed.key


def sign_with(private_key, public: PublicKey, message: bytes, namespace: str,
              hash_alg: str = "sha512") -> str:
    """An SSHSIG made in-process by a ``cryptography`` private key (ed25519, ECDSA, RSA).

    For the bench and tests (a portal of test keys); people sign with OpenSSH
    (``signatures/openssh.py``), whose keys never leave their agent or token.
    """
    data = signed_data(namespace, hash_alg, message)
    if public.type == ED25519:
        sig_type, raw = ED25519, private_key.sign(data)
    elif public.type in ECDSA:
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
        rr, ss = decode_dss_signature(private_key.sign(data, ec.ECDSA(ECDSA[public.type][1]())))
        sig_type, raw = public.type, _string(_mpint(rr)) + _string(_mpint(ss))
    elif public.type == RSA:
        sig_type = "rsa-sha2-512"
        raw = private_key.sign(data, padding.PKCS1v15(), hashes.SHA512())
    else:
        raise _unsupported(public.type)
    blob = (MAGIC + struct.pack(">I", VERSION) + _string(public.blob) + _string(namespace.encode())
            + _string(b"") + _string(hash_alg.encode())
            + _string(_string(sig_type.encode()) + _string(raw)))
    return armour(blob)


def _mpint(n: int) -> bytes:
    raw = n.to_bytes((n.bit_length() + 8) // 8, "big") if n else b""
    return raw
