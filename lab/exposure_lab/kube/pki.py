"""The control plane's certificates and keys, made with `cryptography` (ECDSA P-256, fast)."""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = dt.timedelta(days=3650)
# The `kubernetes` Service's ClusterIP: the first address of the Service CIDR
# (node_files.SERVICE_CIDR_V4); pods reach the apiserver there.
KUBERNETES_SERVICE_IP = "198.19.0.1"


@dataclass(frozen=True)
class Pair:
    cert: Path
    key: Path

    def cert_b64(self) -> str:
        return base64.b64encode(self.cert.read_bytes()).decode()

    def key_b64(self) -> str:
        return base64.b64encode(self.key.read_bytes()).decode()


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def _name(cn: str, org: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org:
        attrs.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    return x509.Name(attrs)


class Pki:
    """Files under one directory; `ensure()` makes what is missing and keeps what exists."""

    def __init__(self, directory: Path, bind_address: str) -> None:
        self.dir = directory
        self.bind_address = bind_address
        self.ca = Pair(directory / "ca.crt", directory / "ca.key")
        self.apiserver = Pair(directory / "apiserver.crt", directory / "apiserver.key")
        self.sa_key = directory / "sa.key"
        self.sa_pub = directory / "sa.pub"

    def client(self, name: str) -> Pair:
        return Pair(self.dir / f"{name}.crt", self.dir / f"{name}.key")

    # -- generation -------------------------------------------------------------------------
    def ensure(self, clients: dict[str, tuple[str, str | None]]) -> None:
        """clients: file name -> (CN, O)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        if not (self.ca.cert.exists() and self.ca.key.exists()):
            key = _key()
            now = dt.datetime.now(dt.UTC)
            cert = (
                x509.CertificateBuilder()
                .subject_name(_name("exposure-lab-kubernetes-ca"))
                .issuer_name(_name("exposure-lab-kubernetes-ca"))
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(minutes=5))
                .not_valid_after(now + VALIDITY)
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(
                    x509.KeyUsage(
                        digital_signature=True, content_commitment=False, key_encipherment=True,
                        data_encipherment=False, key_agreement=False, key_cert_sign=True,
                        crl_sign=True, encipher_only=False, decipher_only=False,
                    ),
                    critical=True,
                )
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                               critical=False)
                .sign(key, hashes.SHA256())
            )
            _write_key(self.ca.key, key)
            self.ca.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        if not self.apiserver.cert.exists():
            sans: list[x509.GeneralName] = [
                x509.DNSName(n)
                for n in ("localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
                          "kubernetes.default.svc.cluster.local")
            ]
            for ip in dict.fromkeys(["127.0.0.1", KUBERNETES_SERVICE_IP, self.bind_address]):
                sans.append(x509.IPAddress(ipaddress.ip_address(ip)))
            self._issue(self.apiserver, _name("kube-apiserver"), sans, server=True)
        for fname, (cn, org) in clients.items():
            pair = self.client(fname)
            if not pair.cert.exists():
                self._issue(pair, _name(cn, org), [], server=False)
        if not self.sa_key.exists():
            key = _key()
            _write_key(self.sa_key, key)
            self.sa_pub.write_bytes(
                key.public_key().public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                )
            )

    def _issue(self, pair: Pair, subject: x509.Name, sans: list[x509.GeneralName],
               server: bool) -> None:
        ca_key = serialization.load_pem_private_key(self.ca.key.read_bytes(), None)
        ca_cert = x509.load_pem_x509_certificate(self.ca.cert.read_bytes())
        key = _key()
        now = dt.datetime.now(dt.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + VALIDITY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]
                ),
                critical=False,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    ca_cert.public_key()  # type: ignore[arg-type]
                ),
                critical=False,
            )
        )
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        cert = builder.sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
        _write_key(pair.key, key)
        pair.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
