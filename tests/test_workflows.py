"""The GitHub files are valid and do what CONTRIBUTING.md says, checked offline.

check-jsonschema (pinned in requirements-test.txt) validates the workflows and issue forms
against the schemas it ships (``--builtin-schema vendor.*``): no download, no network.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO

GITHUB = REPO / ".github"
WORKFLOWS = sorted([*GITHUB.glob("workflows/*.yml"), *GITHUB.glob("workflows/*.yaml")])
FORMS = sorted(p for p in GITHUB.glob("ISSUE_TEMPLATE/*.y*ml") if p.stem != "config")


def check_jsonschema(schema: str, files: list[Path]) -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("check-jsonschema")
    command = (
        [str(script)]
        if script.is_file()
        else [shutil.which("check-jsonschema") or "check-jsonschema"]
    )
    try:
        return subprocess.run(
            [*command, "--builtin-schema", schema, *map(str, files)],
            capture_output=True,
            text=True,
            timeout=120,
        )
    except FileNotFoundError:
        pytest.fail(
            "check-jsonschema is not installed: .venv/bin/pip install -r requirements-test.txt"
        )


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def triggers(workflow: dict) -> dict:
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key `on` as True
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    return on or {}


def steps_text(job: dict) -> str:
    return "\n".join(str(step.get("run", "")) for step in job.get("steps", []))


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def test_workflow_is_valid(workflow):
    proc = check_jsonschema("vendor.github-workflows", [workflow])
    assert proc.returncode == 0, f".github/workflows/{workflow.name}:\n{proc.stdout}{proc.stderr}"


@pytest.mark.parametrize("form", FORMS, ids=[p.name for p in FORMS])
def test_issue_form_is_valid(form):
    proc = check_jsonschema("vendor.github-issue-forms", [form])
    assert proc.returncode == 0, f".github/ISSUE_TEMPLATE/{form.name}:\n{proc.stdout}{proc.stderr}"


def test_issue_template_config_is_valid():
    config = GITHUB / "ISSUE_TEMPLATE" / "config.yml"
    proc = check_jsonschema("vendor.github-issue-config", [config])
    assert proc.returncode == 0, f"{config.relative_to(REPO)}:\n{proc.stdout}{proc.stderr}"


def test_an_invalid_workflow_is_rejected(tmp_path):
    """The validation can fail: a job without runs-on and a step with an unknown key."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "name: bad\non: push\njobs:\n  test:\n    steps:\n      - rum: make test\n",
        encoding="utf-8",
    )
    proc = check_jsonschema("vendor.github-workflows", [bad])
    assert proc.returncode != 0, proc.stdout


def test_issue_forms_cover_errors_and_new_chapters():
    names = {load(p)["name"] for p in FORMS}
    assert {"Error in a chapter", "New chapter proposal"} <= names, names


def test_pull_request_template_has_the_checklist():
    text = (GITHUB / "PULL_REQUEST_TEMPLATE.md").read_text(encoding="utf-8")
    assert "- [ ] `make test` passes" in text
    assert "publish.check_replay" in text and "STYLE.md" in text


def test_pull_requests_run_the_strict_build_and_the_whole_suite():
    workflow = load(GITHUB / "workflows" / "test.yml")
    assert "pull_request" in triggers(workflow)
    runs = "\n".join(steps_text(job) for job in workflow["jobs"].values())
    assert "make build" in runs, "test.yml: no strict build (make build)"
    assert "make test" in runs, "test.yml: the test suite does not run"
    blocking = [name for name, job in workflow["jobs"].items() if job.get("continue-on-error")]
    assert not blocking, f"test.yml: jobs allowed to fail: {blocking}"


def test_external_links_are_checked_in_a_separate_non_blocking_job():
    workflow = load(GITHUB / "workflows" / "links.yml")
    assert "pull_request" in triggers(workflow)
    jobs = [job for job in workflow["jobs"].values() if "--check-extern" in steps_text(job)]
    assert jobs, "links.yml: no job checks external links"
    assert all(job.get("continue-on-error") is True for job in jobs), (
        "links.yml: the external link job must not block (continue-on-error: true)"
    )
    assert "--check-extern" not in "\n".join(
        steps_text(j) for j in load(GITHUB / "workflows" / "test.yml")["jobs"].values()
    )


def test_pages_deploys_a_strict_build():
    workflow = load(GITHUB / "workflows" / "pages.yml")
    assert "make build" in "\n".join(steps_text(job) for job in workflow["jobs"].values())
