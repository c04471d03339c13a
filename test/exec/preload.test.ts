// The preload library (native/mrsh_preload.c) against a real `mrsh daemon`, driven by a
// stand-in routing daemon (tools/rsock_probe.c) that calls the socket API as smcrouted and
// pimd do: what the program sees must read as the kernel's raw socket.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { LIB, Lab, compile, labMissing, until, type Probe } from './lab.js';
import { tempDir } from '../control/daemon-helpers.js';

const skip = labMissing();
const IPPROTO_IP = 0;
const IPPROTO_IPV6 = 41;
const IP_PKTINFO = 8;
const IP_MULTICAST_LOOP = 34;
const IPV6_RECVPKTINFO = 49;
const MRT_VERSION = 206;
const MRT_ASSERT = 207;
const MRT_ADD_MFC_PROXY = 210;

describe('preload library', { skip: skip ?? false }, () => {
  const lab = new Lab();
  let bin = '';
  before(async () => {
    // fortified as Debian builds daemons: its reads are glibc's __read_chk, __recvfrom_chk
    bin = compile(tempDir(), 'rsock_probe', ['-D_FORTIFY_SOURCE=2']);
    await lab.open();
  });
  after(() => lab.close());

  /** a probe whose first socket (index 0) owns the family */
  async function owner(fam: 4 | 6, flags = ''): Promise<Probe> {
    const p = lab.probe(bin);
    assert.match(await p.q(`open${fam} ${flags}`), /^ok 0 /);
    assert.equal(await p.q('init 0'), 'ok');
    return p;
  }
  async function closeAndWait(p: Probe, fam: 'ipv4' | 'ipv6'): Promise<void> {
    const before = lab.daemon.log.split(`closed its ${fam} routing socket`).length;
    p.kill();
    await p.exited;
    await until(() => lab.daemon.log.split(`closed its ${fam} routing socket`).length > before, () => lab.daemon.log);
  }

  it('answers as a raw socket: SO_TYPE, kernel options round-trip, routing options come from mrsh', async () => {
    const p = await owner(4);
    assert.equal(await p.q('sotype 0'), 'ok SOCK_RAW');
    assert.match(await p.q(`getint 0 ${IPPROTO_IP} ${MRT_VERSION}`), /^ok 773 len=4$/); // 0x305, from the daemon
    // not multicast routing: the hidden kernel socket holds the value
    assert.equal(await p.q(`setint 0 ${IPPROTO_IP} ${IP_MULTICAST_LOOP} 0`), 'ok');
    assert.equal(await p.q(`getint 0 ${IPPROTO_IP} ${IP_MULTICAST_LOOP}`), 'ok 0 len=4');
    assert.equal(await p.q(`setint 0 ${IPPROTO_IP} ${IP_MULTICAST_LOOP} 1`), 'ok');
    assert.equal(await p.q(`getint 0 ${IPPROTO_IP} ${IP_MULTICAST_LOOP}`), 'ok 1 len=4');
    assert.equal(await p.q('mtu 0 va'), 'ok 1500'); // SIOCGIFMTU on the same fd, as pimd does
    // a routing option mrsh does not implement: its ENOPROTOOPT, not the kernel's EOPNOTSUPP
    assert.equal(await p.q(`setint 0 ${IPPROTO_IP} ${MRT_ADD_MFC_PROXY} 1`), 'err ENOPROTOOPT');
    assert.equal(await p.q(`setint 0 ${IPPROTO_IP} ${MRT_ASSERT} 1`), 'ok');
    assert.equal(await p.q(`getint 0 ${IPPROTO_IP} ${MRT_ASSERT}`), 'ok 1 len=4');
    // SIOCGETSGCNT (SIOCPROTOPRIVATE+1) from the daemon; Linux's answer for no entry
    assert.equal(await p.q('addmfc 0 198.51.100.1 239.1.1.1 0'), 'ok');
    assert.equal(await p.q('sgcnt 0 198.51.100.1 239.1.1.1'), 'ok pkts=0 bytes=0 wrong_if=0');
    assert.equal(await p.q('sgcnt 0 198.51.100.2 239.1.1.1'), 'err EADDRNOTAVAIL');
    assert.match(lab.daemon.log, /rsock_probe \(pid \d+\) owns the ipv4 routing socket/);
    await closeAndWait(p, 'ipv4');
  });

  it('a second socket that does MRT_INIT gets EADDRINUSE; the owner keeps the family', async () => {
    const p = await owner(4);
    assert.match(await p.q('open4'), /^ok 1 /);
    assert.equal(await p.q('init 1'), 'err EADDRINUSE');
    assert.equal(await p.q('addmfc 0 198.51.100.1 239.1.1.1 0'), 'ok');
    await closeAndWait(p, 'ipv4');
  });

  it('a non-blocking socket reads EAGAIN when no upcall waits', async () => {
    const p = await owner(4, 'nonblock');
    assert.equal(await p.q('read 0 128'), 'err EAGAIN');
    assert.equal(await p.q('recvmsg 0 128'), 'err EAGAIN');
    assert.equal(await p.q('fionread 0'), 'ok 0');
    await closeAndWait(p, 'ipv4');
  });

  it('an upcall makes the socket readable for poll, select and epoll, and reads as the kernel frames it', async () => {
    const p = await owner(4, 'nonblock');
    assert.equal(await p.q(`addvif 0 0 ${lab.ifindex}`), 'ok');
    assert.equal(await p.q(`setint 0 ${IPPROTO_IP} ${IP_PKTINFO} 1`), 'ok');
    for (const mode of ['poll', 'select', 'epoll']) assert.equal(await p.q(`wait 0 ${mode} 0`), 'ok timeout');
    const inj = lab.mrsh('inject', '0', '198.51.100.7', '239.2.2.1');
    assert.equal(inj.status, 0, inj.stderr);
    assert.equal(await p.q('wait 0 poll 10000'), 'ok readable');
    assert.equal(await p.q('wait 0 select 10000'), 'ok readable');
    assert.equal(await p.q('wait 0 epoll 10000'), 'ok readable');
    // NOCACHE: the IP header copy (20) and an igmphdr (8), as ipmr_cache_report builds it
    assert.equal(await p.q('fionread 0'), 'ok 28');
    // (ipi_addr: Linux reports the group; which address mrsh sends is the daemon's business)
    assert.match(await p.q('recvmsg 0 28 peek'), new RegExp(`^ok n=28 trunc=0 ctrunc=0 from=198\\.51\\.100\\.7 ifindex=${lab.ifindex} dst=\\S+ type=1 vif=0$`));
    // a short buffer: the kernel's truncation, MSG_TRUNC in msg_flags, the rest is gone
    assert.match(await p.q('recvmsg 0 8'), new RegExp(`^ok n=8 trunc=1 ctrunc=0 from=198\\.51\\.100\\.7 ifindex=${lab.ifindex} dst=\\S+ type=-1 vif=-1$`));
    assert.equal(await p.q('read 0 128'), 'err EAGAIN');
    // MSG_TRUNC in flags: the datagram's real length
    assert.equal(lab.mrsh('inject', '0', '198.51.100.8', '239.2.2.2').status, 0);
    assert.equal(await p.q('wait 0 poll 10000'), 'ok readable');
    assert.match(await p.q('recvmsg 0 4 trunc'), /^ok n=28 trunc=1 /);
    assert.equal(lab.mrsh('inject', '0', '198.51.100.9', '239.2.2.3').status, 0);
    assert.equal(await p.q('wait 0 epoll 10000'), 'ok readable');
    assert.equal(await p.q('read 0 1500'), 'ok n=28');
    await closeAndWait(p, 'ipv4');
  });

  it('fortified reads (__read_chk, __recvfrom_chk) and O_NONBLOCK set by fcntl work as on the kernel', async (t) => {
    const nm = spawnSync('nm', ['-D', bin], { encoding: 'utf8' });
    if (!nm.error) assert.match(nm.stdout, /__read_chk[\s\S]*__recvfrom_chk|__recvfrom_chk[\s\S]*__read_chk/);
    else t.diagnostic('nm unavailable: the fortified symbols are not checked');
    const p = await owner(4);
    assert.equal(await p.q('nonblock 0'), 'ok');
    assert.equal(await p.q('read 0 128'), 'err EAGAIN');
    assert.equal(await p.q(`addvif 0 0 ${lab.ifindex}`), 'ok');
    assert.equal(lab.mrsh('inject', '0', '198.51.100.10', '239.2.3.1').status, 0);
    assert.equal(await p.q('wait 0 poll 10000'), 'ok readable');
    assert.equal(await p.q('recvfrom 0 128'), 'ok n=28 from=198.51.100.10 fromlen=16');
    assert.equal(lab.mrsh('inject', '0', '198.51.100.11', '239.2.3.2').status, 0);
    assert.equal(await p.q('wait 0 select 10000'), 'ok readable');
    assert.equal(await p.q('read 0 10'), 'ok n=10');
    assert.equal(await p.q('read 0 128'), 'err EAGAIN');
    await closeAndWait(p, 'ipv4');
  });

  it('recvmmsg takes the upcalls waiting, each truncated alone; dup2 moves the socket to another number', async () => {
    const p = await owner(4, 'nonblock');
    assert.equal(await p.q(`addvif 0 0 ${lab.ifindex}`), 'ok');
    for (const g of ['239.2.4.1', '239.2.4.2', '239.2.4.3']) assert.equal(lab.mrsh('inject', '0', '198.51.100.12', g).status, 0);
    assert.equal(await p.q('wait 0 poll 10000'), 'ok readable');
    // the three may not all be queued yet: the first is waited for, the rest taken if there
    let got: string[] = [];
    for (let tries = 0; got.length < 3 && tries < 50; tries++) {
      const r = await p.q('recvmmsg 0 8 20');
      if (r.startsWith('ok ')) got = got.concat(r.split(' ').slice(2));
      else assert.equal(r, 'err EAGAIN');
    }
    assert.deepEqual(got, ['20t', '20t', '20t']);
    assert.match(await p.q('dup2 0 40'), /^ok 1 fd=40$/);
    assert.equal(await p.q('close 0'), 'ok');
    assert.equal(await p.q('sotype 1'), 'ok SOCK_RAW');
    assert.equal(await p.q('calls 1 ver'), 'ok 0');
    await closeAndWait(p, 'ipv4');
  });

  it('IPv6: MRT6 calls, a mif by pifi, an upcall read with IPV6_PKTINFO', async () => {
    const p = await owner(6, 'nonblock');
    assert.match(await p.q(`getint 0 ${IPPROTO_IPV6} ${MRT_VERSION}`), /^ok \d+ len=4$/);
    assert.equal(await p.q(`addvif 0 0 ${lab.ifindex}`), 'ok');
    assert.equal(await p.q(`setint 0 ${IPPROTO_IPV6} ${IPV6_RECVPKTINFO} 1`), 'ok');
    assert.equal(await p.q('addmfc 0 2001:db8::4 ff0e::1:1 0'), 'ok');
    assert.equal(await p.q('sgcnt 0 2001:db8::4 ff0e::1:1'), 'ok pkts=0 bytes=0 wrong_if=0'); // SIOCGETSGCNT_IN6
    assert.equal(await p.q('calls 0 add 2001:db8::5 ff0e::1:1 0 del 2001:db8::6 ff0e::1:1 add 2001:db8::6 ff0e::1:1 40 ver'), 'ok 0 ENOENT ENFILE 0');
    // ip6mr checks optlen < sizeof(mf6cctl), not !=: a longer struct is taken
    assert.equal(await p.q('mfclen 0 91'), 'err EINVAL');
    assert.equal(await p.q('mfclen 0 100'), 'ok');
    assert.equal(await p.q('calls 0 ver'), 'ok 0');
    assert.equal(lab.mrsh('inject', '0', '2001:db8::7', 'ff0e::2:1').status, 0);
    assert.equal(await p.q('wait 0 poll 10000'), 'ok readable');
    // mrt6msg: im6_mbz 0, NOCACHE (1), mif 0; 40 bytes of it and the IPv6 header copy
    assert.match(await p.q('recvmsg 0 1500'), new RegExp(`^ok n=\\d+ trunc=0 ctrunc=0 from=2001:db8::7 ifindex=${lab.ifindex} dst=\\S+ type=1 vif=0$`));
    assert.doesNotMatch(p.stderr, /mrsh-preload/);
    await closeAndWait(p, 'ipv6');
  });

  it('pipelined MFC calls keep their order with a synchronous DEL of an unknown entry among them', async () => {
    const p = await owner(4);
    // ENOENT for an entry never added, and for one added then deleted: the daemon saw both
    // pipelined calls before the synchronous one
    const r = await p.q(
      'calls 0 add 198.51.100.1 239.3.3.3 0 add 198.51.100.2 239.3.3.3 0 del 198.51.100.9 239.3.3.3 add 198.51.100.3 239.3.3.3 0 ' +
        'del 198.51.100.1 239.3.3.3 del 198.51.100.1 239.3.3.3 ver',
    );
    assert.equal(r, 'ok 0 0 ENOENT 0 0 ENOENT 0');
    // Linux's own checks, answered without the daemon
    assert.equal(await p.q('mfclen 0 44'), 'err EINVAL');
    assert.equal(await p.q('addmfc 0 198.51.100.4 239.3.3.3 32'), 'err ENFILE');
    assert.equal(await p.q('addmfc 0 198.51.100.4 192.0.2.99 0'), 'err EINVAL');
    assert.equal(await p.q('addmfc 0 0.0.0.0 0.0.0.0 0'), 'ok');
    assert.equal(await p.q('calls 0 ver'), 'ok 0');
    const show = lab.mrsh('show', 'mroute', '--json');
    assert.equal(show.status, 0, show.stderr);
    const entries = (JSON.parse(show.stdout).entries as { source: string; group: string }[]).filter((e) => e.group === '239.3.3.3').map((e) => e.source);
    assert.deepEqual(entries.sort(), ['198.51.100.2', '198.51.100.3']);
    // the daemon agreed with every guess
    assert.doesNotMatch(p.stderr, /mrsh-preload/);
    assert.doesNotMatch(lab.daemon.log, /pipelined/);
    await closeAndWait(p, 'ipv4');
  });

  it('100,000 pipelined adds all land, none contradicted by the daemon', async () => {
    const p = await owner(4);
    const r = await p.q('pipeline 0 100000', 120000);
    const m = /^ok fails=0 calls_per_s=(\d+) done_per_s=(\d+)$/.exec(r);
    assert.ok(m, r);
    // the rate is the daemon's; the benchmark (npm run bench:daemon) holds it to its target
    console.log(`# 100000 pipelined MRT_ADD_MFC: ${m[2]}/s applied by mrsh`);
    assert.doesNotMatch(p.stderr, /mrsh-preload/);
    await closeAndWait(p, 'ipv4');
    assert.match(lab.daemon.log, /100000 MFC entries/);
  });

  it('threads share the socket: every reply reaches its caller', async () => {
    const p = await owner(4);
    assert.equal(await p.q('threads 0 4 2000', 120000), 'ok fails=0');
    assert.equal(await p.q('calls 0 ver'), 'ok 0');
    assert.doesNotMatch(p.stderr, /mrsh-preload/);
    await closeAndWait(p, 'ipv4');
    assert.match(lab.daemon.log, /closed its ipv4 routing socket: 0 vifs, 8000 MFC entries/);
  });

  it('dup keeps the socket: the daemon sees the close only when the last fd goes', async () => {
    const p = await owner(4);
    assert.match(await p.q('dup 0'), /^ok 1 /);
    assert.equal(await p.q('close 0'), 'ok');
    assert.equal(await p.q('addmfc 1 198.51.100.1 239.4.4.4 0'), 'ok');
    assert.equal(await p.q('calls 1 ver'), 'ok 0');
    const before = lab.daemon.log.split('closed its ipv4 routing socket').length;
    assert.doesNotMatch(lab.daemon.log.split('\n').slice(-2).join('\n'), /closed its ipv4/);
    assert.equal(await p.q('close 1'), 'ok');
    await until(() => lab.daemon.log.split('closed its ipv4 routing socket').length > before, () => lab.daemon.log);
    assert.match(lab.daemon.log, /closed its ipv4 routing socket: 0 vifs, 1 MFC entries/);
    p.kill();
  });

  it('says on stderr when the daemon contradicts a pipelined call', async () => {
    // mrsh never does (the previous tests check that); an endpoint that always does
    const path = `${lab.dir}/disagree.mroute`;
    const fake = spawn('python3', [new URL('./tools/disagreeing_endpoint.py', import.meta.url).pathname, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise((r) => fake.stdout.once('data', r));
      const p = lab.probe(bin, { env: { MRSH_MROUTE_SOCKET: path } });
      assert.match(await p.q('open4'), /^ok 0 /);
      assert.equal(await p.q('init 0'), 'ok');
      assert.equal(await p.q('addmfc 0 198.51.100.1 239.6.6.6 0'), 'ok');
      assert.equal(p.stderr, '', 'nothing said before the replies are read');
      assert.equal(await p.q('delmfc 0 198.51.100.1 239.6.6.6'), 'ok'); // the mirror has it
      assert.equal(await p.q('calls 0 ver'), 'ok 0');
      // said before that answer, but stderr is another pipe: it may reach us later
      await until(() => p.stderr.split('\n').length > 2, () => p.stderr);
      assert.equal(
        p.stderr,
        'mrsh-preload: setsockopt(MRT_ADD_MFC) returned 0 but mrsh answered ENOENT\n' + 'mrsh-preload: setsockopt(MRT_DEL_MFC) returned 0 but mrsh answered ENOENT\n',
      );
      // a program that only pipelines hears of it too, within 64 calls
      const r = await p.q('pipeline 0 64');
      assert.match(r, /^ok fails=0 /);
      await until(() => p.stderr.split('\n').length > 60, () => p.stderr);
      p.kill();
    } finally {
      fake.kill('SIGKILL');
    }
  });

  it('socket() fails with the errno and one line on stderr when mrsh cannot be reached', async () => {
    const p = lab.probe(bin, { env: { MRSH_MROUTE_SOCKET: `${lab.dir}/absent.mroute` } });
    assert.equal(await p.q('open4'), 'err ENOENT');
    await until(() => p.stderr.includes('\n'), () => 'nothing on stderr'); // another pipe than the answer's
    assert.equal(p.stderr.trim(), `mrsh-preload: cannot reach mrsh at ${lab.dir}/absent.mroute: No such file or directory`);
    p.kill();
  });

  it('socket() fails as the kernel would when the kernel refuses the raw socket', async (t) => {
    if (spawnSync('setpriv', ['--help']).error) return t.skip('no setpriv');
    const r = spawnSync('ip', ['netns', 'exec', lab.ns, 'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', bin], {
      input: 'open4\n',
      encoding: 'utf8',
      env: { ...process.env, LD_PRELOAD: LIB, MRSH_MROUTE_SOCKET: lab.endpoint },
    });
    assert.equal(r.stdout.trim(), 'err EPERM', r.stderr);
    assert.equal(r.stderr, '', 'nothing reaches mrsh, nothing is said');
  });
});

describe('preload library when mrsh goes away', { skip: skip ?? false }, () => {
  // made here, after the suite above removed its folders (cleanupDaemons removes them all)
  let lab: Lab;
  let bin = '';
  before(async () => {
    lab = new Lab();
    bin = compile(tempDir(), 'rsock_probe');
    await lab.open();
  });
  after(() => lab.close());

  it('a daemon whose routes vanished with mrsh is told and ended, not left spinning on a socket that reads 0', async () => {
    const p = lab.probe(bin);
    assert.match(await p.q('open4'), /^ok 0 /);
    assert.equal(await p.q('init 0'), 'ok');
    lab.daemon.kill('SIGKILL'); // ip netns exec passes the signal on to mrsh
    await lab.daemon.exited;
    const exited = p.exited;
    p.child.stdin!.write('read 0 128\n');
    assert.equal(await exited, null, 'ended by a signal');
    assert.equal(p.child.signalCode, 'SIGTERM');
    assert.match(p.stderr, /mrsh-preload: mrsh closed the routing socket \(its daemon stopped\): the routes are gone, ending this program/);
  });
});
