// Sample events pasted as NDJSON, for both previews.

/** Parse NDJSON: the objects, or the first problem with its line number. */
export function parseNdjson(text) {
  const events = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i += 1) {
    if (!lines[i].trim()) continue;
    let value;
    try {
      value = JSON.parse(lines[i]);
    } catch (err) {
      return { problem: `line ${i + 1}: not valid JSON (${err.message})` };
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      return { problem: `line ${i + 1}: not a JSON object` };
    }
    events.push(value);
  }
  return events.length ? { events } : { problem: "paste at least one event" };
}
