// The daemon's warm-up runs a routing daemon's whole path on a scratch router: each new
// (S,G) makes a NOCACHE that reaches the (in-memory) routing socket, the MRT_ADD_MFC sent
// back is applied as the daemon would apply it, and the held packet leaves on the oif.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { warmUp } from '../../src/control/warm-up.js';

it('forwards the held first packet of every new flow, with no pipelined call answered otherwise', async () => {
  const r = await warmUp(40);
  assert.deepEqual(r, { forwarded: 40, mismatches: 0 });
});

it('leaves nothing behind: a second run starts from an empty scratch router', async () => {
  assert.deepEqual(await warmUp(10), { forwarded: 10, mismatches: 0 });
});
