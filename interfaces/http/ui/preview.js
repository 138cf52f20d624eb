// Preview: sample events (pasted NDJSON or taken from tap) through the route table, with the
// trace of `POST /explain`: per route whether it matched, per function the event before and after.

import { ApiError, request, streamLines } from "./api.js";
import { el, fill, jsonBlock, say } from "./dom.js";
import { parseNdjson } from "./ndjson.js";
import { eventsCell, stepRows } from "./steps.js";

function routeBlock(route, input, eventIndex) {
  const title = `Route ${route.name}: ${route.matched ? "matched" : "did not match"}`;
  if (!route.matched) return el("section", { class: "route-trace unmatched" }, el("h4", { text: title }));
  const caption = `Event ${eventIndex + 1} through route ${route.name}`;
  return el("section", { class: "route-trace" },
    el("h4", { text: title }),
    route.steps.length ? el("table", { class: "steps" },
      el("caption", { text: caption }),
      el("thead", {}, el("tr", {},
        el("th", { scope: "col", text: "Function" }), el("th", { scope: "col", text: "Outcome" }),
        el("th", { scope: "col", text: "Before" }), el("th", { scope: "col", text: "After" }))),
      el("tbody", {}, stepRows(route.steps, input))) : el("p", { text: "No pipeline: the event goes as it is." }),
    el("dl", { class: "sinks" }, Object.entries(route.sinks || {}).map(([sink, events]) => [
      el("dt", { text: `Sink ${sink} gets` }), el("dd", {}, eventsCell(events))])));
}

function render(result) {
  const blocks = result.traces.map((trace, i) => el("article", { class: "trace", "aria-label": `Trace of event ${i + 1}` },
    el("h3", { text: `Event ${i + 1}${trace.unmatched ? " — no route matched" : ""}` }),
    jsonBlock(trace.event),
    trace.routes.map((r) => routeBlock(r, trace.event, i))));
  fill(document.getElementById("preview-result"),
    el("p", { id: "preview-summary", text: `${result.traces.length} event(s) through route table version ${result.routes_version}.` }),
    blocks);
}

async function trace() {
  const problem = document.getElementById("preview-problem");
  const parsed = parseNdjson(document.getElementById("preview-input").value);
  if (parsed.problem) {
    problem.textContent = parsed.problem;
    document.getElementById("preview-input").setAttribute("aria-invalid", "true");
    return;
  }
  problem.textContent = "";
  document.getElementById("preview-input").removeAttribute("aria-invalid");
  try {
    const { data } = await request("POST", "/explain", { body: { events: parsed.events } });
    render(data);
    say(`Traced ${data.traces.length} event(s).`);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    problem.textContent = [err.message, ...err.problems.map((p) => `${p.where}: ${p.message}`)].join(" ");
  }
}

async function fromTap() {
  const route = document.getElementById("preview-tap-route").value;
  if (!route) return;
  say(`Waiting up to 5 s for 3 events on route ${route}…`);
  try {
    const lines = await streamLines(`/tap?route=${encodeURIComponent(route)}&limit=3`, 3, 5000);
    document.getElementById("preview-input").value = lines.map((l) => JSON.stringify(l.event)).join("\n");
    say(lines.length ? `Took ${lines.length} event(s) from route ${route}.` : `No event passed route ${route} in 5 s.`);
  } catch (err) {
    say(`Tap failed: ${err.message}`, "error");
  }
}

/** Fill the tap's route list from the route table in force. */
export async function showPreview() {
  const { data } = await request("GET", "/routes");
  const select = document.getElementById("preview-tap-route");
  const chosen = select.value;
  fill(select, data.routes.map((r) => el("option", { value: r.name, text: r.name, selected: r.name === chosen })));
}

/** Wire the view's form (once). */
export function setUpPreview() {
  document.getElementById("preview-form").addEventListener("submit", (e) => {
    e.preventDefault();
    trace();
  });
  document.getElementById("preview-tap").addEventListener("click", () => fromTap());
}
