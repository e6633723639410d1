"""The GitHub files are valid and do what CONTRIBUTING.md says, checked offline.

check-jsonschema (pinned in requirements-test.txt) validates the workflows and issue forms
against the schemas it ships (``--builtin-schema vendor.*``): no download, no network.
"""

from __future__ import annotations

import fnmatch
import re
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


# --- the weekly upstream build, dependency updates, previews, hygiene ------------------------

UPSTREAM_PACKAGES = ("tensorflow", "keras", "numpy")
ACTION_PIN = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+?)@(\S+)(.*)$")
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def all_runs(workflow: dict) -> str:
    return "\n".join(steps_text(job) for job in workflow["jobs"].values())


def test_the_upstream_build_runs_weekly_and_on_demand():
    workflow = load(GITHUB / "workflows" / "upstream.yml")
    on = triggers(workflow)
    assert "workflow_dispatch" in on, "upstream.yml: no way to run it on demand"
    crons = [entry["cron"] for entry in on.get("schedule") or []]
    assert len(crons) == 1, crons
    minute, hour, day_of_month, month, day_of_week = crons[0].split()
    assert (day_of_month, month) == ("*", "*") and day_of_week.isdigit(), (
        f"upstream.yml: {crons[0]!r} is not once a week"
    )


def test_the_upstream_build_does_not_use_the_pins():
    """The upstream job installs the newest TensorFlow, Keras and NumPy: through `make
    upstream-install` only, never the pinned requirements (make install/build/test, pip -r)."""
    text = (GITHUB / "workflows" / "upstream.yml").read_text(encoding="utf-8")
    for name in UPSTREAM_PACKAGES:
        assert not re.search(rf"\b{name}\s*==", text), f"upstream.yml pins {name}"
    workflow = load(GITHUB / "workflows" / "upstream.yml")
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    runs = [str(step.get("run", "")) for step in steps]
    install = [i for i, run in enumerate(runs) if "make upstream-install" in run]
    build = [i for i, run in enumerate(runs) if re.search(r"make upstream\b(?!-)", run)]
    tests = [i for i, run in enumerate(runs) if "pytest" in run]
    assert install and build and tests, runs
    assert install[0] < build[0] < tests[0], "install, build, test: in this order"
    assert all(".venv-upstream/bin/python -m pytest" in runs[i] for i in tests), (
        "the tests must run with the upstream packages (.venv-upstream)"
    )
    after_install = "\n".join(runs[install[0] :])
    assert "pip install -r requirements" not in after_install
    assert not re.search(r"make (install|test)\b", after_install), (
        "make install/test would install the pins into .venv and test with them"
    )


