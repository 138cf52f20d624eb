// A line diff (longest common subsequence), enough for two versions of a pipeline.

/** Lines of `before` and `after` as [{op: " " | "-" | "+", line}]. */
export function diffLines(before, after) {
  const a = before.split("\n");
  const b = after.split("\n");
  const table = Array.from({ length: a.length + 1 }, () => new Array(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i -= 1) {
    for (let j = b.length - 1; j >= 0; j -= 1) {
      table[i][j] = a[i] === b[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
    }
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ op: " ", line: a[i] });
      i += 1;
      j += 1;
    } else if (table[i + 1][j] >= table[i][j + 1]) {
      out.push({ op: "-", line: a[i] });
      i += 1;
    } else {
      out.push({ op: "+", line: b[j] });
      j += 1;
    }
  }
  for (; i < a.length; i += 1) out.push({ op: "-", line: a[i] });
  for (; j < b.length; j += 1) out.push({ op: "+", line: b[j] });
  return out;
}
