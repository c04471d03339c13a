// How a vif is named on screen: its link's name (eth0, tun1), `register` for the register
// vif, or `vifN` when the entry points at a vif that is not (or no longer) in the table.
import type { VifInfo } from '../router/api.js';

export type VifNamer = (index: number) => string;

export function vifNamer(vifs: readonly VifInfo[]): VifNamer {
  const byIndex = new Map(vifs.map((v) => [v.index, v]));
  return (i) => {
    const v = byIndex.get(i);
    if (!v) return `vif${i}`;
    if (v.link) return v.link.name;
    return v.register ? 'register' : `vif${i}`;
  };
}

export function isRegister(vifs: readonly VifInfo[], i: number): boolean {
  return vifs.some((v) => v.index === i && v.register);
}
