#!/usr/bin/env node
// Builds, at `npm install` / `npm ci`, the native packet I/O addon (build/Release/mrsh_io.node)
// and the preload library of `mrsh exec` (build/Release/libmrsh_preload.so).
// Both are optional: without the addon mrsh still runs with virtual links, without the
// library only `mrsh exec` is missing; so a failed build prints one line saying why and the
// script exits 0 rather than failing the install.
// Nothing is downloaded: node-gyp is npm's own copy, pointed at the installed Node headers.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const quiet = process.argv.includes('--quiet');
const log = (msg) => console.log(`mrsh: ${msg}`);

const addonUnavailable = (why) => log(`native addon not built (${why}); TUN and packet links will be unavailable, virtual links still work`);

if (process.platform !== 'linux') {
  addonUnavailable(`platform ${process.platform} is not Linux`);
  process.exit(0);
}

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

const stdio = quiet ? 'pipe' : 'inherit';
const cc = process.env.CC || 'cc';

function buildAddon() {
  const nodedir = findNodeDir();
  const out = join(root, 'build', 'Release', 'mrsh_io.node');
  let why = '';
  const gyp = findNodeGyp();
  if (gyp && nodedir) {
    const r = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`], { cwd: root, stdio, encoding: 'utf8' });
    if (r.status === 0 && existsSync(out)) return;
    why = `node-gyp failed (exit ${r.status})`;
  } else {
    why = !nodedir ? 'Node headers not found next to the node binary' : 'node-gyp not found';
  }
  if (!nodedir) return addonUnavailable(why);
  // Fallback: the addon is a few C files, so a direct compiler call is enough.
  mkdirSync(dirname(out), { recursive: true });
  const r = spawnSync(
    cc,
    ['-O2', '-shared', '-fPIC', '-DNODE_GYP_MODULE_NAME=mrsh_io', `-I${join(nodedir, 'include', 'node')}`, ...ADDON_SOURCES.map((f) => join(root, f)), '-o', out],
    { cwd: root, stdio, encoding: 'utf8' },
  );
  if (r.error) return addonUnavailable(`${why}; no C compiler (${cc}): ${r.error.message}`);
  if (r.status === 0 && existsSync(out)) return log(`built ${out} with ${cc} (${why})`);
  addonUnavailable(`${why}; ${cc} failed (exit ${r.status})`);
}

// The preload library is loaded into other programs, so it links nothing but libc and
// libdl and needs no Node headers. Built after the addon: node-gyp's rebuild clears build/.
function buildPreload() {
  const out = join(root, 'build', 'Release', 'libmrsh_preload.so');
  mkdirSync(dirname(out), { recursive: true });
  const r = spawnSync(cc, ['-O2', '-Wall', '-shared', '-fPIC', join(root, 'native', 'mrsh_preload.c'), '-o', out, '-ldl', '-lpthread'], { cwd: root, stdio: 'pipe', encoding: 'utf8' });
  if (r.status === 0 && existsSync(out)) return;
  const first = (r.stderr || '').split('\n').find((l) => /error/.test(l)) ?? '';
  const why = r.error ? `no C compiler (${cc}): ${r.error.message}` : `${cc} failed (exit ${r.status})${first ? `: ${first.trim()}` : ''}`;
  log(`preload library not built (${why}); mrsh exec will be unavailable`);
}

buildAddon();
buildPreload();
process.exit(0);
