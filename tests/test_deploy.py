"""The production kit in deploy/: systemd units that run real verbs, an environment file of real settings
that passes Django's deployment checks, and an nginx configuration that nginx accepts and that points at
the ports the units serve on."""

from __future__ import annotations

import base64
import configparser
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jiceng import cli

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
JICENG = "/opt/jiceng/.venv/bin/jiceng"
VERBS = {"serve", "live", "worker", "beat", "iot", "audit"}


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DEPLOY / "systemd" / name)
    return parser


def services() -> list[str]:
    return sorted(p.name for p in (DEPLOY / "systemd").glob("*.service"))


def env_example() -> dict[str, str]:
    pairs = {}
    for line in (DEPLOY / "jiceng.env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def test_every_unit_runs_a_verb_of_the_jiceng_command_with_the_environment_file() -> None:
    assert services(), "no units"
    for name in services():
        service = unit(name)["Service"]
        argv = shlex.split(service["ExecStart"])
        assert argv[0] == JICENG, name
        assert argv[1] in VERBS, name
        assert argv[1] in cli.__doc__ or argv[1] == "audit", name  # type: ignore[operator]
        assert service["EnvironmentFile"] == "/etc/jiceng/jiceng.env", name
        assert service["User"] == "jiceng", name
        assert "/var/lib/jiceng" in service["ReadWritePaths"], name  # JICENG_VAR_DIR: beat's schedule, media


def test_the_target_starts_every_long_running_service_and_the_nightly_audit_check() -> None:
    wanted = " ".join(unit("jiceng.target")["Unit"]["Wants"].split())
    long_running = [n for n in services() if unit(n)["Service"]["Type"] != "oneshot"]
    assert set(long_running) == {
        "jiceng-web.service",
        "jiceng-live.service",
        "jiceng-worker.service",
        "jiceng-beat.service",
        "jiceng-iot.service",
    }
    for name in [*long_running, "jiceng-audit-verify.timer"]:
        assert name in wanted
    assert unit("jiceng-audit-verify.timer")["Timer"]["OnCalendar"]


def test_the_environment_file_names_only_settings_the_platform_reads() -> None:
    sources = "\n".join(p.read_text() for p in (ROOT / "src" / "jiceng").rglob("*.py"))
    example = env_example()
    for key in ("JICENG_DATABASE_URL", "JICENG_SECRET_KEY", "JICENG_DATA_KEY", "JICENG_ALLOWED_HOSTS"):
        assert key in example
    commented = re.findall(r"^# (JICENG_[A-Z_]+)=", (DEPLOY / "jiceng.env.example").read_text(), re.M)
    for key in [*example, *commented]:
        assert f'"{key}"' in sources, f"{key} is not read anywhere"


def _production_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JICENG_", "DJANGO_"))}
    env.update(env_example())
    env["JICENG_SECRET_KEY"] = secrets.token_urlsafe(50)
    env["JICENG_DATA_KEY"] = base64.b64encode(os.urandom(32)).decode()
    env["JICENG_VAR_DIR"] = str(tmp_path / "var")
    return env


def test_the_example_settings_pass_djangos_deployment_checks(tmp_path: Path) -> None:
    jiceng = Path(sys.executable).parent / "jiceng"
    result = subprocess.run(  # noqa: S603 - our own command
        [str(jiceng), "check", "--deploy"],
        env=_production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    found = set(re.findall(r"\(security\.(\w+)\)", result.stdout + result.stderr))
    # Left to the site on purpose: HSTS for every subdomain of a government domain and the preload list are
    # the domain owner's decision; the proxy redirects HTTP to HTTPS (a redirect in Django would send the
    # health checks on 127.0.0.1 there too).
    assert found <= {"W005", "W008", "W021"}, result.stdout


def test_behind_the_proxy_https_is_read_from_x_forwarded_proto(tmp_path: Path) -> None:
    code = (
        "import django; django.setup(); from django.conf import settings;"
        "print(getattr(settings, 'SECURE_PROXY_SSL_HEADER', None))"
    )
    env = _production_env(tmp_path) | {"DJANGO_SETTINGS_MODULE": "jiceng.settings"}
    shown = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=True
    ).stdout.strip()
    assert shown == "('HTTP_X_FORWARDED_PROTO', 'https')"
    env["JICENG_TRUST_PROXY_HEADERS"] = "0"
    shown = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=True
    ).stdout.strip()
    assert shown == "None"  # a client could claim HTTPS itself


def _self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "jiceng.example.gov.cn")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "fullchain.pem", directory / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def test_nginx_accepts_the_configuration_and_sends_it_to_the_units_ports(tmp_path: Path) -> None:
    conf = (DEPLOY / "nginx" / "jiceng.conf").read_text()
    web = shlex.split(unit("jiceng-web.service")["Service"]["ExecStart"])
    live = shlex.split(unit("jiceng-live.service")["Service"]["ExecStart"])
    assert f"server 127.0.0.1:{web[web.index('--port') + 1]};" in conf
    assert f"server 127.0.0.1:{live[live.index('--port') + 1]};" in conf
    # Every location that proxies sets the forwarded headers itself (nginx does not merge them).
    for block in re.findall(r"location [^{]+\{(.*?)\n    \}", conf, re.S):
        for header in ("Host", "X-Forwarded-For", "X-Forwarded-Proto"):
            assert re.search(rf"proxy_set_header {header}\s", block), header
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        if os.environ.get("CI"):
            pytest.fail("nginx is not installed (.ci/run installs nginx-light)")
        pytest.skip("nginx is not installed")
    cert, key = _self_signed(tmp_path)
    site = tmp_path / "jiceng.conf"
    site.write_text(
        conf.replace("/etc/ssl/jiceng/fullchain.pem", str(cert)).replace(
            "/etc/ssl/jiceng/privkey.pem", str(key)
        )
    )
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  include {site};\n}}\n"
    )
    result = subprocess.run(  # noqa: S603
        [nginx, "-t", "-q", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(main)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        if os.environ.get("CI"):
            pytest.fail("systemd-analyze is not installed")
        pytest.skip("systemd-analyze is not installed")
    jiceng = str(Path(sys.executable).parent / "jiceng")  # the units' path does not exist here
    for path in (DEPLOY / "systemd").iterdir():
        (tmp_path / path.name).write_text(path.read_text().replace(JICENG, jiceng))
    result = subprocess.run(  # noqa: S603
        [analyze, "verify", "--man=no", *sorted(str(p) for p in tmp_path.iterdir())],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # verify only warns (exit 0) about unknown keys and bad values: any word from it is a fault.
    assert result.returncode == 0 and not result.stdout.strip() and not result.stderr.strip(), result.stderr
