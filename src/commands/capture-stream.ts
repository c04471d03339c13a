// `monitor capture N pcap FILE`: the packets of one vif streamed, whole, into a pcapng file
// (or standard output) until the caller stops it: Ctrl-C in the shell or a one-shot, the
// end of a batch file. Writes are gathered per tick, so a flood costs one write a tick.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { CaptureListener, Family } from '../router/api.js';
import { pcapngHeader, pcapngPacket } from '../format/pcap.js';
import { STDOUT_ONLY_ONE_SHOT } from './out-file.js';

/** what can be tapped: the embedded router, or a daemon through its control socket */
export interface CaptureSource {
  tapCapture(vif: number, family: Family, fn: CaptureListener): (() => void) | Promise<() => void>;
  /** packets a daemon did not send this client because it read too slowly */
  droppedPackets?: number;
}

export interface CaptureStream {
  /** ends the capture; what was written, and what was lost on the way (too slow a client) */
  stop(): { packets: number; dropped: number };
}

/** tcpdump's default snap length: packets are kept whole */
const SNAP = 262144;

/**
 * Opens file (created or truncated; `-`: stdout, where allowed) and starts the tap.
 * Throws, with the errno as code, if the file cannot be opened or the vif is refused.
 */
export async function startCaptureStream(src: CaptureSource, vif: number, family: Family, file: string, stdout: ((b: Buffer) => void) | null): Promise<CaptureStream> {
  let write: (b: Buffer) => void;
  let close = (): void => {};
  if (file === '-') {
    if (stdout === null) throw Object.assign(new Error(STDOUT_ONLY_ONE_SHOT), { code: 'EINVAL' });
    write = stdout;
  } else {
    const fd = openSync(file, 'w');
    write = (b) => {
      let o = 0;
      while (o < b.length) o += writeSync(fd, b, o);
    };
    close = () => closeSync(fd);
  }
  let queued: Buffer[] = [];
  let flushing = false;
  const flush = (): void => {
    flushing = false;
    if (queued.length === 0) return;
    const b = queued.length === 1 ? queued[0] : Buffer.concat(queued);
    queued = [];
    write(b);
  };
  const dropped0 = src.droppedPackets ?? 0;
  let packets = 0;
  queued.push(pcapngHeader(`${family === 'inet' ? 'vif' : 'mif'}${vif}`, SNAP));
  flush();
  let untap: () => void;
  try {
    untap = await src.tapCapture(vif, family, (dir, buf, off, len, timeMs) => {
      packets++;
      // a copy: the bytes are the router's only during the call
      queued.push(pcapngPacket(timeMs, dir, buf.subarray(off, off + len), len));
      if (!flushing) {
        flushing = true;
        setImmediate(flush);
      }
    });
  } catch (e) {
    close();
    throw e;
  }
  return {
    stop() {
      untap();
      flush();
      close();
      return { packets, dropped: (src.droppedPackets ?? 0) - dropped0 };
    },
  };
}
