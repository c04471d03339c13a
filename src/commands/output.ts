// What handlers return: plain data, tagged by kind. src/format turns it into text or JSON;
// nothing here knows about terminals.
import type {
  CapturedPacket,
  Explanation,
  Family,
  InjectResult,
  MfcInfo,
  MrtStatus,
  PendingInfo,
  PolicyStatus,
  Stats,
  UpcallEvent,
  UpcallType,
  VifInfo,
} from '../router/api.js';

export type MrouteView = 'brief' | 'detail' | 'count' | 'summary' | 'table';

export type Output =
  | { kind: 'ok'; message?: string }
  | { kind: 'mrt'; status: MrtStatus[]; apiNames: { flag: number; name: string }[] }
  | { kind: 'vif'; family: Family; vifs: VifInfo[] }
  | { kind: 'mfc'; family: Family; entries: MfcInfo[]; pending: PendingInfo[]; nowMs: number }
  | { kind: 'bw-upcall'; entries: MfcInfo[]; nowMs: number }
  | {
      kind: 'mroute';
      family: Family;
      view: MrouteView;
      /** table view: repeat Source, Group, Flags, Input and Uptime on every row */
      fill?: boolean;
      entries: MfcInfo[];
      vifs: VifInfo[];
      pending: PendingInfo[];
      nowMs: number;
    }
  | { kind: 'pending'; family: Family; pending: PendingInfo[]; nowMs: number; cap?: { limit: number; entries: number; dropped: number } }
  | { kind: 'statistics'; family: Family; stats: Stats }
  | { kind: 'upcalls'; upcalls: UpcallEvent[] }
  | { kind: 'running-config'; lines: string[] }
  | { kind: 'explain'; explanation: Explanation; ttl: number | null; vif: number | null }
  | { kind: 'inject'; vif: number; family: Family; result: InjectResult }
  /** file: written as pcapng there (- : standard output) */
  | { kind: 'capture'; vif: number; family: Family; packets: CapturedPacket[]; file?: string }
  /** the caller streams the vif's packets to file until stopped */
  | { kind: 'monitor-capture'; vif: number; family: Family; file: string }
  | { kind: 'help'; commands: { name: string; syntax: string; help: string }[] }
  | { kind: 'monitor'; types: UpcallType[] | null }
  | { kind: 'policy'; policy: PolicyStatus }
  | {
      kind: 'config-diff';
      file: string;
      dryRun: boolean;
      /** commands run (or, dry-run, that would run): undo lines of removed state, then new lines */
      remove: string[];
      add: string[];
      /** runtime state (not from a config file) absent from the file: kept or dropped as asked */
      runtime: string[];
      runtimeAction: 'keep' | 'drop';
      unchanged: number;
    }
  | { kind: 'exit' }
  /** `configure terminal` and `end`: the prompt changes, the commands do not */
  | { kind: 'mode'; mode: 'exec' | 'config' }
  | { kind: 'version'; version: string; node: string; platform: string };

export type OutputKind = Output['kind'];
