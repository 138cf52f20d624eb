"""The example third-party plugin, ``examples/plugins/pipeflow-hash``, installed for real into this venv.

It is a distribution of its own that registers ``hash`` under ``pipeflow.functions``. The test
installs it (editable, once: later runs find it already installed from this folder), then finds
it the way the engine does, through the entry-point group, runs it through the public contract
suite, runs the plugin's own tests, uses it from a config file, and checks that its code imports
pipeflow by the one SDK name only (spec §15).
"""

from __future__ import annotations

import ast
import hashlib
import hmac
import importlib
import importlib.util
import json
import site
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, distribution, version
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st

import pipeflow
import pipeflow.testing
from pipeflow.domain.compile import compile_pipeline
from pipeflow.domain.engine import CompiledPipeline
from pipeflow.domain.errors import ValidationError
from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.json import JsonObject
from pipeflow.domain.pipeline import FunctionSpec, Pipeline, PipelineId
from pipeflow.infrastructure.functions.base import FunctionPlugin
from pipeflow.infrastructure.plugins import GROUP, load_function_plugins
from pipeflow.interfaces.config.loader import load_config
from pipeflow.interfaces.config.problems import render_problem
from pipeflow.testing import check_plugin, events_for

PLUGIN_DIR = Path(__file__).resolve().parents[2] / "examples" / "plugins" / "pipeflow-hash"
DIST = "pipeflow-hash"
LAYERS = {"domain", "application", "infrastructure", "interfaces"}


def installed_from() -> str | None:
    """The folder URL the example distribution is installed from, or ``None`` when it is not installed."""
    try:
        text = distribution(DIST).read_text("direct_url.json")
    except PackageNotFoundError:
        return None
    url = json.loads(text or "{}").get("url")
    return url if isinstance(url, str) else None


def _builds_without_isolation() -> bool:
    # setuptools builds an editable wheel itself from 70.1; before that it needs the ``wheel`` package.
    try:
        setuptools = tuple(int(p) for p in version("setuptools").split(".")[:2])
    except (PackageNotFoundError, ValueError):
        return False
    return setuptools >= (70, 1) or importlib.util.find_spec("wheel") is not None


def ensure_installed() -> bool:
    """Install the example editable into this venv unless it already is, from this folder; say if it was."""
    if installed_from() == PLUGIN_DIR.as_uri():
        return False
    isolation = ["--no-build-isolation"] if _builds_without_isolation() else []
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-deps",
        *isolation,
        "-e",
        str(PLUGIN_DIR),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"installing {PLUGIN_DIR} failed:\n{done.stdout}\n{done.stderr}"
    # A .pth file is read at interpreter start: read the new one now, so this process can import it.
    dist = distribution(DIST)
    for file in dist.files or ():
        if file.name.endswith(".pth"):
            site.addpackage(str(dist.locate_file("")), file.name, None)
    importlib.invalidate_caches()
    return True


@pytest.fixture(scope="module")
def hash_plugin() -> FunctionPlugin[Any]:
    ensure_installed()
    plugins, errors = load_function_plugins()
    assert [e for e in errors if e.name == "hash"] == []
    return plugins["hash"]


def event(fields: JsonObject) -> Event:
    return Event(EventId("01HASH"), EventMeta("app", 0.0), fields)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_the_distribution_is_installed_from_the_example_folder_and_registered(
    hash_plugin: FunctionPlugin[Any],
) -> None:
    assert installed_from() == PLUGIN_DIR.as_uri()
    eps = [ep for ep in distribution(DIST).entry_points if ep.group == GROUP]
    assert [(ep.name, ep.value) for ep in eps] == [("hash", "pipeflow_hash:plugin")]
    assert hash_plugin.name == "hash"
    module = sys.modules[hash_plugin.model.__module__]
    assert module.__file__ is not None
    assert Path(module.__file__).is_relative_to(PLUGIN_DIR)


def test_installing_again_is_a_no_op(hash_plugin: FunctionPlugin[Any]) -> None:
    assert ensure_installed() is False


@pytest.mark.parametrize(
    "config",
    [
        {"fields": ["user.email", "client_ip", "tags[0]"]},
        {"fields": ["message"], "algorithm": "md5", "salt": "s3cret", "target": "_hash"},
        {"fields": ["a.b", "a"], "algorithm": "blake2b", "target": "_h"},
        {"fields": ["id"], "algorithm": "sha1"},
    ],
)
def test_hash_passes_the_contract(hash_plugin: FunctionPlugin[Any], config: JsonObject) -> None:
    check_plugin(hash_plugin, config, max_examples=40)


def test_hash_passes_the_contract_on_pii_shaped_values(hash_plugin: FunctionPlugin[Any]) -> None:
    config: JsonObject = {"fields": ["user.email", "user.id"], "salt": "k", "target": "_pseudo"}
    values = st.emails() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.booleans()
    check_plugin(hash_plugin, config, max_examples=40, events=events_for(config, values=values))


def compiled(hash_plugin: FunctionPlugin[Any], config: JsonObject) -> CompiledPipeline:
    pipeline = Pipeline(PipelineId("pseudo"), (FunctionSpec("hash", config),))
    built = compile_pipeline(pipeline, {"hash": hash_plugin})
    assert isinstance(built, CompiledPipeline), built
    return built


def test_a_compiled_pipeline_replaces_strings_and_numbers_with_their_digest(
    hash_plugin: FunctionPlugin[Any],
) -> None:
    pipeline = compiled(hash_plugin, {"fields": ["user.email", "user.id", "ok", "none", "gone", "ratio"]})
    fields: JsonObject = {"user": {"email": "a@b.c", "id": 42}, "ok": True, "none": None, "ratio": 1.5}
    out = pipeline.process_event(event(fields))
    assert (out.dropped, out.failed) == ([], [])
    assert [e.fields for e in out.outputs] == [
        {
            "user": {"email": sha256("a@b.c"), "id": sha256("42")},
            "ok": True,
            "none": None,
            "ratio": sha256("1.5"),
        }
    ]


