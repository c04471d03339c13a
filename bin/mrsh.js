#!/usr/bin/env node
// The installed entry point runs the compiled JS so start-up pays for no compiler.
// In a checkout whose sources are newer than dist/ (edited since `npm run build`), it runs
// the sources through tsx instead, so nobody debugs yesterday's build.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist', 'cli.js');

function newestUnder(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestUnder(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function distIsCurrent() {
  if (!existsSync(compiled)) return false;
  const src = join(root, 'src');
  if (!existsSync(src)) return true; // an install without sources
  try {
    return newestUnder(src) <= statSync(compiled).mtimeMs;
  } catch {
    return true;
  }
}

if (distIsCurrent()) {
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'src', 'cli.ts')).href);
}
