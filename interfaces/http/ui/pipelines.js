// Pipelines: the list, an editor (functions as forms generated from their schemas, as YAML or as
// JSON), problems beside the field they concern, a preview of sample events through the stored
// version (each function step's before and after), version history with a diff, and rollback.

import { ApiError, request } from "./api.js";
import { diffLines } from "./diff.js";
import { el, fill, say } from "./dom.js";
import { inputFor, kindOf, labelOf, readInput } from "./forms.js";
import { parseNdjson } from "./ndjson.js";
import { eventsCell, stepRows } from "./steps.js";
import { dump, load } from "./vendor/js-yaml.mjs";

const MODES = { form: "Edit as forms", yaml: "Edit as YAML", json: "Edit as JSON" };

/** Unreadable YAML: the parser's reason at a 1-based line and column. */
class YamlProblem extends Error {
  constructor(reason, line, column) {
    super(line ? `line ${line}, column ${column}: ${reason}` : reason);
    this.line = line;
  }
}

/**
 * The 1-based line of `where` (`functions[1].pattern`, `description`) in the YAML text, or null:
 * the n-th item of the `functions:` list, then its key.
 */
export function yamlLineOf(text, where) {
  const lines = text.split("\n");
  const match = /^functions\[(\d+)\](?:\.([A-Za-z_]\w*))?/.exec(where);
  const key = (name) => new RegExp(`^\\s*(?:-\\s+)?["']?${name}["']?\\s*:`);
  if (!match) {
    const at = lines.findIndex((l) => key(where.split(".")[0]).test(l) && !/^\s/.test(l));
    return at < 0 ? null : at + 1;
  }
  const start = lines.findIndex((l) => /^functions\s*:/.test(l));
  if (start < 0) return null;
  let item = -1;
  let indent = null;
  for (let i = start + 1; i < lines.length; i += 1) {
    const dash = /^(\s*)-(\s|$)/.exec(lines[i]);
    if (/^\S/.test(lines[i])) break;
    if (!dash || (indent !== null && dash[1].length !== indent)) continue;
    indent = dash[1].length;
    item += 1;
    if (item !== Number(match[1])) continue;
    if (!match[2]) return i + 1;
    for (let j = i; j < lines.length; j += 1) {
      if (j > i && (/^\S/.test(lines[j]) || new RegExp(`^\\s{${indent}}-`).test(lines[j]))) break;
      if (key(match[2]).test(lines[j])) return j + 1;
    }
    return i + 1;
  }
  return null;
}

const COMMON = ["type", "filter", "disabled"];
let plugins = null;
let editing = null; // {id, version, isNew, description, functions: [{type, config, filter, disabled}], mode}

async function functionTypes() {
  if (plugins === null) {
    const { data } = await request("GET", "/plugins");
    plugins = new Map(data.functions.map((f) => [f.name, f]));
  }
  return plugins;
}

function schemaOf(type) {
  const plugin = plugins && plugins.get(type);
  return plugin ? plugin.schema : { properties: {}, required: [] };
}

/** A function as the API writes it -> the editor's shape. */
function fromApi(fn) {
  const config = {};
  for (const [k, v] of Object.entries(fn)) if (!COMMON.includes(k)) config[k] = v;
  return { type: fn.type, config, filter: fn.filter || "", disabled: Boolean(fn.disabled) };
}

/** The editor's function -> the API's shape. */
function toApi(fn) {
  const out = { type: fn.type, ...fn.config };
  if (fn.filter) out.filter = fn.filter;
  if (fn.disabled) out.disabled = true;
  return out;
}

function body() {
  return { description: editing.description, functions: editing.functions.map(toApi) };
}

/** Show the list of pipelines (and keep the editor as it is). */
export async function showPipelines() {
  await functionTypes();
  const { data } = await request("GET", "/pipelines?limit=1000");
  const rows = data.items.map((p) => el("tr", {},
    el("th", { scope: "row", text: p.id }),
    el("td", { text: p.description }),
    el("td", { text: p.version }),
    el("td", { text: p.functions.map((f) => f.type).join(", ") }),
    el("td", {}, el("button", { type: "button", "aria-label": `Edit pipeline ${p.id}`, text: "Edit",
      onclick: () => openPipeline(p.id) })),
  ));
  fill(document.querySelector("#pipelines-table tbody"),
    rows.length ? rows : [el("tr", {}, el("td", { colspan: "5", text: "No pipelines yet." }))]);
}

