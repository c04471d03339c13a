// The Ink app attached to a daemon's control socket: commands run on the daemon's router,
// the upcall pane and the status line follow its event stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { App } from '../../src/shell/App.js';
import { Router } from '../../src/router/router.js';
import { ControlServer } from '../../src/control/server.js';
import { ControlClient } from '../../src/control/client.js';
import { RemoteSession } from '../../src/control/remote.js';
import { waitFor } from './helpers.js';

test('attached shell: commands on the daemon, live pane fed by the event stream', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mrsh-att-'));
  const router = await Router.create();
  const server = new ControlServer(router, { path: join(dir, 's.sock') });
  await server.listen();
  const session = await RemoteSession.open(await ControlClient.connect(join(dir, 's.sock')));
  const ui = render(<App remote={{ live: session, exec: (l) => session.exec(l) }} color={false} historyPath={null} paneIntervalMs={20} />);
  try {
    await waitFor(ui.lastFrame, (s) => s.includes('mrsh# '));
    for (const l of ['mrt init', 'vif add 0 virtual eth0', 'vif add 1 virtual eth1', 'inject 0 10.0.0.1 239.1.1.1 count 2']) {
      ui.stdin.write(l);
      await waitFor(ui.lastFrame, (s) => s.split('\n').at(-1)!.startsWith(`mrsh# ${l}`));
      ui.stdin.write('\r');
      // echoed into the scrollback, the input line empty again
      await waitFor(ui.lastFrame, (s) => s.includes(`mrsh# ${l}\n`) && s.split('\n').at(-1)!.trimEnd() === 'mrsh#');
    }
    // the daemon's router changed, and its NOCACHE reached the pane over the socket
    // commands are acknowledged over the socket: poll rather than trust a fixed sleep
    await waitFor(() => String(router.listVifs('inet').length), (s) => s === '2', 3000);
    await waitFor(ui.lastFrame, (s) => /NOCACHE 1/.test(s), 3000);
    await waitFor(ui.lastFrame, (s) => /IPv4 on/.test(s), 3000);
    ui.stdin.write('vif add 40 virtual x\r');
    await waitFor(ui.lastFrame, (s) => s.includes('% vif add: EINVAL: vif index 40 out of range'));
  } finally {
    ui.unmount();
    session.close();
    await server.close();
    await router.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('attached shell: lines typed while a command runs all run, in order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mrsh-att-'));
  const router = await Router.create();
  const server = new ControlServer(router, { path: join(dir, 's.sock') });
  await server.listen();
  const session = await RemoteSession.open(await ControlClient.connect(join(dir, 's.sock')));
  const ui = render(<App remote={{ live: session, exec: (l) => session.exec(l) }} color={false} historyPath={null} paneIntervalMs={20} />);
  try {
    await waitFor(ui.lastFrame, (s) => s.includes('mrsh# '));
    // a long command among them; every line is typed while the ones before it are still
    // on their way to the daemon (a render in between, so the shell knows it is busy)
    const lines = ['mrt init', 'vif add 0 virtual eth0', 'vif add 1 virtual eth1', 'inject 0 10.9.9.9 239.9.9.9 count 200000'];
    for (let i = 0; i < 8; i++) lines.push(`mfc add 10.0.0.${i + 1} 239.1.1.1 iif 0 oif 1`);
    for (const l of lines) {
      const n = ui.frames.length;
      ui.stdin.write(l + '\r');
      await waitFor(() => String(ui.frames.length > n), (s) => s === 'true');
    }
    await waitFor(() => String(router.listMfc('inet').length), (s) => s === '8', 5000);
    assert.equal(router.listVifs('inet').length, 2);
    const f = await waitFor(ui.lastFrame, (s) => s.includes('mrsh# mfc add 10.0.0.8'));
    assert.ok(f.indexOf('mfc add 10.0.0.7') < f.indexOf('mfc add 10.0.0.8'), 'in order');
  } finally {
    ui.unmount();
    session.close();
    await server.close();
    await router.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('attached: banner and prompt name the socket, the pane starts with the daemon\'s upcalls, a lost daemon shows at once and the shell reconnects', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mrsh-att-'));
  const path = join(dir, 's.sock');
  const router = await Router.create();
  let server = new ControlServer(router, { path });
  await server.listen();
  const { DaemonLink } = await import('../../src/shell/daemon-link.js');
  const setup = await RemoteSession.open(await ControlClient.connect(path));
  for (const l of ['mrt init', 'vif add 0 virtual eth0', 'inject 0 10.7.7.7 239.7.7.7']) await setup.exec(l);
  setup.close();
  const link = await DaemonLink.open(await RemoteSession.open(await ControlClient.connect(path)), path, 50);
  const ui = render(<App remote={{ live: link, exec: (l) => link.exec(l) }} attached={link} color={false} historyPath={null} paneIntervalMs={20} />);
  try {
    let f = await waitFor(ui.lastFrame, (s) => s.includes('mrsh@s.sock# '));
    assert.ok(f.includes(`attached to the daemon at ${path}`), f);
    f = await waitFor(ui.lastFrame, (s) => /NOCACHE {3}vif 0 \(10\.7\.7\.7, 239\.7\.7\.7\)/.test(s), 3000);
    assert.match(f, /NOCACHE 1/);
    await server.close();
    f = await waitFor(ui.lastFrame, (s) => s.includes(`DAEMON GONE (${path}), reconnecting`), 2000);
    server = new ControlServer(router, { path });
    await server.listen();
    await waitFor(ui.lastFrame, (s) => !s.includes('DAEMON GONE'), 5000);
    ui.stdin.write('vif add 1 virtual eth1\r');
    await waitFor(() => String(router.listVifs('inet').length), (s) => s === '2', 3000);
  } finally {
    ui.unmount();
    link.close();
    await server.close();
    await router.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('attached: Tab and ? complete vifs, sources and groups from the daemon, and follow its changes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mrsh-att-'));
  const path = join(dir, 's.sock');
  const router = await Router.create();
  const server = new ControlServer(router, { path });
  await server.listen();
  const { RemoteState } = await import('../../src/shell/remote-state.js');
  const other = await RemoteSession.open(await ControlClient.connect(path));
  for (const l of ['mrt init', 'vif add 0 virtual up0', 'vif add 1 virtual down1', 'mfc add 192.0.2.7 239.5.5.5 iif 0 oif 1']) {
    const r = await other.exec(l);
    assert.ok(r && r.ok, l);
  }
  const session = await RemoteSession.open(await ControlClient.connect(path));
  const exec = (l: string) => session.exec(l);
  const state = new RemoteState(exec);
  const ui = render(<App remote={{ live: session, exec, state }} color={false} historyPath={null} paneIntervalMs={20} />);
  try {
    await waitFor(ui.lastFrame, (s) => s.includes('mrsh# '));
    // the shell fetched the daemon's state when it started
    await waitFor(() => String(state.listVifs('inet').length), (s) => s === '2', 3000);
    ui.stdin.write('vif del ');
    await waitFor(ui.lastFrame, (s) => s.split('\n').at(-1)!.startsWith('mrsh# vif del'));
    ui.stdin.write('\t');
    let f = await waitFor(ui.lastFrame, (s) => s.includes('up0') && s.includes('down1'));
    assert.match(f, /vif 1 \(down1\)/);
    ui.stdin.write('\x15'); // Ctrl-U
    await waitFor(ui.lastFrame, (s) => s.split('\n').at(-1)!.trimEnd() === 'mrsh#');
    ui.stdin.write('explain ?');
    f = await waitFor(ui.lastFrame, (s) => s.includes('192.0.2.7') && s.includes('239.5.5.5'));
    assert.match(f, /192\.0\.2\.7\s+a source in the MFC/);
    ui.stdin.write('\x15');
    await waitFor(ui.lastFrame, (s) => s.split('\n').at(-1)!.trimEnd() === 'mrsh#');
    // another client adds a vif: the next Tab fetches, the one after it offers the vif
    assert.ok((await other.exec('vif add 2 virtual side2'))!);
    ui.stdin.write('vif del s');
    await waitFor(ui.lastFrame, (s) => s.split('\n').at(-1)!.startsWith('mrsh# vif del s'));
    ui.stdin.write('\t');
    await waitFor(() => String(state.listVifs('inet').length), (s) => s === '3', 3000);
    ui.stdin.write('\t');
    await waitFor(ui.lastFrame, (s) => s.split('\n').at(-1)!.startsWith('mrsh# vif del side2'));
  } finally {
    ui.unmount();
    session.close();
    other.close();
    await server.close();
    await router.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
