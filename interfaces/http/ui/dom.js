// Building the page from data: text always goes in as text (textContent), never as HTML.

/**
 * A new element. `attrs`: attributes, except `on<event>` (a listener), `text` (its text) and
 * boolean properties `checked`, `disabled`, `hidden`, `selected`; `children`: nodes or strings.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "text") node.textContent = String(value);
    else if (["checked", "disabled", "hidden", "selected", "value"].includes(name)) node[name] = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" || typeof child === "number" ? String(child) : child);
  }
  return node;
}

/** Replace the children of `node`. */
export function fill(node, ...children) {
  node.replaceChildren();
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

/** A value as indented JSON text, in a <pre>. */
export function jsonBlock(value, attrs = {}) {
  return el("pre", { class: "json", ...attrs, text: JSON.stringify(value, null, 2) });
}

/** A short message in the status line (read out by screen readers). */
export function say(message, kind = "info") {
  const status = document.getElementById("status");
  status.textContent = message;
  status.dataset.kind = kind;
}

let counter = 0;
/** A page-unique id with a readable prefix. */
export function uid(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}
