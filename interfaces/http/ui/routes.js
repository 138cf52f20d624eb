// The route table: ordered routes, moved up and down (buttons, or dragged by their handle), filters
// edited with the parser's messages.

import { ApiError, request } from "./api.js";
import { el, fill, say } from "./dom.js";

let table = null; // {version, routes: [{name, filter, pipeline, sinks, final}]}
let pipelineIds = [];
let sinkNames = [];
let dragged = null; // the index of the route being dragged

/** Move route `from` to position `to` (the others keep their order); the table is saved apart. */
function moveRoute(from, to) {
  if (from === to) return;
  collect();
  const [route] = table.routes.splice(from, 1);
  table.routes.splice(to, 0, route);
  render();
  document.getElementById(`route-${to}-name`).focus();
  say(`Moved route ${route.name || from + 1} to position ${to + 1}; save the table to apply it.`);
}

/** The list item of route `i`: a drop target; its handle starts a drag. */
function routeItem(route, i, count) {
  const handle = el("span", { class: "drag-handle", id: `route-${i}-handle`, draggable: "true",
    title: "Drag to reorder (or use Move up / Move down)", "aria-hidden": "true", text: "⠿",
    ondragstart: (e) => {
      dragged = i;
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", String(i));
      e.dataTransfer.setDragImage(document.getElementById(`route-${i}`), 10, 10);
    },
    ondragend: () => { dragged = null; clearDropMarks(); } });
  return el("li", { id: `route-${i}-item`, class: "route-item",
    ondragover: (e) => {
      if (dragged === null) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = "move";
      clearDropMarks();
      e.currentTarget.classList.add("drop-target");
    },
    ondragleave: (e) => e.currentTarget.classList.remove("drop-target"),
    ondrop: (e) => {
      e.preventDefault();
      const from = dragged;
      dragged = null;
      clearDropMarks();
      if (from !== null) moveRoute(from, i);
    } },
  handle, routeFieldset(route, i, count));
}

function clearDropMarks() {
  for (const node of document.querySelectorAll("#routes-form .drop-target")) node.classList.remove("drop-target");
}

function field(id, label, input, hint) {
  const hintId = hint ? `${id}-hint` : null;
  input.setAttribute("aria-describedby", [hintId, `${id}-problem`].filter(Boolean).join(" "));
  return el("div", { class: "field" },
    el("label", { for: id, text: label }), input,
    hint ? el("span", { class: "hint", id: hintId, text: hint }) : null,
    el("p", { class: "problem", id: `${id}-problem` }));
}

/** Load the table, the pipeline ids and the sink names, and show them. */
export async function showRoutes() {
  const [routes, pipelines, runtime] = await Promise.all([
    request("GET", "/routes"), request("GET", "/pipelines?limit=1000"), request("GET", "/runtime"),
  ]);
  table = { version: routes.data.version, routes: routes.data.routes.map((r) => ({ ...r })) };
  pipelineIds = pipelines.data.items.map((p) => p.id);
  sinkNames = runtime.data.sinks;
  render();
}

function collect() {
  table.routes = table.routes.map((_, i) => ({
    name: document.getElementById(`route-${i}-name`).value.trim(),
    filter: document.getElementById(`route-${i}-filter`).value,
    pipeline: document.getElementById(`route-${i}-pipeline`).value || null,
    sinks: document.getElementById(`route-${i}-sinks`).value.split(",").map((s) => s.trim()).filter(Boolean),
    final: document.getElementById(`route-${i}-final`).checked,
  }));
}

function routeFieldset(route, i, count) {
  const prefix = `route-${i}`;
  const move = (delta) => () => {
    collect();
    const rs = table.routes;
    [rs[i], rs[i + delta]] = [rs[i + delta], rs[i]];
    render();
    const again = document.getElementById(`route-${i + delta}-${delta < 0 ? "up" : "down"}`);
    (again && !again.disabled ? again : document.getElementById(`route-${i + delta}-name`)).focus();
    say(`Moved route ${route.name || i + 1} to position ${i + delta + 1}; save the table to apply it.`);
  };
  const pipeline = el("select", { id: `${prefix}-pipeline` },
    el("option", { value: "", text: "(none: events go as they are)" }),
    pipelineIds.map((p) => el("option", { value: p, text: p, selected: p === route.pipeline })));
  return el("fieldset", { class: "route", id: prefix },
    el("legend", { text: `Route ${i + 1}: ${route.name}` }),
    el("p", { class: "problem", id: `${prefix}-problem` }),
    field(`${prefix}-name`, "Name", el("input", { id: `${prefix}-name`, type: "text", value: route.name })),
    field(`${prefix}-filter`, "Filter expression",
      el("textarea", { id: `${prefix}-filter`, rows: "2", spellcheck: "false", value: route.filter, class: "code" }),
      "e.g. level == \"error\" and contains(message, \"disk\"); true takes every event"),
    field(`${prefix}-pipeline`, "Pipeline", pipeline),
    field(`${prefix}-sinks`, "Sinks", el("input", { id: `${prefix}-sinks`, type: "text", value: route.sinks.join(", ") }),
      `comma-separated; configured: ${sinkNames.join(", ") || "none"}`),
    field(`${prefix}-final`, "Final (a match ends the search)",
      el("input", { id: `${prefix}-final`, type: "checkbox", checked: route.final })),
    el("div", { class: "toolbar" },
      el("button", { type: "button", id: `${prefix}-up`, text: "Move up", disabled: i === 0, onclick: move(-1),
        "aria-label": `Move route ${route.name || i + 1} up` }),
      el("button", { type: "button", id: `${prefix}-down`, text: "Move down", disabled: i === count - 1, onclick: move(1),
        "aria-label": `Move route ${route.name || i + 1} down` }),
      el("button", { type: "button", text: "Remove", "aria-label": `Remove route ${route.name || i + 1}`,
        onclick: () => { collect(); table.routes.splice(i, 1); render(); } })));
}

