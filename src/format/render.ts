// Output -> text. The one place that knows which layout each kind of data gets.
import { linkInputTable } from './link-input.js';
import type { Output } from '../commands/output.js';
import { captureFileText, captureText, explainText, helpText, injectText, mrtTable, pendingTable } from './misc.js';
import { mrouteBrief } from './mroute.js';
import { mrouteCount } from './mroute-count.js';
import { mrouteDetail } from './mroute-detail.js';
import { mrouteSummary } from './mroute-summary.js';
import { mrouteTable } from './mroute-table.js';
import { mrtstatText } from './mrtstat.js';
import { bwUpcallTable, mf6cTable, mfcTable, mifTable, vifTable } from './netstat.js';
import { painter, type RenderOpts } from './style.js';
import { upcallTable } from './upcalls.js';
import { configDiffText, policyText } from './policy.js';

/** the text of an output, or null when there is nothing to say (a command that just worked) */
export function renderText(out: Output, opts: RenderOpts & { width?: number }): string | null {
  const p = painter(opts.color);
  switch (out.kind) {
    case 'ok':
      return out.message ?? null;
    case 'mroute':
      switch (out.view) {
        case 'brief':
          return mrouteBrief(out.family, out.entries, out.vifs, out.pending, out.nowMs, p);
        case 'detail':
          return mrouteDetail(out.family, out.entries, out.vifs, out.nowMs, p);
        case 'count':
          return mrouteCount(out.family, out.entries);
        case 'summary':
          return mrouteSummary(out.entries, out.pending);
        case 'table':
          return mrouteTable(out.entries, out.vifs, out.nowMs, out.fill === true, p);
      }
      break;
    case 'vif':
      return (out.family === 'inet' ? vifTable(out.vifs) : mifTable(out.vifs)) + linkInputTable(out.vifs, out.family === 'inet' ? 'Vif' : 'Mif');
    case 'mfc':
      return out.family === 'inet' ? mfcTable(out.entries, out.nowMs) : mf6cTable(out.entries, out.pending);
    case 'bw-upcall':
      return bwUpcallTable(out.entries, out.nowMs);
    case 'pending':
      return pendingTable(out.family, out.pending, out.nowMs, p, out.cap);
    case 'statistics':
      return mrtstatText(out.family, out.stats);
    case 'upcalls':
      return upcallTable(out.upcalls, p);
    case 'running-config':
      return out.lines.join('\n');
    case 'mrt':
      return mrtTable(out.status, out.apiNames, p);
    case 'explain':
      return explainText(out.explanation, p);
    case 'inject':
      return injectText(out.vif, out.family, out.result);
    case 'capture':
      return out.file === undefined ? captureText(out.vif, out.family, out.packets, p) : captureFileText(out.vif, out.family, out.packets, out.file);
    case 'help':
      return helpText(out.commands, p, opts.width);
    case 'policy':
      return policyText(out.policy, p);
    case 'config-diff':
      return configDiffText(out, p);
    case 'version':
      return `mrsh ${out.version}, a userspace multicast(4) router (node ${out.node}, ${out.platform})`;
    case 'monitor':
    case 'monitor-capture':
    case 'exit':
    case 'mode':
      return null;
  }
  return null;
}

/** `| include RE`, `| exclude RE`, `| begin RE` (from the first line that matches) */
export function filterLines(text: string, pipe: { include: RegExp | null; exclude: RegExp | null; begin?: RegExp | null }): string {
  if (pipe.include === null && pipe.exclude === null && !pipe.begin) return text;
  let lines = text.split('\n');
  if (pipe.begin) {
    const from = lines.findIndex((l) => pipe.begin!.test(l));
    lines = from < 0 ? [] : lines.slice(from);
  }
  return lines.filter((l) => (pipe.include === null || pipe.include.test(l)) && (pipe.exclude === null || !pipe.exclude.test(l))).join('\n');
}
