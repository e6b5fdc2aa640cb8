"""NetBox 4.7 as the lab's IPAM: PostgreSQL 15, Redis and gunicorn, all on loopback.

NetBox runs from its own venv (lab/netbox/install.sh, Python >= 3.12). The database comes from
a dump of a migrated DB (lab/netbox/fixtures/netbox-<version>.sql.gz, 2-4 s) instead of running
the migrations (9-16 min); lab/netbox/regenerate-dump.sh (`python -m exposure_lab.netbox
regenerate-dump`) rebuilds it. PostgreSQL runs as the postgres user through setpriv (which
execs, so the recorded PID is the postmaster), not runuser.
A superuser `admin` and a v2 API token are created after the restore, so the dump holds no
secret and the token pepper can be random for every lab.

Layout under the service dir (/run/exposure-lab/netbox):
    root/conf/configuration.py   NETBOX_ROOT: configuration, media, scripts, reports
    redis/                       Redis working dir (nothing is saved)
    pg-XXXXXXXX/                 mkdtemp dir owned by postgres: data/ and the socket
"""

from __future__ import annotations

import gzip
import json
import os
import re
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from .core import Lab, LabError, tail, wait_for

PG_BIN = Path(os.environ.get("EXPOSURE_LAB_PG_BIN", "/usr/lib/postgresql/15/bin"))
REPO_ROOT = Path(__file__).resolve().parents[2]
NETBOX_DIR = REPO_ROOT / "lab" / "netbox"
FIXTURES = Path(os.environ.get("EXPOSURE_LAB_NETBOX_FIXTURES", str(NETBOX_DIR / "fixtures")))
INSTALL_SH = NETBOX_DIR / "install.sh"

DB_NAME = "netbox"
DB_USER = "netbox"
ADMIN = "admin"
# The psql `\restrict` key pg_dump writes (15.14+): fixed, so that dumps stay comparable.
RESTRICT_KEY = "exposurelab"

KEYS = ("netbox-postgres", "netbox-redis", "netbox-gunicorn")


def netbox_venv() -> Path:
    return Path(os.environ.get("NETBOX_VENV", str(REPO_ROOT / ".venv-netbox")))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def random_secret(length: int) -> str:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def install_venv() -> Path:
    """Run install.sh (a no-op when the venv matches requirements.txt)."""
    proc = subprocess.run(
        [str(INSTALL_SH)], capture_output=True, text=True, timeout=1800, check=False
    )
    if proc.returncode != 0:
        raise LabError(f"NetBox venv install failed:\n{proc.stdout}{proc.stderr}")
    venv = netbox_venv()
    if not (venv / "bin" / "netbox").exists():
        raise LabError(f"no netbox console script in {venv}")
    return venv


