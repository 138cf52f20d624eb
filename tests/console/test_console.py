"""The web console in a real headless Chromium against a real ``serve``: the scenario of issue 21.

Sign in, create a pipeline through the generated form (a bad regex is shown beside its field, then
fixed), look at its history and roll back, edit it as YAML (a parse error and a refused regex are
shown beside the YAML with their line), preview it step by step, reorder two routes with the
buttons (a filter the parser refuses is shown beside it with line and column) and back by drag and
drop, trace three events, read the live counts (per route too), replay a dead letter.
With ``PIPEFLOW_CONSOLE_SCREENSHOTS=DIR`` the main views are saved as PNG files in ``DIR``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from selenium.common.exceptions import TimeoutException
from selenium.webdriver import Chrome
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.console.conftest import TOKEN, Console

UNLABELLED = """
return [...document.querySelectorAll("input, select, textarea, button")]
  .filter((c) => c.offsetParent !== null || c.type === "checkbox")
  .filter((c) => !(c.labels && c.labels.length) && !c.getAttribute("aria-label") && !c.textContent.trim())
  .map((c) => c.outerHTML);
"""


def browser_log(driver: Chrome) -> list[str]:
    """The browser console's messages since the last call."""
    entries: list[dict[str, Any]] = driver.get_log("browser")  # type: ignore[no-untyped-call]
    return [str(e["message"]) for e in entries]


def wait(driver: Chrome, check: Callable[[Chrome], Any], timeout: float = 10) -> Any:
    """``check(driver)`` once truthy; on a timeout, fail with the page's status line and the browser's log."""
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.05).until(check)
    except TimeoutException:
        log = "\n".join(browser_log(driver))
        status = driver.find_element(By.ID, "status").text
        raise AssertionError(f"timed out; status line: {status!r}; browser log:\n{log}") from None


def text_of(driver: Chrome, css: str) -> str:
    found = driver.find_elements(By.CSS_SELECTOR, css)
    return found[0].text if found else ""


def wait_text(driver: Chrome, css: str, part: str) -> str:
    return str(wait(driver, lambda d: part in text_of(d, css) and text_of(d, css)))


def by_id(driver: Chrome, ident: str) -> WebElement:
    found: WebElement = wait(driver, lambda d: d.find_element(By.ID, ident))
    return found


def retype(element: WebElement, text: str) -> None:
    element.clear()
    element.send_keys(text)


