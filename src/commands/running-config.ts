// `show running-config` and `write memory`: the router's state (RouterApi.configState) as
// the lines that recreate it, each kind written by the command file that owns it.
import type { ConfigState } from '../router/api.js';
import { bwUpcallConfig } from './bw-upcall.js';
import { mfcConfig } from './mfc.js';
import { mrtConfig, registerViaConfig, workersConfig } from './mrt.js';
import { policyConfig, policyExpireConfig } from './policy.js';
import { vifConfig } from './vif.js';

export function writeRunningConfig(state: ConfigState): string[] {
  const lines: string[] = ['! mrsh running configuration', ...workersConfig(state.workers ?? 0)];
  for (const s of state.families) {
    if (s.owner) {
      // the owner's state is the owner's: replaying it here would fight it for the socket
      lines.push(`! ${s.family === 'inet' ? 'ipv4' : 'ipv6'} routing socket owned by ${s.owner.program} (pid ${s.owner.pid}): its vifs and MFC are not part of this configuration`);
      continue;
    }
    lines.push(...mrtConfig(s), ...vifConfig(s), ...registerViaConfig(s), ...mfcConfig(s), ...policyConfig(s));
  }
  lines.push(...policyExpireConfig(state.policyExpireMs), ...bwUpcallConfig(state.bwUpcalls));
  return lines;
}