async function openPipeline(id) {
  const { data } = await request("GET", `/pipelines/${encodeURIComponent(id)}`);
  editing = { id: data.id, version: data.version, isNew: false, description: data.description,
    functions: data.functions.map(fromApi), mode: "form" };
  renderEditor();
  document.getElementById("pipeline-description").focus();
}

function newPipeline() {
  editing = { id: "", version: 0, isNew: true, description: "", functions: [], mode: "form" };
  renderEditor();
  document.getElementById("pipeline-id").focus();
}

/** A labelled field: the label, the input, a hint, and the slot for its problem. */
function field(id, label, input, hint) {
  const hintId = hint ? `${id}-hint` : null;
  const described = [hintId, `${id}-problem`].filter(Boolean).join(" ");
  input.setAttribute("aria-describedby", described);
  return el("div", { class: "field", "data-for": id },
    el("label", { for: id, text: label }),
    input,
    hint ? el("span", { class: "hint", id: hintId, text: hint }) : null,
    el("p", { class: "problem", id: `${id}-problem` }));
}

function functionFieldset(fn, index, count, types) {
  const prefix = `fn-${index}`;
  const schema = schemaOf(fn.type);
  const required = schema.required || [];
  const typeSelect = el("select", { id: `${prefix}-type`, onchange: (e) => {
    collect();
    editing.functions[index] = { ...editing.functions[index], type: e.target.value, config: {} };
    renderEditor();
    document.getElementById(`${prefix}-type`).focus();
  } }, [...types.keys()].map((t) => el("option", { value: t, text: t, selected: t === fn.type })));
  const ownFields = Object.entries(schema.properties || {}).map(([name, prop]) => {
    const id = `${prefix}-${name}`;
    const input = inputFor(id, prop, fn.config[name], required.includes(name), `${id}-problem`);
    input.dataset.prop = name;
    const label = `${labelOf(name, prop)}${required.includes(name) ? " (required)" : ""}`;
    const hint = prop.description || (kindOf(prop) === "json" ? "JSON" : null);
    return field(id, label, input, hint);
  });
  const move = (delta) => () => {
    collect();
    const fns = editing.functions;
    [fns[index], fns[index + delta]] = [fns[index + delta], fns[index]];
    renderEditor();
    document.getElementById(`fn-${index + delta}-type`).focus();
  };
  return el("fieldset", { class: "function", id: prefix },
    el("legend", { text: `Function ${index + 1}: ${fn.type}` }),
    el("p", { class: "problem", id: `${prefix}-problem` }),
    field(`${prefix}-type`, "Type", typeSelect, types.get(fn.type) ? types.get(fn.type).summary : null),
    ownFields,
    field(`${prefix}-filter`, "Filter (only events matching it)",
      el("input", { id: `${prefix}-filter`, type: "text", spellcheck: "false", value: fn.filter })),
    field(`${prefix}-disabled`, "Disabled",
      el("input", { id: `${prefix}-disabled`, type: "checkbox", checked: fn.disabled })),
    el("div", { class: "toolbar" },
      el("button", { type: "button", text: "Move up", disabled: index === 0, onclick: move(-1),
        "aria-label": `Move function ${index + 1} up` }),
      el("button", { type: "button", text: "Move down", disabled: index === count - 1, onclick: move(1),
        "aria-label": `Move function ${index + 1} down` }),
      el("button", { type: "button", text: "Remove", "aria-label": `Remove function ${index + 1}`,
        onclick: () => { collect(); editing.functions.splice(index, 1); renderEditor(); } })));
}

