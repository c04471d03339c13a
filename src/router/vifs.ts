// vif add / vif del (MRT_ADD_VIF, MRT6_ADD_MIF and their deletes): the checks, the link
// the vif is bound to, and the spec each vif was added with, kept for running-config.

import { fail } from '../dataplane/errno.js';
import { isIPv4 } from '../dataplane/addr.js';
import type { RouterCore } from './core.js';
import type { LinkBinder } from './links.js';
import { vifInfo } from './views.js';
import type { Family, VifInfo, VifSpec } from './api.js';

export class VifTable {
  readonly specs = { inet: new Map<number, VifSpec>(), inet6: new Map<number, VifSpec>() };

  constructor(
    private readonly core: RouterCore,
    private readonly links: LinkBinder,
  ) {}

  async add(spec: VifSpec): Promise<VifInfo> {
    const family = spec.family;
    const core = this.core;
    const f = core.changeable(family);
    const e = f.engine;
    if (!Number.isInteger(spec.index) || spec.index < 0 || spec.index >= e.maxVifs) fail('EINVAL', `${f.vif} index ${spec.index} out of range (0-${e.maxVifs - 1})`);
    if (e.vifUsed[spec.index]) fail('EADDRINUSE', `${f.vif} ${spec.index} is in use`);
    if (spec.threshold !== undefined && (!Number.isInteger(spec.threshold) || spec.threshold < 0 || spec.threshold > 255))
      fail('EINVAL', `threshold ${spec.threshold} out of range (0-255)`);
    if (spec.local !== undefined && family === 'inet' && !isIPv4(spec.local)) fail('EINVAL', `local address '${spec.local}' is not IPv4`);
    if (spec.remote !== undefined && !isIPv4(spec.remote)) fail('EINVAL', `remote address '${spec.remote}' is not IPv4`);
    if (spec.register) {
      f.addVif(core.so(family), { index: spec.index, register: true, threshold: spec.threshold, local: spec.local, remote: spec.remote });
      this.specs[family].set(spec.index, { ...spec });
      return vifInfo(core, family, spec.index);
    }
    if (!spec.link) fail('EINVAL', 'a vif needs a link (tun NAME, dev IFNAME or virtual NAME) or register');
    // vifs are known by name (show vif, iif NAME): two of one family may not share one
    for (let v = 0; v < e.numVifs; v++) {
      const other = e.vifUsed[v] ? core.vifLinks[family][v] : undefined;
      if (other && other.name === spec.link.name) fail('EADDRINUSE', `${f.vif} ${v} is already named ${other.name}: two ${f.vif}s may not share a name`);
    }
    const { bound, created } = await this.links.acquire(family, spec.link, spec.local);
    const link = bound.link;
    const local = this.links.attach(family, spec.index, link, spec.local);
    try {
      f.addVif(core.so(family), { index: spec.index, register: false, ifindex: link.ifindex, threshold: spec.threshold, local, remote: spec.remote });
    } catch (err) {
      if (created) await this.links.discard(link);
      throw err;
    }
    this.links.bind(family, spec.index, bound);
    // the local the user gave, not the one derived from the link: a config written from
    // this stays valid when the interface's address changes, and diffs cleanly against files
    this.specs[family].set(spec.index, { ...spec });
    return vifInfo(core, family, spec.index);
  }

  async del(family: Family, index: number): Promise<void> {
    const core = this.core;
    core.refuseIfExternal(family);
    core.fam(family).delVif(core.owner(family), index);
    this.specs[family].delete(index);
    if (core.registerVia === index && family === 'inet') core.registerVia = -1;
    await this.links.release(family, index);
  }
}
