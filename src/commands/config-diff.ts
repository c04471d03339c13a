// The difference between two configurations, as the commands that turn one into the other.
// Both sides are canonical running-config lines (the target file is first replayed into a
// scratch router), so equal state gives equal lines and an unchanged (S,G) is never
// touched: its counters and its forwarding go on. Each line has a key (what it configures:
// `mfc S G`, `vif 3 ipv6`, ...) and an undo command.
//
// Three-way: state present now but not in the file is removed when it came from a
// configuration (the baseline: the file last loaded, replaced or written); state added at
// run time is kept or dropped as the caller says, and always listed.

interface Item {
  line: string;
  key: string;
  /** the command that removes it; null: cannot be removed by a command */
  undo: string | null;
  /** a changed line is applied as undo + line (vifs), not by re-running the line (mfc add updates in place) */
  replace: boolean;
}

function item(line: string): Item {
  const w = line.split(' ');
  const six = w.includes('ipv6') ? ' ipv6' : '';
  if (w[0] === 'mrt' && w[1] === 'init') return { line, key: line, undo: `mrt done ${w[2] ?? 'ipv4'}`, replace: false };
  if (w[0] === 'mrt' && w[1] === 'api') return { line, key: 'mrt api config', undo: 'mrt api config none', replace: false };
  if (w[0] === 'mrt' && w[1] === 'assert') return { line, key: 'mrt assert', undo: 'mrt assert disable', replace: false };
  if (w[0] === 'mrt' && w[1] === 'pim') return { line, key: `mrt pim${six}`, undo: `mrt pim disable${six}`, replace: false };
  if (w[0] === 'mrt' && w[1] === 'register') return { line, key: 'mrt register via', undo: 'mrt register via none', replace: false };
  if (w[0] === 'vif' && w[1] === 'add') return { line, key: `vif ${w[2]}${six}`, undo: `vif del ${w[2]}${six}`, replace: true };
  if (w[0] === 'mfc' && w[1] === 'add') return { line, key: `mfc ${w[2]} ${w[3]}`, undo: `mfc del ${w[2]} ${w[3]}`, replace: false };
  if (w[0] === 'bw-upcall' && w[1] === 'add') return { line, key: line, undo: `bw-upcall del ${w.slice(2).join(' ')}`, replace: false };
  if (w[0] === 'policy' && w[1] === 'add') {
    const to = w.indexOf('to');
    const id = w.slice(2, to < 0 ? w.length : to).join(' ');
    return { line, key: `policy ${id}`, undo: `policy del ${id}`, replace: false };
  }
  if (w[0] === 'policy' && w[1] === 'expire') return { line, key: 'policy expire', undo: 'policy expire 300', replace: false };
  return { line, key: line, undo: null, replace: false };
}

function items(lines: readonly string[]): Item[] {
  return lines.map((l) => l.trim()).filter((l) => l !== '' && l[0] !== '!' && l[0] !== '#').map(item);
}

export interface ConfigDiff {
  /** undo commands, in the reverse order of the running config (entries before vifs before mrt done) */
  remove: string[];
  /** new and changed lines, in the order of the target */
  add: string[];
  /** runtime state the target lacks (kept or, with drop, also in remove) */
  runtime: string[];
  unchanged: number;
}

export function diffConfig(current: readonly string[], target: readonly string[], baseline: readonly string[], dropRuntime: boolean): ConfigDiff {
  const cur = items(current);
  const want = new Map(items(target).map((i) => [i.key, i]));
  const base = new Set(items(baseline).map((i) => i.key));
  const have = new Map(cur.map((i) => [i.key, i]));
  const out: ConfigDiff = { remove: [], add: [], runtime: [], unchanged: 0 };
  for (let k = cur.length - 1; k >= 0; k--) {
    const c = cur[k];
    const t = want.get(c.key);
    if (t === undefined) {
      const runtime = !base.has(c.key);
      if (runtime) out.runtime.push(c.line);
      if ((!runtime || dropRuntime) && c.undo !== null) out.remove.push(c.undo);
    } else if (t.line !== c.line && c.replace && c.undo !== null) out.remove.push(c.undo);
  }
  out.runtime.reverse();
  for (const t of want.values()) {
    const c = have.get(t.key);
    if (c && c.line === t.line) out.unchanged++;
    else out.add.push(t.line);
  }
  return out;
}
