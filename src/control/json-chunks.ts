// JSON.stringify in pieces: the control server writes a large reply (show mfc of a big
// table) a piece at a time, between receive batches, instead of building one string that
// holds the loop for its whole length (and, for hundreds of MB, cannot be built at all).
// The pieces joined are exactly JSON.stringify's text.

/** containers this deep are walked piece by piece; below that each value is stringified whole */
const WALK_DEPTH = 3;

export function* jsonChunks(value: unknown, size = 64 << 10): Generator<string, void, undefined> {
  let acc = '';
  function* walk(v: unknown, key: string, depth: number): Generator<void, void, undefined> {
    if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') v = (v as { toJSON(k: string): unknown }).toJSON(key);
    if (depth >= WALK_DEPTH || v === null || typeof v !== 'object') {
      acc += JSON.stringify(v) ?? 'null';
      return;
    }
    if (Array.isArray(v)) {
      acc += '[';
      const leaves = depth + 1 >= WALK_DEPTH;
      for (let i = 0; i < v.length; i++) {
        if (i) acc += ',';
        // the common case (entries of a table) without a generator per element
        if (leaves) acc += JSON.stringify(v[i]) ?? 'null';
        else yield* walk(v[i], String(i), depth + 1);
        if (acc.length >= size) yield;
      }
      acc += ']';
      return;
    }
    acc += '{';
    let first = true;
    for (const k of Object.keys(v)) {
      const e = (v as Record<string, unknown>)[k];
      if (e === undefined || typeof e === 'function' || typeof e === 'symbol') continue;
      acc += (first ? '' : ',') + JSON.stringify(k) + ':';
      first = false;
      yield* walk(e, k, depth + 1);
      if (acc.length >= size) yield;
    }
    acc += '}';
  }
  for (const _ of walk(value, '', 0)) {
    yield acc;
    acc = '';
  }
  if (acc) yield acc;
}
