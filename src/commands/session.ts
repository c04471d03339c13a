// help, monitor, sleep, exit and the IOS habits (end, quit, terminal length): commands about
// the session rather than the router.
import type { UpcallType } from '../router/api.js';
import { OK, type CommandDef } from './define.js';

const TYPES: { kw: string; type: UpcallType }[] = [
  { kw: 'nocache', type: 'NOCACHE' },
  { kw: 'wrongvif', type: 'WRONGVIF' },
  { kw: 'wholepkt', type: 'WHOLEPKT' },
  { kw: 'bw-upcall', type: 'BW_UPCALL' },
];

export const sessionCommands: CommandDef[] = [
  {
    name: 'monitor upcalls',
    syntax: 'monitor upcalls {nocache | wrongvif | wholepkt | bw-upcall}',
    help: 'stream upcalls as they happen, all or the named types, until Ctrl-C',
    tokens: {
      nocache: 'IGMPMSG_NOCACHE: a packet with no entry',
      wrongvif: 'IGMPMSG_WRONGVIF: a packet on a vif other than the parent',
      wholepkt: 'IGMPMSG_WHOLEPKT: a packet for the register vif',
      'bw-upcall': 'IGMPMSG_BW_UPCALL: a bandwidth filter fired',
    },
    show: true,
    interactive: true,
    run: (_ctx, a) => {
      const types = TYPES.filter((t) => a.has(t.kw)).map((t) => t.type);
      return { kind: 'monitor', types: types.length ? types : null };
    },
  },
  {
    name: 'help',
    syntax: 'help [<TOPIC:word>]...',
    help: 'list the commands, or those starting with the given words',
    tokens: { TOPIC: 'leading words of a command, e.g. show' },
    run: ({ commands }, a) => {
      const words = a.list<string>('TOPIC').map((w) => w.toLowerCase());
      const picked = commands.filter((c) => {
        const cw = c.name.split(' ');
        return words.every((w, i) => cw[i]?.startsWith(w));
      });
      return { kind: 'help', commands: picked.map((c) => ({ name: c.name, syntax: c.usage ?? c.syntax, help: c.help })) };
    },
  },
  {
    name: 'sleep',
    syntax: 'sleep <T:seconds>',
    help: 'let time pass (timers fire meanwhile: pending entries expire, bandwidth meters report), then go on; for batch files',
    tokens: { T: 'seconds to wait (decimals allowed, at most 3600)' },
    run: (ctx, a) => {
      // the daemon runs one command at a time for all clients: a sleep there stalls them all
      if (ctx.shared) a.fail('T', 'sleep is for batch files and the embedded shell, not a shared daemon');
      const t = a.need<number>('T');
      if (t > 3600) a.fail('T', 'at most 3600 seconds');
      // a real wait on the event loop, so the router's timers and links run during it
      return new Promise((resolve) => setTimeout(() => resolve(OK), t * 1000));
    },
  },
  {
    name: 'exit',
    syntax: 'exit',
    help: 'leave the shell (in a batch file: stop reading it)',
    run: () => ({ kind: 'exit' }),
  },
  {
    name: 'quit',
    syntax: 'quit',
    help: 'leave the shell, as exit does',
    run: () => ({ kind: 'exit' }),
  },
  {
    name: 'end',
    syntax: 'end',
    help: 'leave configuration mode (configure terminal)',
    run: () => ({ kind: 'mode', mode: 'exec' }),
  },
  {
    name: 'terminal length',
    syntax: 'terminal length <N:uint>',
    help: 'accepted for IOS scripts; mrsh never pages, so any length means no paging',
    tokens: { terminal: 'settings of this session', length: 'lines per page', N: 'lines per page (0: no paging)' },
    run: () => ({ kind: 'ok' }),
  },
];
