// The smaller displays: pending entries, show mrt, explain, inject, capture, help.
import type { CapturedPacket, Explanation, Family, InjectResult, MrtStatus, PendingInfo } from '../router/api.js';
import type { Painter } from './style.js';
import { table } from './table.js';
import { clock, familyName, hexdump, iosDuration } from './text.js';

export function pendingTable(family: Family, pending: readonly PendingInfo[], nowMs: number, p: Painter, cap?: { limit: number; entries: number; dropped: number }): string {
  // the cap is mrsh's, not FreeBSD's: what it turns away is said here, not only counted
  const capLine =
    cap && (cap.entries >= cap.limit || cap.dropped > 0)
      ? `\n${p.yellow(`Limit of ${cap.limit} unresolved entries ${cap.entries >= cap.limit ? 'reached' : 'was reached'}`)}: ${cap.dropped} new flow${cap.dropped === 1 ? '' : 's'} got no entry and no upcall (pkt_miss_cap; mrt pending-limit N raises it)`
      : '';
  if (pending.length === 0) return `${familyName(family)} unresolved queue is empty${capLine}`;
  return (
    table(
      ['Source', 'Group', 'Arrival-Vif', 'Queued', 'Age', 'Expires'],
      pending.map((q) => [q.source, q.group, q.arrivalVif, q.queued, iosDuration(nowMs - q.createdMs), iosDuration(q.expiresInMs)]),
      p,
    ) + capLine
  );
}

const hex = (n: number) => `0x${n.toString(16)}`;

export function mrtTable(status: readonly MrtStatus[], apiNames: readonly { flag: number; name: string }[], p: Painter): string {
  const names = (bits: number) => {
    const n = apiNames.filter((a) => bits & a.flag).map((a) => a.name);
    return `${hex(bits)}${n.length ? ` (${n.join(' ')})` : ''}`;
  };
  const onoff = (b: boolean) => (b ? 'on' : 'off');
  const row = (label: string, f: (s: MrtStatus) => string | number) => [label, ...status.map(f)];
  return table(
    ['', ...status.map((s) => familyName(s.family))],
    [
      row('Initialized', (s) => (s.initialized ? 'yes' : 'no')),
      row('Owner', (s) => (!s.owner ? '-' : s.owner.external ? `${s.owner.program} (pid ${s.owner.pid})` : 'this router')),
      row('Version', (s) => `0x${s.version.toString(16).padStart(4, '0')}`),
      row('PIM', (s) => onoff(s.pim)),
      row('Assert', (s) => (s.family === 'inet' ? onoff(s.assert) : '-')),
      row('API supported', (s) => names(s.apiSupport)),
      row('API configured', (s) => names(s.apiConfig)),
      row('Max vifs', (s) => s.maxVifs),
      row('Vifs', (s) => s.vifs),
      row('MFC entries', (s) => s.mfcEntries),
      row('Unresolved', (s) => s.pendingEntries),
    ],
    p,
  );
}

export function explainText(x: Explanation, p: Painter): string {
  const verdict =
    x.verdict === 'forwarded' ? p.green(x.verdict) : x.verdict === 'pending' ? p.yellow(x.verdict) : p.red(x.verdict);
  const out = [`(${x.source}, ${x.group}): ${verdict}`];
  const w = Math.max(0, ...x.steps.map((s) => s.check.length));
  for (const s of x.steps) out.push(`  ${s.ok ? p.green('ok  ') : p.red('FAIL')}  ${s.check.padEnd(w)}  ${s.detail}`);
  return out.join('\n');
}

export function injectText(vif: number, family: Family, r: InjectResult): string {
  const what = family === 'inet' ? 'vif' : 'mif';
  return `injected ${r.sent} packet${r.sent === 1 ? '' : 's'} on ${what} ${vif}: ${r.forwarded} cop${r.forwarded === 1 ? 'y' : 'ies'} sent, ${r.upcalls} upcall${r.upcalls === 1 ? '' : 's'}`;
}

export function captureText(vif: number, family: Family, packets: readonly CapturedPacket[], p: Painter): string {
  const what = family === 'inet' ? 'vif' : 'mif';
  if (packets.length === 0) return `nothing captured on ${what} ${vif}`;
  const out: string[] = [];
  packets.forEach((c, i) => {
    const ck = c.checksumOk === null ? '' : c.checksumOk ? ' cksum ok' : p.red(' cksum BAD');
    const hl = family === 'inet' ? 'ttl' : 'hlim';
    out.push(
      `${p.bold(`#${i + 1}`)} ${clock(c.timeMs)} ${what} ${c.vif} ${c.direction} ${familyName(c.family)} ${c.source} > ${c.destination} ${hl} ${c.ttl} proto ${c.protocol} len ${c.length}${ck}`,
    );
    out.push(...hexdump(c.hex));
  });
  return out.join('\n');
}

/** `capture N pcap FILE`: what went into the file */
export function captureFileText(vif: number, family: Family, packets: readonly CapturedPacket[], file: string): string {
  const what = family === 'inet' ? 'vif' : 'mif';
  const sent = packets.filter((c) => c.direction === 'out').length;
  const where = file === '-' ? 'standard output' : file;
  return `${packets.length} packet${packets.length === 1 ? '' : 's'} of ${what} ${vif} (${sent} sent, ${packets.length - sent} arrived) written to ${where} (pcapng)`;
}

/**
 * `<S:addr>` -> `S`, and `{a | b}` (any of them, in any order) -> `[a] [b]`: the syntax
 * as the man page writes it, every optional part shown as optional
 */
export function displaySyntax(syntax: string): string {
  const named = syntax.replace(/<([A-Za-z0-9_]+):[A-Za-z0-9_]+>/g, '$1');
  return named.replace(/\{([^{}()[\]]*)\}/g, (_m, body: string) =>
    body
      .split('|')
      .map((o) => `[${o.trim()}]`)
      .join(' '),
  );
}

export function helpText(commands: readonly { name: string; syntax: string; help: string }[], p: Painter, width = 80): string {
  if (commands.length === 0) return 'no such command';
  const out: string[] = [];
  for (const c of commands) {
    out.push(p.bold(displaySyntax(c.syntax)));
    out.push(...wrap(c.help, width - 6).map((l) => `      ${l}`));
  }
  out.push('', 'Any unique prefix abbreviates a keyword (sh mr). ? lists what may come next; Tab completes.');
  return out.join('\n');
}

export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const w of text.split(' ')) {
    if (line && line.length + 1 + w.length > width) {
      out.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(line);
  return out;
}
