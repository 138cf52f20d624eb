// Live counts: `GET /metrics` (Prometheus text) read every 2 s while the view is shown.

import { request } from "./api.js";
import { el, fill } from "./dom.js";

const SAMPLE = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g;

/** The samples of a Prometheus text exposition: [{name, labels, value}]. */
export function parseMetrics(text) {
  const samples = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const match = SAMPLE.exec(line);
    if (!match) continue;
    const labels = {};
    for (const [, key, value] of (match[2] || "").matchAll(LABEL)) labels[key] = value.replace(/\\(.)/g, "$1");
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

function sum(samples, name, key) {
  const out = new Map();
  for (const s of samples) {
    if (s.name !== name) continue;
    const k = key(s.labels);
    out.set(k, (out.get(k) || 0) + s.value);
  }
  return out;
}

function table(id, caption, columns, rows) {
  return el("table", { id },
    el("caption", { text: caption }),
    el("thead", {}, el("tr", {}, columns.map((c) => el("th", { scope: "col", text: c })))),
    el("tbody", {}, rows.length ? rows.map((cells) => el("tr", {},
      el("th", { scope: "row", text: cells[0] }), cells.slice(1).map((c) => el("td", { class: "number", text: c })))) :
      el("tr", {}, el("td", { colspan: String(columns.length), text: "Nothing counted yet." }))));
}

function render(samples) {
  const inBySource = sum(samples, "pipeflow_events_in_total", (l) => l.source);
  const outBySink = sum(samples, "pipeflow_events_out_total", (l) => l.sink);
  const buffered = sum(samples, "pipeflow_sink_buffer_events", (l) => l.sink);
  const retries = sum(samples, "pipeflow_sink_retries_total", (l) => l.sink);
  const dropped = sum(samples, "pipeflow_events_dropped_total", (l) => l.route);
  const taken = sum(samples, "pipeflow_route_events_total", (l) => l.route);
  const routes = [...new Set([...taken.keys(), ...dropped.keys()])].sort();
  const fnEvents = sum(samples, "pipeflow_function_events_total", (l) => `${l.pipeline}\u0000${l.function}\u0000${l.outcome}`);
  const dead = sum(samples, "pipeflow_events_dead_lettered_total", (l) => l.stage);
  const unmatched = sum(samples, "pipeflow_events_unmatched_total", () => "all").get("all") || 0;
  const sinks = [...new Set([...outBySink.keys(), ...buffered.keys(), ...retries.keys()])].sort();
  fill(document.getElementById("metrics-tables"),
    table("metrics-sources", "Per source", ["Source", "Events in"],
      [...inBySource].sort().map(([k, v]) => [k, v])),
    table("metrics-routes", "Per route", ["Route", "Events taken", "Events dropped"],
      routes.map((r) => [r, taken.get(r) || 0, dropped.get(r) || 0])),
    table("metrics-sinks", "Per sink", ["Sink", "Events out", "Buffered", "Retries"],
      sinks.map((s) => [s, outBySink.get(s) || 0, buffered.get(s) || 0, retries.get(s) || 0])),
    table("metrics-functions", "Per function", ["Pipeline", "Function", "Outcome", "Events"],
      [...fnEvents].sort().map(([k, v]) => [...k.split("\u0000"), v])),
    el("p", { id: "metrics-other", text: `Unmatched: ${unmatched}. Dead-lettered: ${[...dead].map(([k, v]) => `${k} ${v}`).join(", ") || "0"}.` }));
}

let timer = null;
let paused = false;

async function refresh() {
  const { data } = await request("GET", "/metrics");
  render(parseMetrics(data));
  document.getElementById("metrics-updated").textContent = `Updated ${new Date().toLocaleTimeString()}`;
}

/** Show the counts now and every 2 s until `hideMetrics`. */
export async function showMetrics() {
  hideMetrics();
  await refresh();
  timer = setInterval(() => { if (!paused) refresh().catch(() => {}); }, 2000);
}

/** Stop polling (the view is hidden). */
export function hideMetrics() {
  if (timer !== null) clearInterval(timer);
  timer = null;
}

/** Wire the pause button (once). */
export function setUpMetrics() {
  const button = document.getElementById("metrics-pause");
  button.addEventListener("click", () => {
    paused = !paused;
    button.setAttribute("aria-pressed", String(paused));
    button.textContent = paused ? "Resume" : "Pause";
  });
}
