#!/usr/bin/env node
// Builds the native packet I/O addon (build/Release/mrsh_io.node) at `npm install` / `npm ci`.
// The addon is optional: without it mrsh still runs with virtual links, so a failed build
// prints one line saying why and exits 0 rather than failing the install.
// Nothing is downloaded: node-gyp is npm's own copy, pointed at the installed Node headers.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const quiet = process.argv.includes('--quiet');
const log = (msg) => console.log(`mrsh: ${msg}`);

function unavailable(why) {
  log(`native addon not built (${why}); TUN and packet links will be unavailable, virtual links still work`);
  process.exit(0);
}

if (process.platform !== 'linux') unavailable(`platform ${process.platform} is not Linux`);

// Headers installed with Node itself (e.g. /usr/include/node) let node-gyp work offline.
function findNodeDir() {
  const prefix = resolve(dirname(process.execPath), '..');
  if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) return prefix;
  return null;
}

function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  // npm's bundled copy, next to the npm that runs on this Node.
  candidates.push(join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  try {
    const req = createRequire(join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'package.json'));
    candidates.push(req.resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // npm not installed in the usual place
  }
  return candidates.find((c) => c && existsSync(c) && /\.js$/.test(c)) ?? null;
}

// the addon's sources, as binding.gyp lists them (one list for both build paths)
const ADDON_SOURCES = JSON.parse(readFileSync(join(root, 'binding.gyp'), 'utf8')).targets[0].sources;

const nodedir = findNodeDir();
const out = join(root, 'build', 'Release', 'mrsh_io.node');
const stdio = quiet ? 'pipe' : 'inherit';

let why = '';
const gyp = findNodeGyp();
if (gyp && nodedir) {
  const r = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`], { cwd: root, stdio, encoding: 'utf8' });
  if (r.status === 0 && existsSync(out)) process.exit(0);
  why = `node-gyp failed (exit ${r.status})`;
} else {
  why = !nodedir ? 'Node headers not found next to the node binary' : 'node-gyp not found';
}

// Fallback: the addon is one C file, so a direct compiler call is enough.
if (nodedir) {
  const cc = process.env.CC || 'cc';
  mkdirSync(dirname(out), { recursive: true });
  const r = spawnSync(
    cc,
    ['-O2', '-shared', '-fPIC', '-DNODE_GYP_MODULE_NAME=mrsh_io', `-I${join(nodedir, 'include', 'node')}`, ...ADDON_SOURCES.map((f) => join(root, f)), '-o', out],
    { cwd: root, stdio, encoding: 'utf8' },
  );
  if (r.error) unavailable(`${why}; no C compiler (${cc}): ${r.error.message}`);
  if (r.status === 0 && existsSync(out)) {
    log(`built ${out} with ${cc} (${why})`);
    process.exit(0);
  }
  unavailable(`${why}; ${cc} failed (exit ${r.status})`);
}
unavailable(why);
