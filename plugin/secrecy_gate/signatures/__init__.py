"""SSH signatures of review entries and approvals (第十条, 第十八条).

The flow, module by module:

- ``sshsig``    the ``SSHSIG`` format of OpenSSH (``ssh-keygen -Y sign``, git's
                ``gpg.format=ssh``): armour, blob, public keys, fingerprints, and
                verification in-process with ``cryptography`` — pure, no git, no
                subprocess.  Every bad input is an ``SSHSigError`` with a finding code.
- ``messages``  what exactly is signed: one canonical byte string per entry (page
                digest, step, opinion, date, signer, and the hash of the entries
                before it: a chain that proves 第十条 order) or per approval.
- ``openssh``   signing, on the signer's machine only: ``ssh-keygen -Y sign`` with the
                key git is configured with (``user.signingKey``, ``ssh-agent``).
- ``policy``    the site's choice ``signatures: ssh | git``, the migration cut-over
                (``ssh_since``) and the fingerprint pin of the first keys (CI setting).

``review/rules.py`` judges entries with ``sshsig`` + ``messages`` against the keys
the roster (``core/roster.py``) gives each person; ``desk/signing.py`` and
``desk/approve.py`` sign with ``openssh``.
"""
