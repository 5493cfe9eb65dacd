"""The deployment scripts for real: copy the app (what the Docker image gets) to a clean folder,
``deploy/install.sh`` into a fresh venv there, ``deploy/start.sh`` on a free port, and wait for
``GET /healthz`` to answer 200. pip uses this machine's own index configuration; the test itself
touches nothing but loopback."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
# Besides the Python packages and modules at the top level: what `pip install .` reads.
PROJECT_FILES = ("pyproject.toml", "README.md")
NOT_SHIPPED = {"tests", "node_modules", "manifest", "scripts", "docs", "devTools", "var"}
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")


def _copy_app(target: Path) -> Path:
    """The app as the image holds it: top-level modules, packages, pyproject, README, deploy/."""
    target.mkdir()
    for name in PROJECT_FILES:
        shutil.copyfile(REPO / name, target / name)
    for path in REPO.iterdir():
        if path.name.startswith(".") or path.name in NOT_SHIPPED:
            continue
        if path.is_file() and path.suffix == ".py":
            shutil.copyfile(path, target / path.name)
        elif path.is_dir() and (path / "__init__.py").is_file():
            shutil.copytree(path, target / path.name, ignore=IGNORED)
    shutil.copytree(DEPLOY, target / "deploy", ignore=IGNORED)
    return target


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _clean_env(**extra: str) -> dict[str, str]:
    """No bot or storage settings leak in from the developer's shell."""
    keep = ("PATH", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep or k.startswith(("PIP_", "UV_"))}
    env.update(extra)
    return env


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("deploy")
    app = _copy_app(root / "app")
    venv = root / "venv"
    started = time.monotonic()
    result = subprocess.run(
        ["bash", str(app / "deploy" / "install.sh"), str(venv)],
        env=_clean_env(PYTHON=sys.executable, HOME=str(root)),
        cwd=root,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (venv / "bin" / "python").is_file()
    print(f"install.sh took {time.monotonic() - started:.1f} s")
    return app, venv


def test_install_then_start_serves_healthz(installed: tuple[Path, Path], tmp_path: Path) -> None:
    app, venv = installed
    port = _free_port()
    storage = tmp_path / "state"
    process = subprocess.Popen(
        ["bash", str(app / "deploy" / "start.sh")],
        # No app id here, so nothing is authenticated: listening on all interfaces must be asked
        # for (tests/app/test_startup.py checks the refusal without it).
        env=_clean_env(
            VENV=str(venv),
            PORT=str(port),
            LOCAL_STORAGE_DIR=str(storage),
            ALLOW_UNAUTHENTICATED="true",
        ),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        status, body = 0, b""
        while time.monotonic() < deadline:
            assert process.poll() is None, f"start.sh exited:\n{process.stdout.read()}"  # type: ignore[union-attr]
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
            except OSError:
                time.sleep(0.2)
                continue
            if status == 200:
                break
        assert status == 200, f"/healthz answered {status}"
        health = json.loads(body)
        assert health["status"] == "ok"
        assert health["storage"] == "local-files"
        # it listens on all interfaces (HOST=0.0.0.0), not only loopback
        listening = [
            line
            for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
            if line.split()[1].endswith(f":{port:04X}") and line.split()[3] == "0A"
        ]
        assert any(line.split()[1].startswith("00000000:") for line in listening), listening
        # exec: the shell handed over, so SIGTERM reaches Python and stops it at once
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) in (0, -signal.SIGTERM)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_start_refuses_a_wrong_setting_by_name(
    installed: tuple[Path, Path], tmp_path: Path
) -> None:
    app, venv = installed
    result = subprocess.run(
        ["bash", str(app / "deploy" / "start.sh")],
        env=_clean_env(VENV=str(venv), PORT="not-a-port", ALLOW_UNAUTHENTICATED="true"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "PORT" in result.stderr


def test_start_without_install_says_what_to_do(tmp_path: Path) -> None:
    app = _copy_app(tmp_path / "app")
    result = subprocess.run(
        ["bash", str(app / "deploy" / "start.sh")],
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert "run deploy/install.sh first" in result.stderr


def test_install_refuses_an_old_python(tmp_path: Path) -> None:
    old = tmp_path / "python3.10"
    old.write_text("#!/bin/sh\necho 'Python 3.10.14'\nexit 1\n", encoding="utf-8")
    old.chmod(0o755)
    result = subprocess.run(
        ["bash", str(DEPLOY / "install.sh"), str(tmp_path / "venv")],
        env=_clean_env(PYTHON=str(old)),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert "Python 3.11 or newer is required" in result.stderr
    assert not (tmp_path / "venv").exists()


@pytest.mark.parametrize("script", ["install.sh", "start.sh"])
def test_scripts_are_executable_and_parse(script: str) -> None:
    path = DEPLOY / script
    assert os.access(path, os.X_OK)
    assert subprocess.run(["bash", "-n", str(path)], check=False).returncode == 0


# --- the deployment files, read (neither Docker nor Bicep can run here) ---------------------


def test_dockerfile_runs_the_scripts_as_a_non_root_user() -> None:
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    code = code.replace("\\\n", " ")  # join continued lines
    lines = [" ".join(line.split()) for line in code.splitlines() if line.strip()]
    assert lines[0] == "FROM python:3.11-slim"
    assert "libreoffice-writer-nogui" in text and "--no-install-recommends" in text
    assert 'RUN bash deploy/install.sh "$VENV"' in text
    user = next(i for i, line in enumerate(lines) if line.startswith("USER "))
    assert lines[user] != "USER root" and user > next(
        i for i, line in enumerate(lines) if "deploy/install.sh" in line
    )
    health = next(line for line in lines if line.startswith("HEALTHCHECK"))
    assert "curl" not in code and "wget" not in code
    assert "urllib.request" in health and "/healthz" in health
    assert lines[-1] == 'CMD ["deploy/start.sh"]'


def test_dockerignore_keeps_secrets_and_tooling_out() -> None:
    ignored = set((REPO / ".dockerignore").read_text(encoding="utf-8").split())
    assert {".git", ".env", ".venv", "node_modules", "tests", "var"} <= ignored


def test_bicep_locks_the_storage_down_and_uses_the_managed_identity() -> None:
    bicep = (DEPLOY / "main.bicep").read_text(encoding="utf-8")
    for needle in (
        "allowSharedKeyAccess: false",
        "allowBlobPublicAccess: false",
        "minimumTlsVersion: 'TLS1_2'",
        "supportsHttpsTrafficOnly: true",
        "msaAppType: 'UserAssignedMSI'",
        "ba92f5b4-2d11-453d-a403-e96b0029c9fe",  # Storage Blob Data Contributor
        "db58b8e5-c6ad-4a2a-8342-4190687cbf4a",  # Storage Blob Delegator
        "7f951dda-4ed3-4680-a7ca-43fe172d538d",  # AcrPull
        "path: '/healthz'",
        "'MsTeamsChannel'",
    ):
        assert needle in bicep, needle
    assert bicep.count("publicAccess: 'None'") == 2
    assert "listKeys" not in bicep.replace("logs.listKeys()", "")  # no storage keys anywhere
    assert bicep.count("{") == bicep.count("}") and bicep.count("[") == bicep.count("]")


def test_bicep_probes_liveness_on_healthz_and_readiness_on_readyz() -> None:
    """Liveness does no I/O (a storage outage must not restart a healthy replica); readiness
    asks storage, within its 2 s bound (bot.health.TIMEOUT), so the probe waits longer."""
    import re

    bicep = (DEPLOY / "main.bicep").read_text(encoding="utf-8")
    probes = {
        kind: (path, int(timeout) if timeout else None)
        for kind, path, timeout in re.findall(
            r"type: '(\w+)'\s+httpGet: \{\s+path: '([^']+)'[^}]*\}(?:\s+timeoutSeconds: (\d+))?",
            bicep,
        )
    }
    assert {kind: path for kind, (path, _) in probes.items()} == {
        "Startup": "/healthz",
        "Liveness": "/healthz",
        "Readiness": "/readyz",
    }
    from bot.health import TIMEOUT

    readiness_timeout = probes["Readiness"][1]
    assert readiness_timeout is not None and readiness_timeout > TIMEOUT


def test_bicep_sets_only_settings_the_app_reads() -> None:
    import re

    bicep = (DEPLOY / "main.bicep").read_text(encoding="utf-8")
    names = set(re.findall(r"\{ name: '([A-Za-z_]+)', value:", bicep))
    assert {
        "MicrosoftAppType",
        "MicrosoftAppId",
        "MicrosoftAppTenantId",
        "AZURE_STORAGE_ACCOUNT_URL",
        "TIME_ZONE",
    } <= names
    settings = (REPO / "settings.py").read_text(encoding="utf-8")
    azure_sdk = {"AZURE_CLIENT_ID"}  # read by azure-identity
    for name in names - azure_sdk:
        assert f'"{name}"' in settings, f"settings.py does not read {name}"
    assert "value: 'UserAssignedMSI'" in bicep


def test_bicep_sets_the_address_plan_links_point_at() -> None:
    """With Azure storage the bot refuses to start without PUBLIC_BASE_URL: the template sets it
    to the Container App's own https address (or the publicBaseUrl parameter)."""
    bicep = (DEPLOY / "main.bicep").read_text(encoding="utf-8")
    assert "param publicBaseUrl string = ''" in bicep
    assert "var appName = '${namePrefix}-app'" in bicep and "name: appName" in bicep
    assert (
        "{ name: 'PUBLIC_BASE_URL', value: empty(publicBaseUrl) ? "
        "'https://${appName}.${environment.properties.defaultDomain}' : publicBaseUrl }"
    ) in bicep
    # not an output: the Agents Toolkit's PUBLIC_BASE_URL is the manifest's website address
    assert "output PUBLIC_BASE_URL" not in bicep


def test_parameters_and_toolkit_files_fit_the_template() -> None:
    import re

    bicep = (DEPLOY / "main.bicep").read_text(encoding="utf-8")
    declared = set(re.findall(r"^param (\w+) ", bicep, re.MULTILINE))
    parameters = json.loads((DEPLOY / "main.parameters.json").read_text(encoding="utf-8"))
    assert set(parameters["parameters"]) <= declared
    required = {m for m in re.findall(r"^param (\w+) \w+$", bicep, re.MULTILINE)}
    assert required <= set(parameters["parameters"])
    toolkit = (DEPLOY / "m365agents.yml").read_text(encoding="utf-8")
    for needle in (
        "path: ./main.bicep",
        "parameters: ./main.parameters.json",
        "uses: teamsApp/validateManifest",
        "uses: teamsApp/zipAppPackage",
        "uses: teamsApp/update",
        "manifestPath: ../manifest/manifest.template.json",
        "environmentFolderPath: ./env",
    ):
        assert needle in toolkit, needle
    outputs = set(re.findall(r"^output (\w+) ", bicep, re.MULTILINE))
    template = (REPO / "manifest" / "manifest.template.json").read_text(encoding="utf-8")
    placeholders = set(re.findall(r"\$\{\{(\w+)\}\}", template))
    example = (DEPLOY / "env" / ".env.dev.example").read_text(encoding="utf-8")
    in_env_file = set(re.findall(r"^(\w+)=", example, re.MULTILINE))
    # every placeholder is filled by provisioning (outputs, teamsApp/create) or the env file
    assert placeholders <= outputs | in_env_file