/** Read the form (or the JSON text) back into `editing`; throws a message for unreadable input. */
function collect() {
  if (editing.mode === "json" || editing.mode === "yaml") {
    const text = document.getElementById(`pipeline-${editing.mode}`).value;
    let parsed;
    try {
      parsed = editing.mode === "json" ? JSON.parse(text) : load(text);
    } catch (err) {
      if (editing.mode === "yaml") {
        throw new YamlProblem(err.reason || err.message, err.mark ? err.mark.line + 1 : null,
          err.mark ? err.mark.column + 1 : null);
      }
      throw new Error(`The JSON does not parse: ${err.message}`);
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new Error(`The ${editing.mode.toUpperCase()} must be a mapping with description and functions.`);
    }
    if (parsed.functions !== undefined && !Array.isArray(parsed.functions)) {
      throw new Error("functions must be a list.");
    }
    editing.description = String(parsed.description || "");
    editing.functions = (parsed.functions || []).map(fromApi);
    return;
  }
  if (editing.isNew) editing.id = document.getElementById("pipeline-id").value.trim();
  editing.description = document.getElementById("pipeline-description").value;
  editing.functions = editing.functions.map((fn, index) => {
    const prefix = `fn-${index}`;
    const schema = schemaOf(fn.type);
    const config = {};
    for (const [name, prop] of Object.entries(schema.properties || {})) {
      const input = document.getElementById(`${prefix}-${name}`);
      let value;
      try {
        value = readInput(input, prop);
      } catch (err) {
        throw new Error(`Function ${index + 1}, ${name}: ${err.message}`);
      }
      if (value !== undefined) config[name] = value;
    }
    return { type: fn.type, config,
      filter: document.getElementById(`${prefix}-filter`).value.trim(),
      disabled: document.getElementById(`${prefix}-disabled`).checked };
  });
}

function renderEditor() {
  const root = document.getElementById("pipeline-editor");
  if (editing === null) {
    fill(root);
    return;
  }
  const types = plugins;
  const title = editing.isNew ? "New pipeline" : `Pipeline ${editing.id} (version ${editing.version})`;
  const modeButtons = Object.entries(MODES).filter(([mode]) => mode !== editing.mode).map(([mode, text]) =>
    el("button", { type: "button", id: `pipeline-mode-${mode}`, text, onclick: () => switchMode(mode) }));
  const head = [
    el("h3", { id: "editor-title", text: title }),
    editing.isNew ? field("pipeline-id", "Id", el("input", { id: "pipeline-id", type: "text", value: editing.id,
      spellcheck: "false" }), "Letters, digits, _ . - (empty: a new ULID)") : null,
  ];
  let content;
  if (editing.mode === "yaml") {
    content = [field("pipeline-yaml", "Description and functions, as YAML",
      el("textarea", { id: "pipeline-yaml", rows: "16", spellcheck: "false",
        value: dump(body(), { lineWidth: -1 }) }),
      "A problem is shown below with its line (and column, for YAML that does not parse).")];
  } else if (editing.mode === "json") {
    content = [field("pipeline-json", "Description and functions, as JSON",
      el("textarea", { id: "pipeline-json", rows: "16", spellcheck: "false",
        value: JSON.stringify(body(), null, 2) }))];
  } else {
    const addType = el("select", { id: "function-add-type" },
      [...types.keys()].map((t) => el("option", { value: t, text: t })));
    content = [
      field("pipeline-description", "Description",
        el("input", { id: "pipeline-description", type: "text", value: editing.description })),
      editing.functions.map((fn, i) => functionFieldset(fn, i, editing.functions.length, types)),
      el("div", { class: "toolbar" },
        el("label", { for: "function-add-type", text: "New function of type" }), addType,
        el("button", { type: "button", id: "function-add", text: "Add function", onclick: () => {
          collect();
          editing.functions.push({ type: addType.value, config: {}, filter: "", disabled: false });
          renderEditor();
          document.getElementById(`fn-${editing.functions.length - 1}-type`).focus();
        } })),
    ];
  }
  const form = el("form", { id: "pipeline-form", "aria-labelledby": "editor-title", onsubmit: (e) => {
    e.preventDefault();
    save();
  } },
  head, el("div", { id: "pipeline-problems", class: "problem", role: "alert" }), content,
  el("div", { class: "toolbar" },
    el("button", { type: "submit", id: "pipeline-save", text: editing.isNew ? "Create pipeline" : "Save new version" }),
    modeButtons,
    el("button", { type: "button", text: "Close", onclick: () => { editing = null; renderEditor(); } })));
  fill(root, form, editing.isNew ? null : previewForm(),
    editing.isNew ? null : el("div", { id: "pipeline-history" }));
  if (!editing.isNew) showHistory();
}

function switchMode(mode) {
  try {
    collect();
  } catch (err) {
    showCollectProblem(err);
    return;
  }
  const from = editing.mode;
  editing.mode = mode;
  renderEditor();
  document.getElementById(`pipeline-mode-${from}`).focus();
}