def netbox_version(venv: Path) -> str:
    out = subprocess.run(
        [str(venv / "bin" / "netbox"), "version"], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def fixture_path(version: str) -> Path:
    return FIXTURES / f"netbox-{version}.sql.gz"


# Row timestamps (migrations applied, module type profiles created): the only thing that changes
# between two dumps of the same NetBox version.
TIMESTAMP = re.compile(rb"\b\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?\+00\b")


def normalize_dump(sql: bytes) -> bytes:
    return TIMESTAMP.sub(b"2000-01-01 00:00:00+00", sql)


# -- PostgreSQL ----------------------------------------------------------------------------------
class Postgres:
    """A throwaway PostgreSQL 15 cluster in a mkdtemp dir owned by the postgres user."""

    def __init__(self, lab: Lab, key: str, parent: Path) -> None:
        self.lab = lab
        self.key = key
        self.parent = parent
        self.dir: Path | None = None
        self.port = 0

    @property
    def env(self) -> dict[str, str]:
        return {"PGHOST": "127.0.0.1", "PGPORT": str(self.port), "PGUSER": DB_USER}

    def _make_dir(self) -> Path:
        # initdb refuses root, so the cluster belongs to postgres, which must be able to reach
        # the dir: fall back to /tmp when a parent is closed to it (pytest tmp dirs are 0700).
        self.parent.mkdir(parents=True, exist_ok=True)
        base = Path(tempfile.mkdtemp(prefix="pg-", dir=self.parent))
        shutil.chown(base, "postgres", "postgres")
        probe = self.lab.run(["test", "-w", str(base)], user="postgres", check=False)
        if probe.returncode != 0:
            shutil.rmtree(base)
            base = Path(tempfile.mkdtemp(prefix="exposure-lab-netbox-pg-"))
            shutil.chown(base, "postgres", "postgres")
        return base

    def start(self) -> None:
        self.dir = self._make_dir()
        data = self.dir / "data"
        self.lab.run(
            [
                str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
            ],
            user="postgres",
            timeout=120,
        )
        self.port = free_port()
        # setpriv execs, so the recorded PID is the postmaster itself (runuser would stay in
        # between and answer a signal with SIGTERM, then SIGKILL, to the postmaster).
        self.lab.spawn(
            self.key,
            [
                "setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--",
                str(PG_BIN / "postgres"), "-D", str(data), "-k", str(self.dir),
                "-h", "127.0.0.1", "-p", str(self.port),
                "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            ],
            cwd=self.dir,
        )
        wait_for(
            f"PostgreSQL on port {self.port}",
            lambda: self.lab.alive(self.key) and self.psql_ok(),
            timeout=60,
            interval=0.2,
            on_timeout=lambda: tail(self.lab.log_dir / f"{self.key}.log"),
        )
        self.admin_sql(f"CREATE ROLE {DB_USER} LOGIN SUPERUSER")
        self.create_db()

    def psql_ok(self) -> bool:
        proc = subprocess.run(
            [str(PG_BIN / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)],
            check=False,
        )
        return proc.returncode == 0

    def admin_sql(self, sql: str) -> None:
        self.lab.run(
            [str(PG_BIN / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-U", "postgres",
             "-d", "postgres", "-c", sql],
            env={**self.env, "PGUSER": "postgres"},
        )

    def create_db(self) -> None:
        self.admin_sql(f"CREATE DATABASE {DB_NAME} OWNER {DB_USER}")

    def recreate_db(self) -> None:
        self.admin_sql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        self.create_db()

    def restore(self, dump: Path) -> None:
        sql = gzip.decompress(dump.read_bytes()).decode()
        self.lab.run(
            [str(PG_BIN / "psql"), "-q", "-X", "-v", "ON_ERROR_STOP=1", "-d", DB_NAME],
            input=sql,
            env=self.env,
            timeout=300,
        )

    def dump(self, target: Path) -> None:
        proc = subprocess.run(
            [
                str(PG_BIN / "pg_dump"), "--no-owner", "--no-privileges", "--no-comments",
                f"--restrict-key={RESTRICT_KEY}", "-d", DB_NAME,
            ],
            capture_output=True,
            env={**os.environ, **self.env},
            check=False,
            timeout=300,
        )
        if proc.returncode != 0:
            raise LabError(f"pg_dump failed: {proc.stderr.decode(errors='replace')}")
        sql = normalize_dump(proc.stdout)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        # mtime=0 and no file name: the same dump gives the same bytes.
        with open(tmp, "wb") as raw, gzip.GzipFile(
            filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0
        ) as gz:
            gz.write(sql)
        os.replace(tmp, target)

    def stop(self) -> None:
        # SIGINT is PostgreSQL's "fast" shutdown: clients are disconnected, nothing waits.
        self.lab.stop(self.key, sig=signal.SIGINT, timeout=30)
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)


# -- NetBox's own commands -----------------------------------------------------------------------
CONFIGURATION = """\
# Generated by exposure_lab.netbox for a throwaway lab; do not edit.
ALLOWED_HOSTS = ["*"]
DATABASE = {{
    "ENGINE": "django.db.backends.postgresql",
    "NAME": {db_name!r},
    "USER": {db_user!r},
    "PASSWORD": "",
    "HOST": "127.0.0.1",
    "PORT": {pg_port!r},
    "CONN_MAX_AGE": 300,
}}
REDIS = {{
    "tasks": {{"HOST": "127.0.0.1", "PORT": {redis_port!r}, "DATABASE": 0, "SSL": False}},
    "caching": {{"HOST": "127.0.0.1", "PORT": {redis_port!r}, "DATABASE": 1, "SSL": False}},
}}
SECRET_KEY = {secret_key!r}
API_TOKEN_PEPPERS = {{1: {pepper!r}}}
CENSUS_REPORTING_ENABLED = False
RELEASE_CHECK_URL = None
ISOLATED_DEPLOYMENT = True
MEDIA_ROOT = {media!r}
SCRIPTS_ROOT = {scripts!r}
REPORTS_ROOT = {reports!r}
TIME_ZONE = "UTC"
"""

# Run inside `netbox shell`: when no migration is pending (what `migrate --check` tells), a
# superuser and a fresh v2 token, printed as one JSON line. One Django start instead of two.
CREATE_TOKEN = """
import json
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from users.models import Token, User

executor = MigrationExecutor(connection)
pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
if pending:
    print("EXPOSURE-LAB " + json.dumps({{"pending": len(pending)}}))
else:
    user, _ = User.objects.get_or_create(username={admin!r})
    user.is_superuser = True
    user.is_staff = True
    user.is_active = True
    user.set_password({password!r})
    user.save()
    token = Token(user=user, version=2, write_enabled=True, description="exposure-lab")
    token.save()
    print("EXPOSURE-LAB " + json.dumps({{
        "token": "nbt_" + token.key + "." + token.token,
        "auth_header": token.get_auth_header_prefix() + token.token,
    }}))
"""


class NetBoxApp:
    """The `netbox` console script with this lab's NETBOX_ROOT."""

    def __init__(self, lab: Lab, venv: Path, root: Path) -> None:
        self.lab = lab
        self.venv = venv
        self.root = root

    @property
    def env(self) -> dict[str, str]:
        # The venv is byte-compiled by install.sh; nothing gets written under it at run time.
        return {"NETBOX_ROOT": str(self.root), "PYTHONDONTWRITEBYTECODE": "1"}

    def write_configuration(self, pg_port: int, redis_port: int) -> None:
        for sub in ("conf", "media", "scripts", "reports"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        text = CONFIGURATION.format(
            db_name=DB_NAME,
            db_user=DB_USER,
            pg_port=pg_port,
            redis_port=redis_port,
            secret_key=random_secret(60),
            pepper=random_secret(60),
            media=str(self.root / "media"),
            scripts=str(self.root / "scripts"),
            reports=str(self.root / "reports"),
        )
        conf = self.root / "conf" / "configuration.py"
        conf.write_text(text)
        conf.chmod(0o600)

    def manage(self, *args: str, check: bool = True, timeout: float = 300,
               input: str | None = None) -> subprocess.CompletedProcess[str]:
        return self.lab.run(
            [str(self.venv / "bin" / "netbox"), *args],
            env=self.env, check=check, timeout=timeout, input=input,
        )

    def migrations_current(self) -> bool:
        return self.manage("migrate", "--check", "--skip-checks", check=False).returncode == 0

    def migrate(self) -> None:
        self.manage("migrate", "--no-input", timeout=3600)

    def create_token(self) -> dict[str, str] | None:
        """A superuser and a token; None (and no user) when migrations are pending."""
        password = random_secret(24)
        script = CREATE_TOKEN.format(admin=ADMIN, password=password)
        # -c, not stdin: Django's shell polls stdin without waiting and may miss piped input.
        out = self.manage("shell", "--no-startup", "--no-imports", "-c", script).stdout
        for line in out.splitlines():
            if line.startswith("EXPOSURE-LAB "):
                answer = json.loads(line.removeprefix("EXPOSURE-LAB "))
                return None if "pending" in answer else {**answer, "password": password}
        raise LabError(f"netbox shell printed no token:\n{out}")


def http_status(url: str, auth_header: str, timeout: float = 5) -> dict[str, Any] | None:
    """GET /api/status/ (it needs a token: NetBox 4.7 always requires a login)."""
    req = urllib.request.Request(
        url, headers={"Accept": "application/json", "Authorization": auth_header}
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - loopback only
        if resp.status != 200:
            return None
        result: dict[str, Any] = json.loads(resp.read())
        return result


# -- the service ---------------------------------------------------------------------------------
class NetBox:
    name = "netbox"

    def up(self, lab: Lab) -> None:
        if self._healthy(lab):
            return
        # Something is missing or dead: start over from a clean slate (the restore is quick).
        self.down(lab)
        started = time.monotonic()
        venv = install_venv()
        version = netbox_version(venv)
        svc = lab.config.service_dir(self.name)
        svc.mkdir(parents=True, exist_ok=True)
        info: dict[str, Any] = {"version": version, "dir": str(svc)}
        lab.record(self.name, info)  # so that down() finds the dirs if up() fails half-way

        pg = Postgres(lab, "netbox-postgres", svc)
        try:
            pg.start()
        finally:
            if pg.dir:
                info["pg_dir"] = str(pg.dir)
                lab.record(self.name, info)
        redis_port = self._start_redis(lab, svc / "redis")
        app = NetBoxApp(lab, venv, svc / "root")
        app.write_configuration(pg.port, redis_port)

        fixture = fixture_path(version)
        creds = None
        if fixture.exists():
            pg.restore(fixture)
            # gunicorn boots (about 10 s) while the migration check and the token run.
            url = self._start_gunicorn(lab, venv, app)
            creds = app.create_token()
            if creds is None:
                lab.stop("netbox-gunicorn", sig=signal.SIGQUIT)
                print(f"exposure-lab: {fixture.name} is stale (unapplied migrations); migrating "
                      "(about 9 min). Regenerate it: lab/netbox/regenerate-dump.sh",
                      file=sys.stderr, flush=True)
                pg.recreate_db()
        else:
            print(f"exposure-lab: no fixture {fixture}; migrating from scratch (about 9 min). "
                  "Create it: lab/netbox/regenerate-dump.sh", file=sys.stderr, flush=True)
        restored = creds is not None
        if creds is None:
            app.migrate()
            url = self._start_gunicorn(lab, venv, app)
            creds = app.create_token()
            if creds is None:
                raise LabError("NetBox migrations still pending after `netbox migrate`")
        auth = creds["auth_header"]
        status = wait_for(
            f"NetBox at {url}/api/status/",
            lambda: http_status(f"{url}/api/status/", auth) if lab.alive("netbox-gunicorn") else None,
            timeout=120,
            interval=0.5,
            on_timeout=lambda: tail(lab.log_dir / "netbox-gunicorn.log"),
        )
        info.update(
            {
                "url": url,
                "api_url": f"{url}/api/",
                "token": creds["token"],
                "auth_header": creds["auth_header"],
                "username": ADMIN,
                "password": creds["password"],
                "version": status.get("netbox-version", version),
                "postgres_port": pg.port,
                "redis_port": redis_port,
                "netbox_root": str(svc / "root"),
                "venv": str(venv),
                "fixture": fixture.name if restored else None,
                "startup_seconds": round(time.monotonic() - started, 1),
            }
        )
        lab.record(self.name, info)

    def _start_gunicorn(self, lab: Lab, venv: Path, app: NetBoxApp) -> str:
        port = free_port()
        lab.spawn(
            "netbox-gunicorn",
            [
                str(venv / "bin" / "gunicorn"), "--bind", f"127.0.0.1:{port}",
                "--workers", "1", "--threads", "4", "--timeout", "120",
                "--graceful-timeout", "5", "netbox.wsgi",
            ],
            env=app.env,
            cwd=app.root,
        )
        return f"http://127.0.0.1:{port}"

    def _start_redis(self, lab: Lab, workdir: Path) -> int:
        workdir.mkdir(parents=True, exist_ok=True)
        port = free_port()
        lab.spawn(
            "netbox-redis",
            [
                "redis-server", "--bind", "127.0.0.1", "--port", str(port),
                "--save", "", "--appendonly", "no", "--daemonize", "no",
                "--dir", str(workdir), "--loglevel", "warning",
            ],
            cwd=workdir,
        )

        def ping() -> bool:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")

        wait_for(
            f"Redis on port {port}",
            lambda: lab.alive("netbox-redis") and ping(),
            timeout=20,
            on_timeout=lambda: tail(lab.log_dir / "netbox-redis.log"),
        )
        return port

    def _healthy(self, lab: Lab) -> bool:
        info = lab.info(self.name)
        if not info.get("auth_header") or not all(lab.alive(key) for key in KEYS):
            return False
        # All three run: give a busy NetBox time to answer rather than rebuild it.
        try:
            wait_for("NetBox status", lambda: http_status(f"{info['url']}/api/status/",
                                                          info["auth_header"], timeout=10),
                     timeout=30, interval=1)
        except LabError:
            return False
        return True

    def down(self, lab: Lab) -> None:
        info = lab.info(self.name)
        # SIGQUIT: gunicorn's immediate shutdown (SIGTERM waits for the graceful timeout).
        lab.stop("netbox-gunicorn", sig=signal.SIGQUIT)
        lab.stop("netbox-redis", sig=signal.SIGTERM)
        lab.stop("netbox-postgres", sig=signal.SIGINT, timeout=30)
        for key in KEYS:
            (lab.log_dir / f"{key}.log").unlink(missing_ok=True)
        if info.get("pg_dir"):
            shutil.rmtree(info["pg_dir"], ignore_errors=True)
        shutil.rmtree(lab.config.service_dir(self.name), ignore_errors=True)
        lab.forget(self.name)

    def status(self, lab: Lab) -> dict[str, Any]:
        secret = {"token", "auth_header", "password"}
        full = lab.info(self.name)
        info = {k: v for k, v in full.items() if k not in secret}
        daemons = {key: lab.alive(key) for key in KEYS}
        result: dict[str, Any] = {"up": all(daemons.values()), "daemons": daemons, **info}
        if result["up"]:
            try:
                api = http_status(f"{full['url']}/api/status/", full["auth_header"])
                result["up"] = bool(api)
                if api:
                    result["version"] = api.get("netbox-version")
            except (OSError, KeyError) as exc:
                result["up"] = False
                result["error"] = str(exc)
        return result


# -- fixture regeneration ------------------------------------------------------------------------
def regenerate_dump(lab: Lab) -> Path:
    """Fresh cluster, `netbox migrate`, pg_dump into lab/netbox/fixtures/. About 9 minutes."""
    venv = install_venv()
    version = netbox_version(venv)
    work = lab.config.service_dir("netbox-dump")
    work.mkdir(parents=True, exist_ok=True)
    pg = Postgres(lab, "netbox-dump-postgres", work)
    try:
        pg.start()
        redis_port = 1  # migrate never talks to Redis, but the configuration needs a port
        app = NetBoxApp(lab, venv, work / "root")
        app.write_configuration(pg.port, redis_port)
        started = time.monotonic()
        app.migrate()
        print(f"migrated in {time.monotonic() - started:.0f} s", file=sys.stderr)
        if not app.migrations_current():
            raise LabError("migrations still pending after `netbox migrate`")
        target = fixture_path(version)
        pg.dump(target)
        for old in FIXTURES.glob("netbox-*.sql.gz"):
            if old != target:
                print(f"note: an older fixture is still there: {old}", file=sys.stderr)
        return target
    finally:
        pg.stop()
        (lab.log_dir / "netbox-dump-postgres.log").unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    import argparse

    from .config import LabConfig

    parser = argparse.ArgumentParser(prog="python -m exposure_lab.netbox")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("regenerate-dump", help="rebuild lab/netbox/fixtures/netbox-<version>.sql.gz")
    sub.add_parser("up", help="start NetBox alone and print its record")
    sub.add_parser("down", help="stop NetBox and remove its files")
    sub.add_parser("status", help="print NetBox's status")
    args = parser.parse_args(argv)
    service = NetBox()
    if args.command == "regenerate-dump":
        # A private run dir: this must not share a state file with a lab that is running.
        run_dir = Path(tempfile.mkdtemp(prefix="exposure-lab-dump-"))
        try:
            target = regenerate_dump(Lab(LabConfig(run_dir=run_dir)))
        finally:
            shutil.rmtree(run_dir, ignore_errors=True)
        print(f"{target} ({target.stat().st_size} bytes)")
        return 0
    lab = Lab(LabConfig())
    if args.command == "up":
        service.up(lab)
        print(json.dumps(lab.info(service.name), indent=2))
    elif args.command == "down":
        service.down(lab)
    else:
        print(json.dumps(service.status(lab), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