function render() {
  const form = el("form", { id: "routes-form", "aria-labelledby": "routes-title", onsubmit: (e) => {
    e.preventDefault();
    save();
  } },
  el("p", { id: "routes-version", text: `Version ${table.version}` }),
  el("div", { id: "routes-problems", class: "problem", role: "alert" }),
  el("p", { class: "hint", id: "routes-drag-hint",
    text: "Drag a route by its handle (⠿) onto another's place, or use Move up and Move down." }),
  el("ol", { class: "route-list", "aria-describedby": "routes-drag-hint" },
    table.routes.map((r, i) => routeItem(r, i, table.routes.length))),
  el("div", { class: "toolbar" },
    el("button", { type: "button", id: "route-add", text: "Add route", onclick: () => {
      collect();
      table.routes.push({ name: "", filter: "true", pipeline: null, sinks: [], final: true });
      render();
      document.getElementById(`route-${table.routes.length - 1}-name`).focus();
    } }),
    el("button", { type: "submit", id: "routes-save", text: "Save route table" }),
    el("button", { type: "button", text: "Reload", onclick: () => showRoutes() })));
  fill(document.getElementById("routes-editor"), form, el("div", { id: "routes-history" }));
  showHistory();
}

function showProblems(problems, message) {
  for (const node of document.querySelectorAll("#routes-form .problem")) node.textContent = "";
  for (const node of document.querySelectorAll("#routes-form [aria-invalid]")) node.removeAttribute("aria-invalid");
  const general = [];
  for (const problem of problems) {
    const match = /^routes\[(\d+)\](?:\.(\w+))?/.exec(problem.where);
    const id = match ? (match[2] && document.getElementById(`route-${match[1]}-${match[2]}`)
      ? `route-${match[1]}-${match[2]}` : `route-${match[1]}`) : null;
    const slot = id && document.getElementById(`${id}-problem`);
    if (!slot) {
      general.push(`${problem.where}: ${problem.message}`);
      continue;
    }
    slot.textContent = slot.textContent ? `${slot.textContent} ${problem.message}` : problem.message;
    const input = document.getElementById(id);
    if (input && input.tagName !== "FIELDSET") input.setAttribute("aria-invalid", "true");
  }
  fill(document.getElementById("routes-problems"), message ? el("p", { text: message }) : null,
    general.length ? el("ul", {}, general.map((g) => el("li", { text: g }))) : null);
}

async function save() {
  collect();
  try {
    const { data } = await request("PUT", "/routes", { body: { routes: table.routes }, ifMatch: table.version });
    table = { version: data.version, routes: data.routes };
    render();
    say(`Saved the route table, version ${data.version}; the engine runs it now.`);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    showProblems(err.problems, err.message);
    say("Not saved: see the problems in the form.", "error");
  }
}

async function showHistory() {
  const { data } = await request("GET", "/routes/versions");
  const items = data.items.slice().reverse().map((t) => el("li", {},
    el("span", { text: `Version ${t.version}: ${t.routes.map((r) => r.name).join(" → ") || "(no routes)"} ` }),
    t.version === table.version ? el("strong", { text: "current" })
      : el("button", { type: "button", text: `Roll back to version ${t.version}`, onclick: async () => {
        try {
          const got = await request("POST", "/routes/rollback", { body: { version: t.version }, ifMatch: table.version });
          say(`Rolled back: the route table is at version ${got.data.version}.`);
          await showRoutes();
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
          showProblems(err.problems, err.message);
        }
      } })));
  fill(document.getElementById("routes-history"), el("h3", { text: "Route table history" }),
    el("ol", { reversed: true, class: "versions" }, items));
}
