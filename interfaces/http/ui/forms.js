// Form fields generated from a function's config JSON schema (as `GET /plugins` gives it).

import { el } from "./dom.js";

/** The schema of one property without its `null` alternative, and whether null was allowed. */
function unwrap(prop) {
  if (Array.isArray(prop.anyOf)) {
    const real = prop.anyOf.filter((p) => p.type !== "null");
    if (real.length === 1) return { ...prop, ...real[0], anyOf: undefined, nullable: true };
  }
  return prop;
}

/** The kind of input a property gets: enum, boolean, number, list, text or json. */
export function kindOf(prop) {
  const p = unwrap(prop);
  if (Array.isArray(p.enum)) return "enum";
  if (p.type === "boolean") return "boolean";
  if (p.type === "integer" || p.type === "number") return "number";
  if (p.type === "array" && p.items && p.items.type === "string") return "list";
  if (p.type === "string") return "text";
  return "json";
}

/** The input element for `prop` holding `value` (undefined: the default, if any). */
export function inputFor(id, prop, value, required, describedBy) {
  const p = unwrap(prop);
  const common = { id, name: id, "aria-describedby": describedBy, "aria-required": required ? "true" : undefined };
  const shown = value === undefined ? p.default : value;
  switch (kindOf(prop)) {
    case "enum": {
      const options = (required ? [] : [el("option", { value: "", text: "(default)" })]).concat(
        p.enum.map((v) => el("option", { value: String(v), text: String(v), selected: shown === v })),
      );
      return el("select", common, options);
    }
    case "boolean":
      return el("input", { ...common, type: "checkbox", checked: Boolean(shown) });
    case "number":
      return el("input", { ...common, type: "number", step: p.type === "integer" ? "1" : "any",
        value: shown === undefined || shown === null ? "" : String(shown) });
    case "list":
      return el("input", { ...common, type: "text", value: Array.isArray(shown) ? shown.join(", ") : "",
        placeholder: "comma-separated" });
    case "text":
      return el("input", { ...common, type: "text", spellcheck: "false",
        value: shown === undefined || shown === null ? "" : String(shown) });
    default:
      return el("textarea", { ...common, rows: "3", spellcheck: "false",
        value: shown === undefined || shown === null ? "" : JSON.stringify(shown, null, 2) });
  }
}

/**
 * The value an input holds for `prop`: undefined when left empty (the field is then not sent,
 * and the function's default applies). Throws a message for JSON that does not parse.
 */
export function readInput(input, prop) {
  const kind = kindOf(prop);
  if (kind === "boolean") return input.checked;
  const raw = input.value.trim();
  if (raw === "") return undefined;
  if (kind === "number") return Number(raw);
  if (kind === "list") return raw.split(",").map((s) => s.trim()).filter(Boolean);
  if (kind === "json") {
    try {
      return JSON.parse(raw);
    } catch (err) {
      throw new Error(`not valid JSON: ${err.message}`);
    }
  }
  if (kind === "enum" && Array.isArray(unwrap(prop).enum)) {
    return unwrap(prop).enum.find((v) => String(v) === raw);
  }
  return input.value;
}

/** The label text of a property: its schema title, else its name. */
export function labelOf(name, prop) {
  return prop.title || name;
}
