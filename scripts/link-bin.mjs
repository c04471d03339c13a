// postinstall: link this checkout's own `mrsh` into node_modules/.bin, so that `npx mrsh`
// (the README's first command) finds it locally and runs it at once. Without the link, npm
// exec does not look at the root package's own bin: it installs the checkout into its
// cache as a package, which runs `prepare` (tsc) and `install` (the addon) again: 13-36 s
// on the first run, ~2 s of npm on every later one. Only for the checkout itself, not when
// mrsh is installed as a dependency of another project.
import { existsSync, lstatSync, mkdirSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const initCwd = process.env.INIT_CWD;
if (initCwd && resolve(initCwd) !== root) process.exit(0);
const bin = join(root, 'node_modules', '.bin');
const link = join(bin, 'mrsh');
try {
  lstatSync(link);
  process.exit(0); // there already (npm's own link, or ours)
} catch {
  // absent: make it
}
if (!existsSync(join(root, 'node_modules'))) process.exit(0);
mkdirSync(bin, { recursive: true });
symlinkSync('../../bin/mrsh.js', link);
