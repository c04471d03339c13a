// `mrsh daemon`: the router without a terminal, in the foreground (systemd's Type=simple),
// log lines on stderr. Startup: the startup file is applied line by line (a broken line is
// logged and skipped, so the router comes up with what works), then the control socket
// opens. SIGHUP re-reads the startup file and applies only the difference, keeping
// runtime state; SIGTERM/SIGINT stop cleanly: MRT done, links closed (TUN devices go
// away), socket file removed.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { makeCtx, runBatch } from '../commands/context.js';
import { applyPlan, planReplace } from '../commands/configure.js';
import { Router } from '../router/router.js';
import { ControlServer, groupId, probeSocket } from './server.js';
import { MrouteEndpoint, mrouteSocketPath } from './mroute-endpoint.js';
import { warmUp } from './warm-up.js';
import { checkPrivateDir, defaultSocketPath, privateSocketDir } from './socket-path.js';

export interface DaemonOptions {
  file?: string;
  socket?: string;
  group?: string;
}

/** a log line says when (journald adds its own stamp; a file or a terminal has none) */
function log(msg: string): void {
  process.stderr.write(`${new Date().toISOString()} mrsh[${process.pid}]: ${msg}\n`);
}

export async function runDaemon(o: DaemonOptions): Promise<number> {
  const file = o.file ? resolve(o.file) : undefined;
  const path = o.socket ?? defaultSocketPath();
  const dir = o.socket ? null : privateSocketDir(path);
  if (dir) {
    try {
      checkPrivateDir(dir, true);
    } catch (e) {
      log(`cannot open the control socket: ${(e as Error).message}`);
      return 1;
    }
  }
  // Before anything touches a link: a second daemon would apply its startup file (tcx and
  // XDP programs, NAPI settings, TUN devices) to the interfaces the first one is using, and
  // only then find the socket taken. listen() checks again, for a daemon started meanwhile.
  if ((await probeSocket(path)) === 'live') {
    log(`cannot open the control socket: ${path}: a daemon is already answering there; nothing was changed`);
    return 1;
  }
  // A SIGTERM during startup must still stop cleanly (links closed, device settings such as
  // an xdp vif's NAPI tuning restored): it is held until the daemon is up, then acted on.
  let early: string | null = null;
  let onSignal = (sig: string): void => void (early ??= sig);
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  const router = await Router.create({ startupFile: file });
  if (file) {
    if (existsSync(file)) {
      const res = await runBatch(readFileSync(file, 'utf8'), router, {
        name: file,
        keepGoing: true,
        check: false,
        onResult: () => {},
        onError: (t) => log(t.split('\n')[0]),
      });
      log(`${file}: ${res.commands - res.errors} of ${res.commands} commands applied`);
    } else log(`${file} does not exist yet: starting empty (write memory creates it)`);
    router.setConfigBaseline(router.runningConfig());
  }
  // before the socket opens, so that `listening on` means ready
  try {
    await warmUp();
  } catch (e) {
    log(`warm-up: ${(e as Error).message} (the first flows will be slower)`);
  }
  const server = new ControlServer(router, { path, group: o.group, log });
  try {
    await server.listen();
  } catch (e) {
    log(`cannot open the control socket: ${(e as Error).message}`);
    await router.close();
    return 1;
  }
  if (early) {
    await server.close();
    await router.close();
    log(`${early}: stopped during startup`);
    return 0;
  }
  log(`listening on ${path} (mode ${o.group ? `0660, group ${o.group}` : '0600'})`);
  // Routing sockets of programs under `mrsh exec`; without the addon the daemon still runs.
  let endpoint: MrouteEndpoint | null = null;
  const rpath = mrouteSocketPath(path);
  try {
    endpoint = new MrouteEndpoint(router, { path: rpath, gid: o.group !== undefined ? groupId(o.group) : undefined, log });
    endpoint.listen();
    log(`routing sockets (mrsh exec) on ${rpath}`);
  } catch (e) {
    endpoint = null;
    log(`no routing-socket endpoint, mrsh exec will not reach this daemon: ${(e as Error).message}`);
  }

  let stopping = false;
  const stop = async (sig: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log(`${sig}: stopping`);
    await server.close();
    await endpoint?.close();
    await router.close();
    log('stopped');
    done(0);
  };
  const reload = (): void => {
    if (!file) return log('SIGHUP: no startup file to reload');
    void server
      .enqueue(async () => {
        const ctx = makeCtx(router);
        const plan = await planReplace(ctx, readFileSync(file, 'utf8'), file, false);
        await applyPlan(ctx, plan);
        return plan;
      })
      .then(
        (plan) => {
          log(`SIGHUP: ${file}: ${plan.remove.length} removed, ${plan.add.length} added or changed, ${plan.unchanged} unchanged, ${plan.runtime.length} runtime kept`);
          for (const l of plan.remove) log(`  - ${l}`);
          for (const l of plan.add) log(`  + ${l}`);
        },
        (e: Error) => log(`SIGHUP: ${e.message}`),
      );
  };
  let done!: (code: number) => void;
  const finished = new Promise<number>((r) => (done = r));
  onSignal = (sig) => void stop(sig);
  process.on('SIGHUP', reload);
  if (early) void stop(early);
  // a daemon without links still runs: the socket server keeps the loop alive
  return finished;
}