/** A problem reading the form or the text: YAML's beside the YAML field, with its line. */
function showCollectProblem(err) {
  if (err instanceof YamlProblem) {
    showProblems([{ where: "yaml", message: err.message }], "The YAML does not parse: see beside it.");
  } else {
    showProblems([], err.message);
  }
}

/** Put each problem beside its field (`functions[1].pattern` -> function 2's pattern). */
function showProblems(problems, message) {
  for (const node of document.querySelectorAll("#pipeline-form .problem")) node.textContent = "";
  for (const node of document.querySelectorAll("#pipeline-form [aria-invalid]")) node.removeAttribute("aria-invalid");
  const general = [];
  for (const problem of problems) {
    const slot = slotFor(problem.where);
    if (slot === null) {
      general.push(`${problem.where}: ${problem.message}`);
      continue;
    }
    const { node, input } = slot;
    const text = `${slot.prefix || ""}${problem.message}`;
    node.textContent = node.textContent ? `${node.textContent} ${text}` : text;
    if (input) input.setAttribute("aria-invalid", "true");
  }
  const box = document.getElementById("pipeline-problems");
  fill(box, message ? el("p", { text: message }) : null,
    general.length ? el("ul", {}, general.map((g) => el("li", { text: g }))) : null);
}

function slotFor(where) {
  if (editing.mode === "json") return null;
  if (editing.mode === "yaml") {
    const input = document.getElementById("pipeline-yaml");
    const node = document.getElementById("pipeline-yaml-problem");
    if (where === "yaml") return { node, input, prefix: "" };
    const line = yamlLineOf(input.value, where);
    return { node, input, prefix: `${line ? `line ${line}, ` : ""}${where}: ` };
  }
  const match = /^functions\[(\d+)\](?:\.([A-Za-z_][\w]*))?/.exec(where);
  let id = null;
  if (match) {
    const candidate = match[2] ? `fn-${match[1]}-${match[2]}` : `fn-${match[1]}`;
    id = document.getElementById(`${candidate}-problem`) ? candidate : `fn-${match[1]}`;
  } else if (where === "description" || where === "id") {
    id = `pipeline-${where}`;
  }
  const node = id && document.getElementById(`${id}-problem`);
  return node ? { node, input: document.getElementById(id) } : null;
}

async function save() {
  try {
    collect();
  } catch (err) {
    showCollectProblem(err);
    return;
  }
  try {
    const { data } = editing.isNew
      ? await request("POST", "/pipelines", { body: editing.id ? { id: editing.id, ...body() } : body() })
      : await request("PUT", `/pipelines/${encodeURIComponent(editing.id)}`, { body: body(), ifMatch: editing.version });
    say(`Saved pipeline ${data.id}, version ${data.version}.`);
    editing = { id: data.id, version: data.version, isNew: false, description: data.description,
      functions: data.functions.map(fromApi), mode: editing.mode };
    renderEditor();
    await showPipelines();
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    const stale = err.status === 412 || err.status === 409;
    showProblems(err.problems, stale ? `${err.message} (someone else saved meanwhile: reopen the pipeline)` : err.message);
    say("Not saved: see the problems in the form.", "error");
  }
}

/** Sample events through the stored version (`POST /pipelines/{id}/preview`): nothing is written. */
function previewForm() {
  const input = el("textarea", { id: "pipeline-preview-input", rows: "4", spellcheck: "false" });
  return el("form", { id: "pipeline-preview", "aria-labelledby": "pipeline-preview-title", onsubmit: (e) => {
    e.preventDefault();
    runPreview();
  } },
  el("h3", { id: "pipeline-preview-title", text: "Preview this pipeline (stored version)" }),
  field("pipeline-preview-input", "Sample events, one JSON object per line (NDJSON)", input),
  el("div", { class: "toolbar" },
    el("button", { type: "submit", id: "pipeline-preview-run", text: "Run through this pipeline" })),
  el("div", { id: "pipeline-preview-result", "aria-live": "polite" }));
}

