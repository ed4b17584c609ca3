import { readFileSync } from 'node:fs';
const [file, root, depthArg, minArg] = process.argv.slice(2);
const p = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map();
p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + p.timeDeltas[i]));
const total = (n) => (self.get(n.id) ?? 0) + (n.children ?? []).reduce((a, c) => a + total(byId.get(c)), 0);
const name = (n) => `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`;
const depth = Number(depthArg ?? 4), min = Number(minArg ?? 50) * 1000;
function print(n, d) {
  // merge children by name
  const merged = new Map();
  for (const c of n.children ?? []) { const cn = byId.get(c); const k = name(cn); (merged.get(k) ?? merged.set(k, []).get(k)).push(cn); }
  const rows = [...merged].map(([k, ns]) => [k, ns, ns.reduce((a, x) => a + total(x), 0)]).sort((a, b) => b[2] - a[2]);
  for (const [k, ns, t] of rows) {
    if (t < min) continue;
    console.log(`${'  '.repeat(d)}${(t / 1000).toFixed(0)} ${k}`);
    if (d < depth) print({ children: ns.flatMap((x) => x.children ?? []), id: -1 }, d + 1);
  }
}
const roots = p.nodes.filter((n) => name(n).startsWith(root + ' '));
const top = roots.filter((n) => !roots.some((r) => (r.children ?? []).includes(n.id)));
print({ children: top.map((n) => n.id), id: -1 }, 0);
