// The integrity report: what a read or validate found, block by block, and in the small structures.
import type { CopyState, Outcome } from './heal.js';

export interface FailedBlock {
  index: number;
  /** Payload byte range [start, end) that this block carries. */
  start: number;
  end: number;
  reason: string;
}

/** How many stored copies of a structure were found intact / damaged-but-readable / unreadable. */
export interface CopyCount {
  stored: number;
  intact: number;
  repaired: number;
  lost: number;
}

export class IntegrityReport {
  totalBlocks = 0;
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
    const count = (name: string, c: CopyCount) => `${name} ${c.intact}/${c.stored} intact${c.repaired ? `, ${c.repaired} repaired` : ''}${c.lost ? `, ${c.lost} lost` : ''}`;
    lines.push(`${count('headers', this.headers)}; ${count('meta', this.meta)}; ${count('manifests', this.manifests)}`);
    if (this.resynchronised) lines.push(`${this.resynchronised} frames found away from their place (bytes inserted or deleted)`);
    for (const f of this.failed.slice(0, 20)) lines.push(`failed block ${f.index} (payload bytes ${f.start}..${f.end}): ${f.reason}`);
    if (this.failed.length > 20) lines.push(`… and ${this.failed.length - 20} more failed blocks`);
    lines.push(...this.notes);
    return lines.join('\n');
  }

  toJSON() {
    return {
      ok: this.ok, healed: this.healed, totalBlocks: this.totalBlocks, clean: this.clean, repairedByRS: this.repairedByRS,
      fromSecondCopy: this.fromSecondCopy, combined: this.combined, failed: this.failed, blockCopies: this.blockCopies,
      headers: this.headers, meta: this.meta, manifests: this.manifests, resynchronised: this.resynchronised, notes: this.notes,
    };
  }
}