def test_salt_makes_it_an_hmac_and_target_keeps_the_original(hash_plugin: FunctionPlugin[Any]) -> None:
    pipeline = compiled(hash_plugin, {"fields": ["email"], "algorithm": "md5", "salt": "k", "target": "_h"})
    [out] = pipeline.process_event(event({"email": "a@b.c"})).outputs
    assert out.fields == {"email": "a@b.c", "email_h": hmac.new(b"k", b"a@b.c", "md5").hexdigest()}


def test_digests_come_from_the_input_so_a_target_listed_too_is_not_hashed_twice(
    hash_plugin: FunctionPlugin[Any],
) -> None:
    pipeline = compiled(hash_plugin, {"fields": ["a", "a_h"], "algorithm": "blake2b", "target": "_h"})
    [out] = pipeline.process_event(event({"a": "x"})).outputs
    assert out.fields == {"a": "x", "a_h": hashlib.blake2b(b"x").hexdigest()}


def test_config_problems_are_values_naming_the_field(hash_plugin: FunctionPlugin[Any]) -> None:
    pipeline = Pipeline(
        PipelineId("p"),
        (
            FunctionSpec("hash", {"fields": ["tags[0]"], "target": "_h"}),
            FunctionSpec("hash", {"fields": ["x"], "algorithm": "crc32"}),
            FunctionSpec("hash", {"fields": []}),
            FunctionSpec("hash", {"fields": ["a..b"]}),
        ),
    )
    built = compile_pipeline(pipeline, {"hash": hash_plugin})
    assert isinstance(built, ValidationError)
    assert [p.where for p in built.problems] == [
        "functions[0].fields[0]",
        "functions[1].algorithm",
        "functions[2].fields",
        "functions[3].fields[0]",
    ]


CONFIG = """\
sources:
  app: {type: file, path: app.ndjson}
pipelines:
  pseudonymise:
    functions:
      - {type: hash, fields: [user.email], salt: k, target: _id}
      - {type: remove, fields: [user.email]}
sinks:
  out: {type: file, path: out.ndjson}
routes:
  - {name: all, pipeline: pseudonymise, sink: out}
"""


def test_a_config_file_uses_the_plugin_by_its_type(hash_plugin: FunctionPlugin[Any], tmp_path: Path) -> None:
    path = tmp_path / "pipeflow.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    plugins, _ = load_function_plugins()
    loaded = load_config(str(path), plugins).unwrap()
    [out] = (
        loaded.compiled[PipelineId("pseudonymise")].process_event(event({"user": {"email": "a@b.c"}})).outputs
    )
    assert out.fields == {"user": {"email_id": hmac.new(b"k", b"a@b.c", "sha256").hexdigest()}}


def test_an_invalid_plugin_config_is_reported_at_its_place_in_the_file(
    hash_plugin: FunctionPlugin[Any], tmp_path: Path
) -> None:
    path = tmp_path / "pipeflow.yaml"
    text = CONFIG.replace("salt: k", "algorithm: crc32")
    path.write_text(text, encoding="utf-8")
    plugins, _ = load_function_plugins()
    [problem] = load_config(str(path), plugins).failure()
    line = text.splitlines()[5]
    place = f"pipeflow.yaml:6:{line.index('crc32') + 1}"  # points at the bad value
    assert render_problem(problem, "pipeflow.yaml") == (
        f"{place}: pipelines.pseudonymise.functions[0].algorithm: "
        "Input should be 'sha256', 'sha1', 'md5' or 'blake2b'"
    )


def imported_modules(source: Path) -> set[str]:
    """Every module a Python file imports (``from a import b`` counts ``a`` and ``a.b``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_imported_modules_sees_a_layer_however_it_is_imported(tmp_path: Path) -> None:
    source = tmp_path / "plugin.py"
    source.write_text("import json\nfrom pipeflow import domain\nfrom pipeflow.testing import check_plugin\n")
    assert imported_modules(source) == {
        "json",
        "pipeflow",
        "pipeflow.domain",
        "pipeflow.testing",
        "pipeflow.testing.check_plugin",
    }


def test_the_plugin_imports_pipeflow_by_its_sdk_name_only() -> None:
    sdk = {"pipeflow", *(f"pipeflow.{name}" for name in pipeflow.__all__)}
    testing = {"pipeflow.testing", *(f"pipeflow.testing.{name}" for name in pipeflow.testing.__all__)}
    sources = [PLUGIN_DIR / "src" / "pipeflow_hash" / "__init__.py"]
    tests = [PLUGIN_DIR / "tests" / "test_hash.py"]
    assert sorted(PLUGIN_DIR.glob("[!b]*/**/*.py")) == sorted(sources + tests)  # build/ aside
    for source in sources + tests:
        imported = imported_modules(source)
        assert {m for m in imported if LAYERS & set(m.split("."))} == set(), source
        ours = {m for m in imported if m.split(".")[0] == "pipeflow"}
        assert ours <= (sdk | testing if source in tests else sdk), source
    outside = {m.split(".")[0] for m in imported_modules(sources[0])} - set(sys.stdlib_module_names)
    assert outside == {"pipeflow", "pydantic"}


def test_the_plugins_own_tests_pass(hash_plugin: FunctionPlugin[Any]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q"],
        cwd=PLUGIN_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1].startswith("4 passed"), done.stdout
