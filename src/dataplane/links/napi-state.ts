// The NAPI settings an xdp vif's busy polling changes (threaded, napi_defer_hard_irqs,
// gro_flush_timeout), kept in a file while they are changed, so that a daemon killed with
// SIGKILL does not leave the next one to take the tuned values for the originals and make
// them permanent. The file is written before the device is touched and removed once the
// originals are back; a later daemon that finds it (its writer gone) restores from it.
//
//   $MRSH_RUN_DIR (default /run/mrsh)/napi-<netns inode>-<ifname>.json
//   {"pid":1234,"ifname":"eth0","originals":["0","0","0"]}
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const NAPI_ATTRS = ['threaded', 'napi_defer_hard_irqs', 'gro_flush_timeout'] as const;

export function runDir(): string {
  return process.env.MRSH_RUN_DIR || '/run/mrsh';
}

/** the state file of ifname in this process's network namespace (names repeat across them) */
export function napiStateFile(ifname: string): string {
  return join(runDir(), `napi-${statSync('/proc/self/ns/net').ino}-${ifname}.json`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readAttr(ifname: string, attr: string): string {
  return readFileSync(`/sys/class/net/${ifname}/${attr}`, 'utf8').trim();
}

export interface NapiClaim {
  /** what to restore: the file's, if a dead daemon left one, else the device's current values */
  originals: string[];
  /** a dead daemon's settings were found */
  leftover: boolean;
  /** the originals are back (or were never changed): the file goes, unless another xdp link
   * of this process claimed it first (it keeps the device tuned) */
  release(): void;
}

/** The state file of ifname, to remove once the originals are back (null if it is not ours). */
export function releaseNapiFile(ifname: string): { release(): void } | null {
  const file = napiStateFile(ifname);
  try {
    const st = JSON.parse(readFileSync(file, 'utf8')) as { pid?: number };
    if (st.pid !== process.pid) return null;
  } catch {
    return null;
  }
  return {
    release() {
      try {
        unlinkSync(file);
      } catch {
        // gone already
      }
    },
  };
}

/**
 * Before tuning ifname: the true originals, recorded in the state file. Throws when the file
 * belongs to a daemon still alive (it tunes this device now), or the file cannot be written
 * (then tuning must not start: a crash would lose the originals).
 */
export function claimNapiOriginals(ifname: string): NapiClaim {
  const file = napiStateFile(ifname);
  let originals: string[] | null = null;
  let leftover = false;
  let shared = false;
  if (existsSync(file)) {
    const st = JSON.parse(readFileSync(file, 'utf8')) as { pid?: number; originals?: unknown };
    if (typeof st.pid === 'number' && st.pid !== process.pid && alive(st.pid)) throw new Error(`${file}: daemon ${st.pid} is tuning ${ifname}`);
    if (Array.isArray(st.originals) && st.originals.length === NAPI_ATTRS.length && st.originals.every((v) => typeof v === 'string' && /^\d+$/.test(v))) {
      originals = st.originals as string[];
      // ours: another xdp link of this process (a worker's) tuned the device and keeps the originals
      leftover = st.pid !== process.pid;
      shared = !leftover;
    }
  }
  originals ??= NAPI_ATTRS.map((a) => readAttr(ifname, a));
  mkdirSync(runDir(), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}`;
  writeFileSync(tmp, JSON.stringify({ pid: process.pid, ifname, originals }) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
  let released = false;
  return {
    originals,
    leftover,
    release() {
      if (released || shared) return; // shared: the last of this process's links removes it (releaseNapiFile)
      released = true;
      try {
        unlinkSync(file);
      } catch {
        // gone already
      }
    },
  };
}
