"""A real IMAP server for the mail tests: Debian's Dovecot, run in the foreground with its own
configuration in a temporary folder (a passwd-file user, plain login over localhost, maildirs
in the folder), once per test session. It also listens for IMAP over SSL on `ssl_port`, with
a certificate for 127.0.0.1 made for the session and signed by its own authority (`ca_file`).

Import `imap_server` into a conftest.py (or a test module) to use it. Without the dovecot
binary the tests skip, saying what to install; under CI=true they fail instead, since CI
installs it (.ci/run, scripts/system-packages).
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

DOVECOT = os.environ.get("METER_DOVECOT", "/usr/sbin/dovecot")
# A fixed port by METER_DOVECOT_PORT; else a free one, as each pytest-xdist worker runs its own.
PORT_GIVEN = os.environ.get("METER_DOVECOT_PORT", "")
USER = "support"
PASSWORD = "support-pass-1403"


@dataclass
class ImapServer:
    host: str
    port: int
    user: str
    password: str
    ssl_port: int = 0
    ca_file: str = ""

    def settings(self, **overrides: object) -> dict[str, object]:
        """A site's "mail_in" section naming this server."""
        return {
            "HOST": self.host,
            "PORT": self.port,
            "SSL": False,
            "USER": self.user,
            "PASSWORD": self.password,
            "MAILBOX": "INBOX",
            "TIMEOUT": 5,
            **overrides,
        }

    def _client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4(self.host, self.port, timeout=5)
        client.login(self.user, self.password)
        client.select("INBOX")
        return client

    def append(self, raw: bytes) -> None:
        """Deliver a message into the inbox, unseen, as a mail server would."""
        client = self._client()
        try:
            status, _ = client.append("INBOX", None, None, raw)
            assert status == "OK"
        finally:
            client.logout()

    def unseen(self) -> int:
        client = self._client()
        try:
            _, data = client.uid("SEARCH", None, "UNSEEN")
            return len((data[0] or b"").split())
        finally:
            client.logout()

    def empty(self) -> None:
        client = self._client()
        try:
            client.store("1:*", "+FLAGS", "(\\Deleted)")
            client.expunge()
        except imaplib.IMAP4.error:
            pass  # an empty mailbox has no 1:*
        finally:
            client.logout()


def _certificates(folder: Path) -> None:
    """A throwaway authority (ca.pem) and a certificate it signs for 127.0.0.1 (cert.pem,
    key.pem), so the client's verification is tried for real."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "meter test mail CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "cert.pem").write_bytes(cert.public_bytes(pem))
    (folder / "key.pem").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


def _config(folder: Path, port: int, ssl_port: int) -> str:
    if os.geteuid() == 0:
        # Dovecot drops root: mail is kept as nobody, its own processes run as its users.
        mail_user, internal = "uid=nobody gid=nogroup", ""
        for sub in ("mail", "home"):
            shutil.chown(folder / sub, "nobody", "nogroup")
    else:
        me = pwd.getpwuid(os.getuid())
        mail_user = f"uid={me.pw_uid} gid={me.pw_gid}"
        internal = f"default_internal_user = {me.pw_name}\ndefault_login_user = {me.pw_name}\n"
    return f"""
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
{internal}protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{folder}/cert.pem
ssl_key = <{folder}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 0
mail_location = maildir:{folder}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/passwd
}}
userdb {{
  driver = static
  args = {mail_user} home={folder}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {ssl_port}
  }}
}}
service anvil {{
  chroot =
}}
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(process: subprocess.Popen, log: Path, port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dovecot stopped: {log.read_text(errors='replace')[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("dovecot did not listen within 10 seconds")


@pytest.fixture(scope="session")
def imap_server():
    if not (shutil.which(DOVECOT) or os.path.exists(DOVECOT)):
        reason = f"needs Dovecot at {DOVECOT}: apt-get install dovecot-imapd"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)  # CI installs it: missing there is a broken setup
        pytest.skip(reason)
    folder = Path(tempfile.mkdtemp(prefix="meter-dovecot-"))
    folder.chmod(0o755)  # the mail processes run as another user
    for sub in ("mail", "home", "run", "state"):
        (folder / sub).mkdir()
    (folder / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    port = int(PORT_GIVEN) if PORT_GIVEN else _free_port()
    ssl_port = port + 1 if PORT_GIVEN else _free_port()
    _certificates(folder)
    (folder / "dovecot.conf").write_text(_config(folder, port, ssl_port))
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(folder / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(process, folder / "dovecot.log", port)
        _wait_for_port(process, folder / "dovecot.log", ssl_port)
        yield ImapServer(
            "127.0.0.1", port, USER, PASSWORD, ssl_port=ssl_port, ca_file=str(folder / "ca.pem")
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)
