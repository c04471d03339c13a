// Colour is decided once per output stream: only on a TTY, never with NO_COLOR, never for
// JSON. Renderers receive a Painter and never look at the environment themselves.
import { Chalk, type ChalkInstance } from 'chalk';

export interface RenderOpts {
  color: boolean;
}

export type Painter = ChalkInstance;

export function wantColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv, json: boolean): boolean {
  if (json || !stream.isTTY) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return true;
}

const plain = new Chalk({ level: 0 });
let colored: Painter | null = null;

export function painter(color: boolean): Painter {
  return color ? (colored ??= new Chalk({ level: 1 })) : plain;
}
