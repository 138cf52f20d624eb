// Dead letters: the state database's queue (`GET /dead-letters`), replayed by `seq`.

import { ApiError, request } from "./api.js";
import { el, fill, jsonBlock, say } from "./dom.js";

function row(item) {
  const r = item.record;
  const id = `dead-select-${item.seq}`;
  return el("tr", {},
    el("td", {}, el("input", { type: "checkbox", id, value: String(item.seq), class: "dead-select" }),
      el("label", { for: id, class: "visually-hidden", text: `Select record ${item.seq}` })),
    el("th", { scope: "row", text: item.seq }),
    el("td", { text: typeof r.at === "number" ? new Date(r.at * 1000).toISOString() : "" }),
    el("td", { text: r.source || "" }),
    el("td", { text: r.route || "" }),
    el("td", { text: r.stage === null || r.stage === undefined ? "" : String(r.stage) }),
    el("td", { class: "reason", text: r.reason || "" }),
    el("td", {}, r.event !== undefined ? jsonBlock(r.event) : el("pre", { class: "raw", text: r.raw || "" })));
}

/** Load the oldest 100 records and show them. */
export async function showDeadLetters() {
  const list = document.getElementById("dead-list");
  try {
    const { data } = await request("GET", "/dead-letters?limit=100");
    document.getElementById("dead-summary").textContent =
      `${data.total} record(s) stored${data.total > data.items.length ? `; the oldest ${data.items.length} shown` : ""}.`;
    fill(list, el("table", { id: "dead-table" },
      el("caption", { text: "Dead-letter records, oldest first" }),
      el("thead", {}, el("tr", {}, ["Select", "Seq", "At", "Source", "Route", "Stage", "Reason", "Event or raw input"]
        .map((c) => el("th", { scope: "col", text: c })))),
      el("tbody", {}, data.items.map(row))));
    document.getElementById("dead-replay").disabled = data.items.length === 0;
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    document.getElementById("dead-summary").textContent = err.message;
    fill(list);
    document.getElementById("dead-replay").disabled = true;
  }
}

async function replay() {
  const seqs = [...document.querySelectorAll(".dead-select:checked")].map((c) => Number(c.value));
  const result = document.getElementById("dead-result");
  if (!seqs.length) {
    fill(result, el("p", { text: "Select the records to replay first." }));
    return;
  }
  try {
    const { data } = await request("POST", "/dead-letters/replay", { body: { seqs } });
    fill(result,
      el("p", { id: "dead-replayed", text: `Replayed ${data.replayed.length} record(s)${data.replayed.length ? `: ${data.replayed.join(", ")}` : ""}.` }),
      data.kept.length ? el("ul", { id: "dead-kept" }, data.kept.map((k) => el("li", { text: `Record ${k.seq} kept: ${k.reason}` }))) : null);
    say(`Replayed ${data.replayed.length} dead letter(s).`);
    await showDeadLetters();
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    fill(result, el("p", { class: "problem", text: err.message }));
  }
}

/** Wire the view's buttons (once). */
export function setUpDeadLetters() {
  document.getElementById("dead-refresh").addEventListener("click", () => showDeadLetters());
  document.getElementById("dead-replay").addEventListener("click", () => replay());
}
