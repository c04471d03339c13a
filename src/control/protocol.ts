// The control socket's protocol: JSON Lines over a unix stream socket, one object per
// line each way. A reply carries the request's id and comes only after the router applied
// the command; events (subscribe) carry no id.
//
//   -> {"id":1,"line":"show mroute"}                 one command-table line
//   -> {"id":2,"line":"configure replace f","files":{"f":"..."}}   files the client read
//   -> {"id":3,"subscribe":"upcalls"}                then {"event":"upcall","upcall":{...}}
//   -> {"id":4,"call":"status"}                      RouterStatus, for the shell's status line
//   -> {"id":5,"subscribe":"capture","vif":1,"family":"inet"}   monitor capture: then
//      {"event":"packet","tap":5,"dir":"in","timeMs":...,"length":60,"hex":"4500..."} per packet,
//      each packet whole; {"event":"dropped-packets","tap":5,"count":3} for those not sent
//   -> {"id":6,"unsubscribe":"capture","tap":5}
//   <- {"id":1,"ok":true,"output":{...}}             the command layer's Output, as data
//   <- {"id":7,"ok":true,"output":{...},"files":{"x.pcapng":"<base64>"}}   files the command
//      wrote (capture ... pcap FILE): the client writes them, with its own rights
//   <- {"id":1,"ok":false,"error":{"message":"...","offset":8,"errno":"EINVAL","parse":false}}
//   <- {"event":"dropped","count":12}                events this client was too slow to take
import type { Output } from '../commands/output.js';
import type { UpcallEvent } from '../router/api.js';

export type Request =
  | { id: number; line: string; files?: Record<string, string> }
  | { id: number; subscribe: 'upcalls' }
  | { id: number; unsubscribe: 'upcalls' }
  | { id: number; call: 'status' | 'now' }
  | { id: number; subscribe: 'capture'; vif: number; family: 'inet' | 'inet6' }
  | { id: number; unsubscribe: 'capture'; tap: number };

export interface WireError {
  message: string;
  offset: number | null;
  errno: string | null;
  /** the line did not parse (exit status 2 in a one-shot) */
  parse: boolean;
}

export type Reply =
  | { id: number; ok: true; output?: Output | null; result?: unknown; files?: Record<string, string> }
  | { id: number | null; ok: false; error: WireError };

export type Event =
  | { event: 'upcall'; upcall: UpcallEvent }
  | { event: 'dropped'; count: number }
  | { event: 'packet'; tap: number; dir: 'in' | 'out'; timeMs: number; length: number; hex: string }
  | { event: 'dropped-packets'; tap: number; count: number };

/** longest request line accepted: room for a large configure replace file */
export const MAX_LINE = 16 << 20;

/**
 * Splits a stream of text into lines; a line longer than max is reported, not buffered,
 * wherever its newline falls (in the same chunk, a later one, or not yet), and nothing
 * after it is read: the stream is out of step from there on.
 */
export class LineSplitter {
  private buf = '';
  private overflowed = false;
  constructor(
    private readonly onLine: (line: string) => void,
    private readonly onOverflow: () => void,
    private readonly max = MAX_LINE,
  ) {}

  push(chunk: string): void {
    if (this.overflowed) return;
    let start = 0;
    let nl = chunk.indexOf('\n');
    while (nl >= 0) {
      if (this.buf.length + nl - start > this.max) return this.overflow();
      const line = start === 0 && this.buf ? this.buf + chunk.slice(0, nl) : chunk.slice(start, nl);
      if (start === 0) this.buf = '';
      if (line.length) this.onLine(line);
      start = nl + 1;
      nl = chunk.indexOf('\n', start);
    }
    if (this.buf.length + chunk.length - start > this.max) return this.overflow();
    this.buf = start === 0 ? this.buf + chunk : chunk.slice(start);
  }

  private overflow(): void {
    this.buf = '';
    this.overflowed = true;
    this.onOverflow();
  }
}
