// The integrity report: what a read or validate found, block by block, and in the small structures.
import type { CopyState, Outcome } from './heal.js';

export interface FailedBlock {
  index: number;
  /** Payload byte range [start, end) that this block carries. */
  start: number;
  end: number;
  reason: string;
}

/**
 * How one payload block was obtained, one byte per block in `IntegrityReport.outcomes`.
 * The codes are stable (the browser validator draws its block map from them).
 */
export const BlockOutcome = {
  /** Copy 0 verified as stored. */
  CLEAN: 0,
  /** Reed-Solomon corrected bytes within one copy. */
  REPAIRED_BY_RS: 1,
  /** Copy 0 was damaged or missing; copy 1 verified as stored. */
  SECOND_COPY: 2,
  /** Neither copy verified alone; combining both (plus RS) did. */
  COMBINED: 3,
  /** Not recovered (listed in `failed` too). */
  FAILED: 4,
} as const;
export type BlockOutcome = (typeof BlockOutcome)[keyof typeof BlockOutcome];

const CODE: Record<Outcome, BlockOutcome> = {
  clean: BlockOutcome.CLEAN,
  rs: BlockOutcome.REPAIRED_BY_RS,
  'second-copy': BlockOutcome.SECOND_COPY,
  combined: BlockOutcome.COMBINED,
  failed: BlockOutcome.FAILED,
};
const RUN_NAMES = ['clean', 'repaired by Reed-Solomon', 'from the second copy', 'combined from both copies', 'failed'];

/** How many stored copies of a structure were found intact / damaged-but-readable / unreadable. */
export interface CopyCount {
  stored: number;
  intact: number;
  repaired: number;
  lost: number;
}

export class IntegrityReport {
  totalBlocks = 0;
  #outcomes: Uint8Array;
  /** Copy 0 verified as stored. */
  clean = 0;
  /** Repaired by Reed-Solomon within one copy. */
  repairedByRS = 0;
  /** Copy 0 was damaged or missing; copy 1 verified as stored. */
  fromSecondCopy = 0;
  /** Repaired only by combining both copies. */
  combined = 0;
  failed: FailedBlock[] = [];
  /** Block copies found intact, damaged (data or parity), or missing, per copy. */
  blockCopies: [{ intact: number; damaged: number; missing: number }, { intact: number; damaged: number; missing: number }] = [
    { intact: 0, damaged: 0, missing: 0 },
    { intact: 0, damaged: 0, missing: 0 },
  ];
  headers: CopyCount = { stored: 2, intact: 0, repaired: 0, lost: 0 };
  meta: CopyCount = { stored: 3, intact: 0, repaired: 0, lost: 0 };
  manifests: CopyCount = { stored: 2, intact: 0, repaired: 0, lost: 0 };
  /** Frames found away from their expected position (bytes inserted or deleted before them). */
  resynchronised = 0;
  /** Notes on anything unusual (lost manifests, a scan of the whole file, size mismatch). */
  notes: string[] = [];

  /** `expectedBlocks` sizes the outcome record at once (it grows if more blocks are added). */
  constructor(expectedBlocks = 0) {
    this.#outcomes = new Uint8Array(Math.max(0, Math.min(expectedBlocks, 1 << 30)));
  }

  /**
   * Each block's outcome, a `BlockOutcome` code indexed by block number (one byte per block);
   * `outcomes.length === totalBlocks`. A view of the report's own record: copy it to keep it.
   */
  get outcomes(): Uint8Array {
    return this.#outcomes.subarray(0, this.totalBlocks);
  }

  /** Every block was recovered and verified. */
  get ok(): boolean {
    return this.failed.length === 0;
  }

  /** Something was damaged or missing anywhere (the payload may still be fully recovered). */
  get healed(): boolean {
    const c = this.blockCopies;
    return (
      this.repairedByRS + this.fromSecondCopy + this.combined > 0 ||
      c[0].damaged + c[0].missing + c[1].damaged + c[1].missing > 0 ||
      this.headers.intact < this.headers.stored ||
      this.meta.intact < this.meta.stored ||
      this.manifests.intact < this.manifests.stored ||
      this.resynchronised > 0 ||
      this.failed.length > 0
    );
  }