def screenshot(driver: Chrome, name: str) -> None:
    folder = os.environ.get("PIPEFLOW_CONSOLE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / f"console-{name}.png"))


def assert_labelled(driver: Chrome) -> None:
    assert driver.execute_script(UNLABELLED) == []


def view(driver: Chrome, name: str) -> None:
    driver.find_element(By.CSS_SELECTOR, f'#nav button[data-view="{name}"]').click()
    wait(driver, lambda d: d.find_element(By.ID, f"view-{name}").is_displayed())


def sign_in(driver: Chrome, console: Console) -> None:
    driver.get(f"{console.base_url}/ui")
    token = by_id(driver, "login-token")
    token.send_keys("wrong", Keys.ENTER)
    wait_text(driver, "#login-problem", "refused")
    assert driver.execute_script("return sessionStorage.getItem('pipeflow.token')") is None
    retype(token, TOKEN)
    token.send_keys(Keys.ENTER)  # the keyboard alone signs in
    wait_text(driver, "#pipelines-table", "tidy")
    assert driver.execute_script("return sessionStorage.getItem('pipeflow.token')") == TOKEN
    assert driver.execute_script("return localStorage.length") == 0
    assert "console-t0ken" not in driver.execute_script("return document.cookie")


def create_pipeline(driver: Chrome, console: Console) -> None:
    by_id(driver, "pipeline-new").click()
    by_id(driver, "pipeline-id").send_keys("scrub")
    by_id(driver, "pipeline-description").send_keys("mask digits")
    Select(by_id(driver, "function-add-type")).select_by_value("mask")
    by_id(driver, "function-add").click()
    by_id(driver, "fn-0-field").send_keys("message")
    pattern = by_id(driver, "fn-0-pattern")
    pattern.send_keys("([0-9")
    by_id(driver, "pipeline-save").click()
    problem = wait_text(driver, "#fn-0-pattern-problem", "invalid regex")
    assert "unterminated character set" in problem
    beside = driver.find_element(By.ID, "fn-0-pattern-problem").find_element(By.XPATH, "..")
    assert beside == pattern.find_element(By.XPATH, "..")  # in the pattern's own field
    assert pattern.get_attribute("aria-invalid") == "true"
    assert "fn-0-pattern-problem" in (pattern.get_attribute("aria-describedby") or "")
    assert console.api.get("/pipelines/scrub").status_code == 404  # nothing stored
    screenshot(driver, "pipeline-problem")
    retype(pattern, r"\d+")
    by_id(driver, "pipeline-save").click()
    wait_text(driver, "#status", "Saved pipeline scrub, version 1")
    stored = console.api.get("/pipelines/scrub").json()
    assert stored["functions"][0] | {"replacement": None} == {
        "type": "mask",
        "field": "message",
        "pattern": r"\d+",
        "replacement": None,
    }
    assert text_of(driver, "#fn-0-pattern-problem") == ""
    assert_labelled(driver)


def edit_and_roll_back(driver: Chrome, console: Console) -> None:
    retype(by_id(driver, "pipeline-description"), "mask every number")
    by_id(driver, "pipeline-save").click()
    wait_text(driver, "#status", "version 2")
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#pipeline-history button"))
    driver.find_element(By.CSS_SELECTOR, '[aria-label="Diff version 1 with current"]').click()
    diff = wait_text(driver, "#pipeline-diff", "mask every number")
    assert '-   "description": "mask digits",' in diff
    assert '+   "description": "mask every number",' in diff
    screenshot(driver, "pipeline-history")
    driver.find_element(By.XPATH, '//button[text()="Roll back to version 1"]').click()
    wait_text(driver, "#status", "version 3 (the content of version 1)")
    assert console.api.get("/pipelines/scrub").json()["description"] == "mask digits"


def edit_as_yaml(driver: Chrome, console: Console) -> None:
    """The pipeline as YAML: a parse error and a refused regex beside the YAML, then a fixed save."""
    by_id(driver, "pipeline-mode-yaml").click()
    box = by_id(driver, "pipeline-yaml")
    text = box.get_attribute("value") or ""
    assert "description: mask digits" in text
    assert "pattern: \\d+" in text
    unreadable = "description: x\nfunctions:\n  - type: [\n"
    driver.execute_script("arguments[0].value = arguments[1]", box, unreadable)
    by_id(driver, "pipeline-save").click()
    problem = wait_text(driver, "#pipeline-yaml-problem", "line ")
    assert problem.startswith("line 4, column 1:")
    assert box.get_attribute("aria-invalid") == "true"
    assert "pipeline-yaml-problem" in (box.get_attribute("aria-describedby") or "")
    bad = "description: as yaml\nfunctions:\n  - type: mask\n    field: message\n    pattern: '([0-9'\n"
    driver.execute_script("arguments[0].value = arguments[1]", box, bad)
    by_id(driver, "pipeline-save").click()
    problem = wait_text(driver, "#pipeline-yaml-problem", "invalid regex")
    assert problem.startswith("line 5, functions[0].pattern:")
    assert console.api.get("/pipelines/scrub").json()["version"] == 3  # nothing stored
    driver.execute_script("arguments[0].value = arguments[1]", box, bad.replace("'([0-9'", "'[0-9]+'"))
    by_id(driver, "pipeline-save").click()
    wait_text(driver, "#status", "Saved pipeline scrub, version 4")
    stored = console.api.get("/pipelines/scrub").json()
    assert stored["description"] == "as yaml"
    assert stored["functions"][0]["pattern"] == "[0-9]+"
    assert text_of(driver, "#pipeline-yaml-problem") == ""
    by_id(driver, "pipeline-mode-form").click()
    assert by_id(driver, "fn-0-pattern").get_attribute("value") == "[0-9]+"
    assert_labelled(driver)


def preview_pipeline(driver: Chrome) -> None:
    """The whole pipeline on two events: each step's before and after, the outputs."""
    box = by_id(driver, "pipeline-preview-input")
    sample = [{"message": "call 555 <i>now</i>"}, {"level": "x"}]
    driver.execute_script("arguments[0].value = arguments[1]", box, "\n".join(json.dumps(e) for e in sample))
    by_id(driver, "pipeline-preview-run").click()
    wait_text(driver, "#pipeline-preview-summary", "2 event(s) through version 4: 2 out, 0 dropped, 0 failed")
    first = driver.find_element(By.CSS_SELECTOR, '[aria-label="Pipeline step trace of event 1"]')
    step, outcome, before, after = (c.text for c in first.find_elements(By.CSS_SELECTOR, "tbody tr > *"))
    assert (step, outcome) == ("1. mask", "pass")
    assert json.loads(before) == sample[0]
    assert json.loads(after)["message"] != sample[0]["message"]
    assert "555" not in after
    assert driver.find_elements(By.CSS_SELECTOR, "#pipeline-preview-result i") == []  # text, not markup
    driver.execute_script("document.getElementById('pipeline-preview').scrollIntoView()")
    screenshot(driver, "pipeline-preview")
    assert_labelled(driver)


def drag(driver: Chrome, handle: WebElement, target: WebElement) -> None:
    """An HTML5 drag from ``handle`` onto ``target``: the events a browser fires, with one DataTransfer
    (chromedriver's pointer actions do not start HTML5 drags)."""
    driver.execute_script(
        """
        const [handle, target] = arguments;
        const data = new DataTransfer();
        const fire = (node, type) => node.dispatchEvent(
          new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer: data}));
        fire(handle, "dragstart");
        fire(target, "dragenter");
        fire(target, "dragover");
        fire(target, "drop");
        fire(handle, "dragend");
        """,
        handle,
        target,
    )


def drag_routes(driver: Chrome, console: Console) -> None:
    """Drag the two routes back into their first order and save; then "errors" to the top again."""
    assert driver.find_element(By.ID, "route-0-name").get_attribute("value") == "errors"
    drag(driver, by_id(driver, "route-1-handle"), by_id(driver, "route-0-item"))
    wait(driver, lambda d: d.find_element(By.ID, "route-0-name").get_attribute("value") == "all")
    assert driver.find_element(By.ID, "route-1-name").get_attribute("value") == "errors"
    assert "position 1" in text_of(driver, "#status")
    by_id(driver, "routes-save").click()
    wait_text(driver, "#status", "Saved the route table, version 3")
    assert [r["name"] for r in console.api.get("/routes").json()["routes"]] == ["all", "errors"]
    drag(driver, by_id(driver, "route-1-handle"), by_id(driver, "route-0-item"))
    wait(driver, lambda d: d.find_element(By.ID, "route-0-name").get_attribute("value") == "errors")
    by_id(driver, "routes-save").click()
    wait_text(driver, "#status", "Saved the route table, version 4")
    assert [r["name"] for r in console.api.get("/routes").json()["routes"]] == ["errors", "all"]


def reorder_routes(driver: Chrome, console: Console) -> None:
    view(driver, "routes")
    wait(driver, lambda d: d.find_element(By.ID, "route-1-name").get_attribute("value") == "errors")
    up = by_id(driver, "route-1-up")
    up.send_keys(Keys.ENTER)  # buttons work from the keyboard
    wait(driver, lambda d: d.find_element(By.ID, "route-0-name").get_attribute("value") == "errors")
    assert driver.find_element(By.ID, "route-1-name").get_attribute("value") == "all"
    filter_box = by_id(driver, "route-0-filter")
    retype(filter_box, "level ==")
    by_id(driver, "routes-save").click()
    problem = wait_text(driver, "#route-0-filter-problem", "line 1, column 9")
    assert "expected expression" in problem
    assert [r["name"] for r in console.api.get("/routes").json()["routes"]] == ["all", "errors"]
    retype(by_id(driver, "route-0-filter"), 'level == "error"')
    by_id(driver, "routes-save").click()
    wait_text(driver, "#status", "Saved the route table, version 2")
    table = console.api.get("/routes").json()
    assert [r["name"] for r in table["routes"]] == ["errors", "all"]
    assert table["routes"][0]["filter"] == 'level == "error"'
    assert console.api.get("/runtime").json()["routes_version"] == 2
    screenshot(driver, "routes")
    assert_labelled(driver)
    drag_routes(driver, console)


EVENTS = [
    {"level": "error", "message": "disk <b>full</b>"},
    {"payload": '{"user": "ann", "n": 1}'},
    {"payload": "{broken"},
]


def preview(driver: Chrome) -> None:
    view(driver, "preview")
    box = by_id(driver, "preview-input")
    box.send_keys("not json")
    box.submit()
    wait_text(driver, "#preview-problem", "line 1: not valid JSON")
    box.clear()
    driver.execute_script("arguments[0].value = arguments[1]", box, "\n".join(json.dumps(e) for e in EVENTS))
    driver.find_element(By.CSS_SELECTOR, "#preview-form button[type=submit]").click()
    wait_text(driver, "#preview-summary", "3 event(s) through route table version 4")
    first = driver.find_element(By.CSS_SELECTOR, '[aria-label="Trace of event 1"]').text
    assert "Route errors: matched" in first
    assert "Sink alerts gets" in first
    assert "disk <b>full</b>" in first  # event values are text, never markup
    assert driver.find_elements(By.CSS_SELECTOR, "#preview-result b") == []
    second = driver.find_element(By.CSS_SELECTOR, '[aria-label="Trace of event 2"]')
    assert "Route errors: did not match" in second.text
    assert "Route all: matched" in second.text
    cells = second.find_elements(By.CSS_SELECTOR, "table.steps tbody tr td")
    outcome, before, after = (c.text for c in cells)
    assert outcome == "pass"
    assert json.loads(before) == EVENTS[1]
    assert json.loads(after) == {"payload": '{"user": "ann", "n": 1}', "user": "ann", "n": 1}
    third = driver.find_element(By.CSS_SELECTOR, '[aria-label="Trace of event 3"]').text
    assert "fail" in third
    assert "invalid JSON" in third
    screenshot(driver, "preview")
    assert_labelled(driver)


def live_counts(driver: Chrome, console: Console) -> None:
    body = b'{"payload": "{\\"n\\": 2}"}\n{"level": "error"}\n'
    assert console.api.post("/ingest/web", content=body).status_code == 202
    view(driver, "metrics")
    wait(driver, lambda d: "web 2" in text_of(d, "#metrics-sources"))
    wait_text(driver, "#metrics-sinks", "out 1")
    wait_text(driver, "#metrics-sinks", "alerts 1")
    wait_text(driver, "#metrics-routes", "all 1 0")  # "errors" is final: the error event stops there
    wait_text(driver, "#metrics-routes", "errors 1 0")
    screenshot(driver, "live-counts")
    assert_labelled(driver)


def replay_dead_letter(driver: Chrome, console: Console) -> None:
    got = console.api.post("/ingest/web", content=b'{"payload": "{broken"}\n')
    assert got.json() == {"accepted": 1, "dead_lettered": 0}
    listed = console.api.get("/dead-letters").json()
    assert listed["total"] == 1
    seq = listed["items"][0]["seq"]
    fixed = {"functions": [{"type": "parse", "field": "payload", "format": "json", "on_failure": "pass"}]}
    assert console.api.put("/pipelines/tidy", json=fixed, headers={"If-Match": "*"}).status_code == 200
    view(driver, "dead-letters")
    wait_text(driver, "#dead-summary", "1 record(s) stored")
    assert "parse: invalid JSON" in text_of(driver, "#dead-table")
    screenshot(driver, "dead-letters")
    by_id(driver, f"dead-select-{seq}").send_keys(Keys.SPACE)
    by_id(driver, "dead-replay").click()
    wait_text(driver, "#dead-replayed", f"Replayed 1 record(s): {seq}")
    wait_text(driver, "#dead-summary", "0 record(s) stored")
    assert console.api.get("/dead-letters").json()["total"] == 0
    out = [json.loads(line) for line in (console.folder / "out.ndjson").read_text().splitlines()]
    assert out[-1] == {"payload": "{broken"}


def test_the_console_from_sign_in_to_replay(driver: Chrome, console: Console) -> None:
    sign_in(driver, console)
    assert_labelled(driver)
    screenshot(driver, "pipelines")
    create_pipeline(driver, console)
    edit_and_roll_back(driver, console)
    edit_as_yaml(driver, console)
    preview_pipeline(driver)
    reorder_routes(driver, console)
    preview(driver)
    live_counts(driver, console)
    replay_dead_letter(driver, console)
    logged = browser_log(driver)  # read once: the driver hands each entry out once
    assert [m for m in logged if "Content Security Policy" in m] == []
    assert [m for m in logged if "Uncaught" in m] == []
    refused = [
        m.split(" - ")[0].rsplit("/", 1)[1] + " " + m.rsplit("status of ", 1)[1]
        for m in logged
        if "Failed" in m
    ]
    # the wrong token, the bad regex (form, then YAML), the bad filter: nothing else failed
    assert refused == [
        "runtime 401 (Unauthorized)",
        "pipelines 422 (Unprocessable Entity)",
        "scrub 422 (Unprocessable Entity)",
        "routes 422 (Unprocessable Entity)",
    ]
