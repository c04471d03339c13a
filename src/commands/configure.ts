// Persistent configuration: `write memory` saves the running config to the startup file
// (atomically, in the router); `configure replace FILE` (and the daemon's SIGHUP) applies
// only the difference between the running state and FILE.
import { diffConfig, type ConfigDiff } from './config-diff.js';
import { call, type CommandDef, type Ctx } from './define.js';
import { CommandError } from './errors.js';
import type { Output } from './output.js';

export interface ReplacePlan extends ConfigDiff {
  /** the target as canonical running-config lines: the baseline once applied */
  target: string[];
}

/** Replays text into a scratch router (nothing here is touched) and diffs it against ctx's router's running state. */
export async function planReplace(ctx: Ctx, text: string, name: string, dropRuntime: boolean): Promise<ReplacePlan> {
  const router = ctx.router;
  if (!router.scratch || !router.configSource) throw new CommandError('configure replace: this router cannot replace its configuration');
  const scratch = router.scratch();
  try {
    const errors = await ctx.replay(text, scratch, name);
    if (errors.length) throw new CommandError(`configure replace: nothing changed; ${errors[0]}`);
    const target = scratch.runningConfig();
    return { ...diffConfig(router.runningConfig(), target, router.configSource().baseline, dropRuntime), target };
  } finally {
    await scratch.close();
  }
}

/**
 * A change the engine cannot make in place, found before anything is applied:
 * MRT_API_CONFIG is accepted only before any vif or entry exists (FreeBSD's rule), so
 * new API features need the IPv4 family rebuilt, which the operator must ask for.
 */
export function planBlocker(plan: ReplacePlan): string | null {
  const api = plan.add.find((l) => l.startsWith('mrt api config')) ?? plan.remove.find((l) => l.startsWith('mrt api config'));
  const rebuilt = plan.remove.includes('mrt done ipv4') || plan.add.includes('mrt init ipv4');
  if (api && !rebuilt)
    return `the file changes the advanced API ('${api}'), which the engine accepts only before any vif or entry exists (EPERM); run 'mrt done ipv4' first or restart the daemon with the file`;
  return null;
}

/** Runs the plan's commands in order; the first failure stops it and says how far it got. */
export async function applyPlan(ctx: Ctx, plan: ReplacePlan): Promise<void> {
  const blocker = planBlocker(plan);
  if (blocker) throw new CommandError(`configure replace: nothing changed; ${blocker}`);
  const lines = [...plan.remove, ...plan.add];
  for (let i = 0; i < lines.length; i++) {
    let r = ctx.execute(lines[i]);
    if (r instanceof Promise) r = await r;
    if (r && !r.ok) throw new CommandError(`configure replace: stopped at '${lines[i]}' after ${i} of ${lines.length} changes: ${r.error.message}`);
  }
  ctx.router.setConfigBaseline?.(plan.target);
}

export function diffOutput(file: string, plan: ReplacePlan, dryRun: boolean, drop: boolean): Output {
  return { kind: 'config-diff', file, dryRun, remove: plan.remove, add: plan.add, runtime: plan.runtime, runtimeAction: drop ? 'drop' : 'keep', unchanged: plan.unchanged };
}

export const configureCommands: CommandDef[] = [
  {
    name: 'configure terminal',
    syntax: 'configure terminal',
    help: 'configuration mode, as on IOS: the prompt says mrsh(config)# and every command keeps its meaning; end leaves it',
    tokens: { terminal: 'configure from this terminal' },
    run: () => ({ kind: 'mode', mode: 'config' }),
  },
  {
    name: 'write memory',
    syntax: 'write memory',
    aliases: ['write'],
    help: 'save the running config to the startup file, atomically (the old file or the new one, always whole)',
    run: ({ router }, a) => {
      if (!router.writeMemory) a.fail('memory', 'this router has no startup file');
      const r = call('write memory', () => router.writeMemory!());
      return { kind: 'ok', message: `[OK] ${r.path} (${r.bytes} bytes)` };
    },
  },
  {
    name: 'configure replace',
    syntax: 'configure replace <F:path> {dry-run | keep-runtime | drop-runtime}',
    usage: 'configure replace <file> [dry-run] [keep-runtime | drop-runtime]',
    help: 'make the running state that of FILE, changing only what differs; runtime-added state is kept unless drop-runtime',
    tokens: {
      F: 'a batch file (as show running-config prints); read by the client',
      'dry-run': 'print the changes, apply nothing',
      'keep-runtime': 'keep state added at run time that FILE lacks (the default; it is listed)',
      'drop-runtime': 'remove state added at run time that FILE lacks',
    },
    reads: 'F',
    mutates: true,
    run: async (ctx, a) => {
      if (a.has('keep-runtime') && a.has('drop-runtime')) a.fail('drop-runtime', 'keep-runtime and drop-runtime together');
      const file = a.need<string>('F');
      let text = '';
      try {
        text = ctx.readFile(file);
      } catch (e) {
        a.fail('F', `configure replace: ${file}: ${(e as Error).message}`);
      }
      const drop = a.has('drop-runtime');
      const plan = await planReplace(ctx, text, file, drop);
      if (!a.has('dry-run')) await applyPlan(ctx, plan);
      return diffOutput(file, plan, a.has('dry-run'), drop);
    },
  },
];
