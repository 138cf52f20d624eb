// A function step trace as table rows (explain's steps): shared by the route and pipeline previews.

import { el, jsonBlock } from "./dom.js";

/** Events as JSON text blocks, or "(none)". */
export function eventsCell(events) {
  if (!events.length) return el("span", { class: "hint", text: "(none)" });
  return events.map((e) => jsonBlock(e));
}

/** The rows of a step trace: per function step, its outcome and the events before and after. */
export function stepRows(steps, input) {
  let before = [input];
  return steps.map((step) => {
    const row = el("tr", { class: `outcome-${step.outcome}` },
      el("th", { scope: "row", text: `${step.index + 1}. ${step.type}` }),
      el("td", {}, el("span", { class: "badge", text: step.outcome }),
        step.reason ? el("p", { class: "reason", text: step.reason }) : null),
      el("td", {}, eventsCell(before)),
      el("td", {}, eventsCell(step.events)));
    if (step.outcome !== "fail") before = step.events;
    return row;
  });
}