async function runPreview() {
  const input = document.getElementById("pipeline-preview-input");
  const problem = document.getElementById("pipeline-preview-input-problem");
  const parsed = parseNdjson(input.value);
  problem.textContent = parsed.problem || "";
  if (parsed.problem) {
    input.setAttribute("aria-invalid", "true");
    return;
  }
  input.removeAttribute("aria-invalid");
  try {
    const { data } = await request("POST", `/pipelines/${encodeURIComponent(editing.id)}/preview`,
      { body: { events: parsed.events } });
    const traces = parsed.events.map((event, i) => el("section", { class: "trace", "aria-label": `Pipeline step trace of event ${i + 1}` },
      el("h4", { text: `Event ${i + 1}` }),
      el("table", { class: "steps" },
        el("caption", { text: `Event ${i + 1} through pipeline ${data.pipeline} version ${data.version}` }),
        el("thead", {}, el("tr", {},
          el("th", { scope: "col", text: "Function" }), el("th", { scope: "col", text: "Outcome" }),
          el("th", { scope: "col", text: "Before" }), el("th", { scope: "col", text: "After" }))),
        el("tbody", {}, stepRows(data.steps[i] || [], event)))));
    const stage = (d) => `function ${d.stage + 1}: ${d.reason}`;
    fill(document.getElementById("pipeline-preview-result"),
      el("p", { id: "pipeline-preview-summary",
        text: `${parsed.events.length} event(s) through version ${data.version}: ${data.outputs.length} out, `
          + `${data.dropped.length} dropped, ${data.failed.length} failed.` }),
      traces,
      el("h4", { text: "Out of the pipeline" }), el("div", { id: "pipeline-preview-outputs" }, eventsCell(data.outputs)),
      data.dropped.length ? [el("h4", { text: "Dropped" }), el("ul", { id: "pipeline-preview-dropped" },
        data.dropped.map((d) => el("li", {}, el("p", { text: stage(d) }), eventsCell([d.event]))))] : null,
      data.failed.length ? [el("h4", { text: "Failed (dead-lettered when running)" }), el("ul", { id: "pipeline-preview-failed" },
        data.failed.map((d) => el("li", {}, el("p", { text: stage(d) }), eventsCell([d.event]))))] : null);
    say(`Previewed ${parsed.events.length} event(s) through pipeline ${data.pipeline}.`);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    problem.textContent = [err.message, ...err.problems.map((p) => `${p.where}: ${p.message}`)].join(" ");
  }
}

async function showHistory() {
  const id = editing.id;
  const { data } = await request("GET", `/pipelines/${encodeURIComponent(id)}/versions`);
  if (editing === null || editing.id !== id) return;
  const current = data.items[data.items.length - 1];
  const text = (p) => JSON.stringify({ description: p.description, functions: p.functions }, null, 2);
  const diffBox = el("div", { id: "pipeline-diff", "aria-live": "polite" });
  const rows = data.items.slice().reverse().map((p) => el("li", {},
    el("span", { text: `Version ${p.version}: ${p.description || "(no description)"} — ${p.functions.length} function(s) ` }),
    p.version === current.version ? el("strong", { text: "current" }) : [
      el("button", { type: "button", text: "Diff with current", "aria-label": `Diff version ${p.version} with current`,
        onclick: () => fill(diffBox, el("h4", { text: `Version ${p.version} → version ${current.version}` }),
          el("pre", { class: "diff" }, diffLines(text(p), text(current)).map((d) =>
            el("span", { class: d.op === "+" ? "add" : d.op === "-" ? "del" : "same", text: `${d.op} ${d.line}\n` })))) }),
      el("button", { type: "button", text: `Roll back to version ${p.version}`, onclick: () => rollback(p.version) }),
    ]));
  fill(document.getElementById("pipeline-history"),
    el("h3", { text: "Version history" }), el("ol", { reversed: true, class: "versions" }, rows), diffBox);
}

async function rollback(version) {
  try {
    const { data } = await request("POST", `/pipelines/${encodeURIComponent(editing.id)}/rollback`,
      { body: { version }, ifMatch: editing.version });
    say(`Rolled back: pipeline ${data.id} is at version ${data.version} (the content of version ${version}).`);
    await showPipelines();
    await openPipeline(data.id);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    showProblems(err.problems, err.message);
  }
}

/** Wire the view's buttons (once). */
export function setUpPipelines() {
  document.getElementById("pipeline-new").addEventListener("click", () => {
    functionTypes().then(newPipeline);
  });
  document.getElementById("pipelines-refresh").addEventListener("click", () => showPipelines());
}
