// Run by xdp-busypoll.test.ts inside the interface's namespace (`ip netns exec`, which also
// mounts that namespace's sysfs), so busy polling may tune the device: two xdp links on
// queues 0 and 1 of argv[2], the device's NAPI settings read after each step. Prints JSON.
// argv[3], if given, is the first link's xdpCoalesceUs.
import { existsSync, readFileSync } from 'node:fs';
import { openPacketLink } from '../../../src/dataplane/links/packet.js';
import { NAPI_ATTRS, napiStateFile } from '../../../src/dataplane/links/napi-state.js';

const dev = process.argv[2]!;
const read = (): string[] => NAPI_ATTRS.map((a) => readFileSync(`/sys/class/net/${dev}/${a}`, 'utf8').trim());
const steps: Record<string, { napi: string[]; stateFile: boolean }> = {};
const note = (k: string): void => {
  steps[k] = { napi: read(), stateFile: existsSync(napiStateFile(dev)) };
};
const warnings: string[] = [];
process.on('warning', (w) => warnings.push(w.message));

note('before');
const info = (l: unknown): unknown => ({ xdp: (l as { xdp: boolean }).xdp, error: (l as { xdpError: string | null }).xdpError });
const coalesce = process.argv[3] === undefined ? {} : { xdpCoalesceUs: Number(process.argv[3]) };
const l0 = await openPacketLink(dev, { xdp: true, xdpQueues: [0], xdpBusyPoll: true, ...coalesce });
note('first');
const l1 = await openPacketLink(dev, { xdp: true, xdpQueues: [1], xdpBusyPoll: true });
note('second');
const links = [info(l0), info(l1)];
await l0.close();
note('firstClosed');
await l1.close();
note('lastClosed');
console.log(JSON.stringify({ steps, links, warnings }));