  /** Counts a block's outcome (called in block order). */
  add(index: number, outcome: Outcome, copies: [CopyState, CopyState], range: [number, number], reason = ''): void {
    if (index !== this.totalBlocks) throw new RangeError(`block ${index} reported out of order (expected ${this.totalBlocks})`);
    if (index >= this.#outcomes.length) {
      const grown = new Uint8Array(Math.max(1024, this.#outcomes.length * 2));
      grown.set(this.#outcomes);
      this.#outcomes = grown;
    }
    this.#outcomes[index] = CODE[outcome] ?? BlockOutcome.FAILED;
    this.totalBlocks++;
    if (outcome === 'clean') this.clean++;
    else if (outcome === 'rs') this.repairedByRS++;
    else if (outcome === 'second-copy') this.fromSecondCopy++;
    else if (outcome === 'combined') this.combined++;
    else this.failed.push({ index, start: range[0], end: range[1], reason });
    copies.forEach((s, c) => this.blockCopies[c][s]++);
  }

  /** One paragraph a person can read. */
  summary(): string {
    const lines: string[] = [];
    const verdict = !this.ok ? 'UNRECOVERABLE' : this.healed ? 'recovered, with damage repaired' : 'clean';
    lines.push(`${verdict}: ${this.totalBlocks} blocks; ${this.clean} clean, ${this.repairedByRS} repaired by Reed-Solomon, ` +
      `${this.fromSecondCopy} from the second copy, ${this.combined} by combining both copies, ${this.failed.length} failed`);
    const copy = (c: 0 | 1) => {
      const s = this.blockCopies[c];
      return `copy ${c + 1}: ${s.intact} intact, ${s.damaged} damaged, ${s.missing} missing`;
    };
    lines.push(`block copies: ${copy(0)}; ${copy(1)}`);
    const repaired = this.outcomeRuns().filter(([code]) => code !== BlockOutcome.CLEAN && code !== BlockOutcome.FAILED);
    if (repaired.length) {
      const shown = repaired.slice(0, 12).map(([code, from, count]) => `${count > 1 ? `${from}..${from + count - 1}` : from} ${RUN_NAMES[code]}`);
      lines.push(`repaired blocks: ${shown.join('; ')}${repaired.length > 12 ? `; … and ${repaired.length - 12} more runs` : ''}`);
    }
    const count = (name: string, c: CopyCount) => `${name} ${c.intact}/${c.stored} intact${c.repaired ? `, ${c.repaired} repaired` : ''}${c.lost ? `, ${c.lost} lost` : ''}`;
    lines.push(`${count('headers', this.headers)}; ${count('meta', this.meta)}; ${count('manifests', this.manifests)}`);
    if (this.resynchronised) lines.push(`${this.resynchronised} frames found away from their place (bytes inserted or deleted)`);
    for (const f of this.failed.slice(0, 20)) lines.push(`failed block ${f.index} (payload bytes ${f.start}..${f.end}): ${f.reason}`);
    if (this.failed.length > 20) lines.push(`… and ${this.failed.length - 20} more failed blocks`);
    lines.push(...this.notes);
    return lines.join('\n');
  }

  /** The outcomes as runs of equal codes: [code, first block, count], in block order. */
  outcomeRuns(): [BlockOutcome, number, number][] {
    const runs: [BlockOutcome, number, number][] = [];
    const o = this.outcomes;
    for (let i = 0; i < o.length; ) {
      let j = i + 1;
      while (j < o.length && o[j] === o[i]) j++;
      runs.push([o[i] as BlockOutcome, i, j - i]);
      i = j;
    }
    return runs;
  }

  toJSON() {
    return {
      ok: this.ok, healed: this.healed, totalBlocks: this.totalBlocks, clean: this.clean, repairedByRS: this.repairedByRS,
      fromSecondCopy: this.fromSecondCopy, combined: this.combined, failed: this.failed, blockCopies: this.blockCopies,
      headers: this.headers, meta: this.meta, manifests: this.manifests, resynchronised: this.resynchronised, notes: this.notes,
      /** Block outcomes, run-length: [BlockOutcome code, first block, count]. */
      outcomeRuns: this.outcomeRuns(),
    };
  }
}