def test_make_upstream_install_installs_the_newest_releases(tmp_path):
    """`make -n` prints the recipe: .venv-upstream gets the requirements that
    sitebuild.upstream writes, and those have no pin of TensorFlow, Keras or NumPy but every
    other pin of requirements-test.txt (and of requirements.txt, which it includes)."""
    proc = subprocess.run(
        ["make", "-n", "upstream-install"], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    recipe = proc.stdout.replace("\\\n", " ")
    generated = re.search(r"-m sitebuild\.upstream (\S+)\s+>\s*(\S+)", recipe)
    assert generated, recipe
    source, target = generated.groups()
    assert re.search(rf"pip install .*--upgrade -r {re.escape(target)}", recipe), recipe
    assert not re.search(r"pip install .*-r requirements", recipe), recipe

    from sitebuild.upstream import unpinned_requirements

    lines = [line.strip() for line in unpinned_requirements(REPO / source)]
    for name in UPSTREAM_PACKAGES:
        assert name in lines, f"{name} is not installed by the upstream build"
        assert not [line for line in lines if re.match(rf"{name}\s*[=<>~!]", line)], lines
    pinned = [
        line.strip()
        for path in ("requirements.txt", "requirements-test.txt")
        for line in (REPO / path).read_text(encoding="utf-8").splitlines()
        if "==" in line and not re.match(rf"({'|'.join(UPSTREAM_PACKAGES)})\b", line.strip())
    ]
    assert pinned and set(pinned) <= set(lines), set(pinned) - set(lines)


def test_unpinning_keeps_extras_and_other_lines(tmp_path):
    from sitebuild.upstream import unpin_line

    assert unpin_line("tensorflow==2.21.0") == "tensorflow"
    assert unpin_line("Keras >= 3.0  # the layers") == "Keras"
    assert unpin_line("numpy[extra]==2.4.6") == "numpy[extra]"
    assert unpin_line("tensorflow-text==2.21.0") == "tensorflow-text==2.21.0"
    assert unpin_line("mkdocs==1.6.1") == "mkdocs==1.6.1"
    assert unpin_line("--extra-index-url https://x/keras") == "--extra-index-url https://x/keras"


def test_the_upstream_report_is_the_summary_and_an_artifact_and_fails_the_job():
    workflow = load(GITHUB / "workflows" / "upstream.yml")
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    compare = [s for s in steps if "sitebuild.compare" in str(s.get("run", ""))]
    assert len(compare) == 1, "upstream.yml: no comparison step"
    (step,) = compare
    assert not step.get("continue-on-error"), "a change must fail the job"
    run = step["run"]
    assert "--report upstream-report.md" in run and run.count("--step") >= 2, run
    later = steps[steps.index(step) + 1 :]
    summary = [s for s in later if "GITHUB_STEP_SUMMARY" in str(s.get("run", ""))]
    assert summary and summary[0].get("if") == "always()", "the summary must be written anyway"
    uploads = [s for s in later if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    assert uploads and uploads[0].get("if") == "always()", "the report must be uploaded anyway"
    assert "upstream-report.md" in uploads[0]["with"]["path"]
    # The steps the report judges may fail without stopping the job before the comparison.
    for step_id in ("build", "tests"):
        judged = [s for s in steps if s.get("id") == step_id]
        assert judged and judged[0].get("continue-on-error") is True, step_id
        assert f"steps.{step_id}.outcome" in str(step.get("env", {})) + run


def test_pull_requests_get_a_preview_of_the_site_and_the_offline_zip():
    workflow = load(GITHUB / "workflows" / "test.yml")
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    uploads = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    paths = [str(s["with"]["path"]).rstrip("/") for s in uploads]
    assert "site" in paths, "test.yml: the built site is not uploaded"
    assert "site/download/rnn-with-keras-offline.zip" in paths, "the offline zip is not uploaded"
    from sitebuild.offline import ZIP_NAME

    assert paths[1].endswith(ZIP_NAME)
    for upload in uploads:
        assert "steps.build.outcome == 'success'" in str(upload.get("if")), upload
    template = (GITHUB / "PULL_REQUEST_TEMPLATE.md").read_text(encoding="utf-8")
    assert "## Preview" in template
    assert ZIP_NAME in template and "site-preview" in template, "the template names the artifacts"
    assert "http.server" in template and "index.html" in template, "and says how to open them"


def test_the_test_workflow_installs_the_requirements_once():
    """make creates .venv and installs the requirements; nothing installs them a second time
    with the system pip."""
    runs = all_runs(load(GITHUB / "workflows" / "test.yml"))
    assert "make install" in runs
    assert not re.search(r"(^|\s)(python3? -m )?pip3? install", runs), runs
    assert "python -m playwright" not in runs.replace(".venv/bin/python -m playwright", "")


def test_actions_are_pinned_to_full_commit_shas_with_the_version():
    problems = []
    for workflow in WORKFLOWS:
        for number, line in enumerate(workflow.read_text(encoding="utf-8").splitlines(), 1):
            match = ACTION_PIN.match(line)
            if not match:
                continue
            action, ref, rest = match.groups()
            if action.startswith("./"):
                continue
            if not re.fullmatch(r"[0-9a-f]{40}", ref) or not re.match(r"\s+#\s*v\d", rest):
                problems.append(f"{workflow.name}:{number}: {line.strip()}")
    assert not problems, "pin actions as uses: owner/action@<40-hex SHA> # vX.Y.Z:\n" + "\n".join(
        problems
    )


def test_every_workflow_that_installs_takes_the_cpu_build_of_torch():
    for workflow_file in WORKFLOWS:
        workflow = load(workflow_file)
        if not re.search(r"make (install|build|test|upstream)", all_runs(workflow)):
            continue
        index = str((workflow.get("env") or {}).get("PIP_EXTRA_INDEX_URL", ""))
        assert index == TORCH_CPU_INDEX, f"{workflow_file.name}: PIP_EXTRA_INDEX_URL is {index!r}"


def test_dependabot_is_valid_and_moves_tensorflow_and_keras_together():
    config_file = GITHUB / "dependabot.yml"
    proc = check_jsonschema("vendor.dependabot", [config_file])
    assert proc.returncode == 0, f"{config_file.relative_to(REPO)}:\n{proc.stdout}{proc.stderr}"
    updates = {u["package-ecosystem"]: u for u in load(config_file)["updates"]}
    assert {"pip", "npm", "github-actions"} <= updates.keys(), updates.keys()
    assert updates["npm"]["directory"] == "/"
    groups = updates["pip"].get("groups", {})

    def group_of(package: str) -> str | None:
        for name, group in groups.items():
            if any(fnmatch.fnmatch(package, p) for p in group.get("patterns", [])):
                return name
        return None

    assert group_of("tensorflow") is not None and group_of("tensorflow") == group_of("keras"), (
        "dependabot.yml: TensorFlow and Keras must be in the same group"
    )


def test_an_invalid_dependabot_config_is_rejected(tmp_path):
    bad = tmp_path / "dependabot.yml"
    bad.write_text(
        "version: 2\nupdates:\n  - package-ecosystem: pip\n    directory: /\n", encoding="utf-8"
    )
    proc = check_jsonschema("vendor.dependabot", [bad])
    assert proc.returncode != 0, "a config without a schedule must be rejected"


def test_ci_entry_point_parses_and_runs_the_readme_test_command():
    """CI runs `.ci/run` on a fresh machine: a syntax error there (a merge once ran a step into a
    comment) fails every submission before a single test runs."""
    script = REPO / ".ci" / "run"
    checked = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert checked.returncode == 0, f".ci/run does not parse: {checked.stderr}"
    commands = [
        line.strip()
        for line in script.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert commands[-1] == "make test", f".ci/run must end with `make test`, not {commands[-1]!r}"
