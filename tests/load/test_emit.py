"""``loadtest --emit k8s|compose DIR``: the objects validate (Kubernetes client models, the compose
schema), carry the scenario as run, and their commands are scalectl's own, accepted as written; the
compose project's master and workers run for real as local processes (no container engine here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import typer
import yaml
from typer.testing import CliRunner

from scalectl.cli.main import app
from scalectl.load.engine import free_port
from scalectl.pipeline import emit
from scalectl.scenario import load_scenario
from tests.capacity.test_manifests import _compose_validator, _strip_nulls
from tests.load.conftest import ROOT

SCENARIO = Path(__file__).with_name("toy_scenario.yaml")
K8S_TYPES = {
    "ConfigMap": "V1ConfigMap",
    "Service": "V1Service",
    "PersistentVolumeClaim": "V1PersistentVolumeClaim",
    "Job": "V1Job",
    "Pod": "V1Pod",
}


def _emit(tmp_path: Path, kind: str, *extra: str) -> Path:
    out = tmp_path / kind
    args = ["loadtest", str(SCENARIO), "--emit", kind, str(out), "--workers", "3"]
    result = CliRunner().invoke(app, [*args, "--host", "http://api.example.svc:8000", *extra])
    assert result.exit_code == 0, result.output
    assert "docs/distributed.md" in result.output
    return out


def _parses(args: list[str]) -> None:
    """The command is accepted by scalectl's own CLI as written (parsed, not run)."""
    group = typer.main.get_command(app)
    cmd = group.commands[args[0]]  # type: ignore[attr-defined]
    cmd.make_context(args[0], list(args[1:]))


def test_kubernetes_objects_load_into_the_official_models(tmp_path: Path) -> None:
    kubernetes = pytest.importorskip("kubernetes", reason="pip install kubernetes (dev extra)")
    client = kubernetes.client.ApiClient()
    out = _emit(tmp_path, "k8s", "--users", "40", "--duration", "30s")
    docs = list(yaml.safe_load_all((out / emit.K8S_FILE).read_text()))
    docs += list(yaml.safe_load_all((out / emit.K8S_READER_FILE).read_text()))
    assert [d["kind"] for d in docs] == ["ConfigMap", "Service", "PersistentVolumeClaim", "Job", "Job", "Pod"]
    for doc in docs:
        obj = client._ApiClient__deserialize(doc, K8S_TYPES[doc["kind"]])
        assert _strip_nulls(client.sanitize_for_serialization(obj)) == doc, doc["kind"]  # lossless
    config, service, _pvc, master, workers, reader = docs
    # the scenario as run: the command line's overrides applied, the host the cluster sees
    sc = yaml.safe_load(config["data"]["scenario.yaml"])
    assert sc["host"] == "http://api.example.svc:8000"
    assert sc["load"]["stages"] == [{"users": 40, "spawn_rate": 40.0, "duration": 30.0}]
    compile(config["data"]["locustfile.py"], "locustfile.py", "exec")
    assert workers["spec"]["parallelism"] == workers["spec"]["completions"] == 3
    wc = workers["spec"]["template"]["spec"]["containers"][0]
    assert wc["resources"]["limits"]["cpu"] == "1" and wc["args"][-1] == "scalectl-master:5557"
    mc = master["spec"]["template"]["spec"]["containers"][0]
    assert mc["args"][mc["args"].index("--remote-workers") + 1] == "3"
    assert service["spec"]["selector"] == master["spec"]["template"]["metadata"]["labels"]
    results = {v["name"]: v for v in master["spec"]["template"]["spec"]["volumes"]}["results"]
    assert results == reader["spec"]["volumes"][0]
    _parses(mc["args"])
    _parses(wc["args"])


def test_kubernetes_models_reject_a_broken_job() -> None:
    kubernetes = pytest.importorskip("kubernetes", reason="pip install kubernetes (dev extra)")
    client = kubernetes.client.ApiClient()
    job = emit.kubernetes_documents(emit.EmitSpec(load_scenario(SCENARIO), 2))[3]
    del job["spec"]["template"]["spec"]["containers"][0]["name"]
    with pytest.raises(ValueError, match="name"):
        client._ApiClient__deserialize(job, "V1Job")


def test_compose_project_validates_against_the_compose_spec(tmp_path: Path) -> None:
    out = _emit(tmp_path, "compose")
    doc = yaml.safe_load((out / emit.COMPOSE_FILE).read_text())
    _compose_validator().validate(doc)
    assert doc["services"]["worker"]["deploy"]["replicas"] == 3
    assert (out / "results").is_dir()
    assert load_scenario(out / emit.SCENARIO_FILE).host == "http://api.example.svc:8000"
    _parses(doc["services"]["master"]["command"])
    _parses(doc["services"]["worker"]["command"])
    with pytest.raises(jsonschema.ValidationError):
        bad = json.loads(json.dumps(doc))
        bad["services"]["worker"]["deploy"]["replicas"] = "three"
        _compose_validator().validate(bad)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--emit", "helm", "x", "--workers", "2", "--host", "http://a:1"], "expected one of k8s, compose"),
        (["--emit", "k8s", "x", "--workers", "auto", "--host", "http://a:1"], "--workers N"),
        (["--emit", "k8s", "x", "--workers", "2"], "--host"),
    ],
)
def test_emit_input_errors_are_one_line_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)  # restored after the test: later tests read paths relative to the repo
    result = CliRunner().invoke(app, ["loadtest", str(SCENARIO), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_the_compose_project_runs_as_local_processes(toy_target: str, tmp_path: Path) -> None:
    """No container engine here: run the compose services' commands as processes, the service names
    mapped to loopback and the master's port to a free one; run.json lands under results/."""
    out = tmp_path / "compose"
    sc = load_scenario(SCENARIO)
    # one worker replica: on a busy 2-core machine a second one can miss Locust's 60-s join wait
    emit.emit_test("compose", out, sc, host=toy_target, workers=1, duration=2.0)
    doc = yaml.safe_load((out / emit.COMPOSE_FILE).read_text())
    port = str(free_port())

    def local(cmd: list[str]) -> list[str]:
        mapped = {f"/config/{emit.SCENARIO_FILE}": str(out / emit.SCENARIO_FILE)}
        mapped |= {
            emit.RESULTS: str(out / "results"),
            "5557": port,
            f"master:{emit.MASTER_PORT}": f"127.0.0.1:{port}",
        }
        return [sys.executable, "-m", "scalectl", *(mapped.get(a, a) for a in cmd)]

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    master = subprocess.Popen(local(doc["services"]["master"]["command"]), cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    replicas = doc["services"]["worker"]["deploy"]["replicas"]
    workers = [
        subprocess.Popen(
            local(doc["services"]["worker"]["command"]),
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(replicas)
    ]
    output, _ = master.communicate(timeout=150)
    codes = [w.wait(timeout=60) for w in workers]
    assert master.returncode == 0, output[-2000:]
    assert codes == [0] * replicas
    runs = (out / "results" / "runs").glob("*/run.json")
    (run_json,) = [p for p in runs if p.parent.name != "latest"]  # runs/latest links the same run
    run = json.loads(run_json.read_text())
    assert run["complete"] and run["total"]["requests"] > 0
    assert run["generator"]["workers"] == 1 and len(run["generator"]["accounts"]) == 1
