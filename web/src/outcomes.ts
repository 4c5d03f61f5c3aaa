// Per-block outcomes for the block map. The container's IntegrityReport counts outcomes and lists
// failed blocks, but does not keep each block's outcome; it receives them one by one through
// report.add(index, outcome, …). This bridge records them, per report, as the reader adds them.
// It wraps add() once and keeps everything else as it was; if the report ever carries the
// outcomes itself (report.outcomes), that is used instead.
import { IntegrityReport } from './dbs.js';
import { BlockState } from './protocol.js';

const STATE: Record<string, BlockState> = {
  clean: BlockState.CLEAN,
  rs: BlockState.REPAIRED,
  'second-copy': BlockState.SECOND_COPY,
  combined: BlockState.COMBINED,
  failed: BlockState.FAILED,
};

const recorded = new WeakMap<object, { states: Uint8Array; length: number }>();
let installed = false;

/** Starts recording outcomes for every IntegrityReport made from now on. Idempotent. */
export function recordOutcomes(): void {
  if (installed) return;
  installed = true;
  const proto = IntegrityReport.prototype as unknown as { add: (index: number, outcome: string, ...rest: unknown[]) => void };
  const add = proto.add;
  proto.add = function (this: object, index: number, outcome: string, ...rest: unknown[]) {
    let entry = recorded.get(this);
    if (!entry) recorded.set(this, (entry = { states: new Uint8Array(1024), length: 0 }));
    if (index >= entry.states.length) {
      const grown = new Uint8Array(Math.max(index + 1, entry.states.length * 2));
      grown.set(entry.states);
      entry.states = grown;
    }
    entry.states[index] = STATE[outcome] ?? BlockState.FAILED;
    entry.length = Math.max(entry.length, index + 1);
    return add.call(this, index, outcome, ...rest);
  };
}

/** The recorded block states of `report` (one per block), or undefined when none were recorded. */
export function outcomesOf(report: IntegrityReport): Uint8Array | undefined {
  const own = (report as unknown as { outcomes?: ArrayLike<string | number> }).outcomes;
  if (own && typeof own.length === 'number') {
    return Uint8Array.from(Array.from(own, (o) => (typeof o === 'number' ? o : STATE[o] ?? BlockState.FAILED)));
  }
  const entry = recorded.get(report);
  return entry ? entry.states.slice(0, entry.length) : undefined;
}
