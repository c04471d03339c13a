// The CLI as one self-contained file in a directory anyone may read, for tests that run a
// client as another user (nobody): such a user may not be able to read the checkout (CI's
// folder is not ours to choose), so it runs a copy that needs nothing under the checkout.
// esbuild comes with tsx. Without the native addon the copy checks a daemon by its socket
// file's owner, which is what those tests need.
import { chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';

const ROOT = new URL('../..', import.meta.url).pathname;

const plugins: Plugin[] = [
  {
    // ink's optional devtools, never loaded by mrsh
    name: 'stub-devtools',
    setup(b) {
      b.onResolve({ filter: /^react-devtools-core$/ }, () => ({ path: 'devtools', namespace: 'stub' }));
      b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'export default {}' }));
    },
  },
  {
    // format/table.ts loads cli-table3 lazily through createRequire, which a bundler cannot see
    name: 'lazy-require',
    setup(b) {
      b.onLoad({ filter: /src\/format\/table\.ts$/ }, (a) => ({
        contents: readFileSync(a.path, 'utf8').replace("createRequire(import.meta.url)('cli-table3')", "require('cli-table3')"),
        loader: 'ts',
      }));
    },
  },
];

/** builds the bundled CLI into a new 0755 directory (the caller removes it); its path */
export async function bundledCli(): Promise<string> {
  {
    const dir = mkdtempSync(join(tmpdir(), 'mrsh-bundle-'));
    chmodSync(dir, 0o755);
    const out = join(dir, 'mrsh.mjs');
    await build({
      entryPoints: [join(ROOT, 'src', 'cli.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: out,
      logLevel: 'error',
      banner: { js: "import { createRequire as __mrshRequire } from 'node:module'; const require = __mrshRequire(import.meta.url);" },
      plugins,
    });
    chmodSync(out, 0o644);
    return out;
  }
}
