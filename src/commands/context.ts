// The context every front end (shell, batch files, one-shot, the daemon) runs commands in:
// a router, the table (for help), file reading and writing, and the line and batch runners. Built here,
// above the table, so command files reach the runners through the context and the table
// does not import what imports it.
import { readFileSync } from 'node:fs';
import type { RouterApi } from '../router/api.js';
import { runBatchIn, type BatchOpts, type BatchResult } from './batch.js';
import type { Ctx } from './define.js';
import { execute } from './exec.js';
import { COMMANDS } from './table.js';
import { localFileWriter } from './out-file.js';

export function makeCtx(
  router: RouterApi,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
  writeFile: (path: string, data: Buffer) => void = localFileWriter(null),
): Ctx {
  const ctx: Ctx = {
    router,
    commands: COMMANDS,
    readFile,
    writeFile,
    execute: (line) => execute(line, ctx),
    replay: async (text, other, name) => {
      const errors: string[] = [];
      await runBatchIn(makeCtx(other, readFile, writeFile), text, { name, keepGoing: false, check: false, onResult: () => {}, onError: (t) => errors.push(t) });
      return errors;
    },
  };
  return ctx;
}

/** runs a batch file's text against the router (batch.ts) */
export function runBatch(text: string, router: RouterApi, opts: BatchOpts): Promise<BatchResult> {
  return runBatchIn(makeCtx(router), text, opts);
}
