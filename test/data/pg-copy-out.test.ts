// The COPY TO STDOUT socket reader without a database: a fake pg connection serves the server's
// messages in chunks cut everywhere; frames must hold exactly the rows, whole, in order, and the
// bytes after CopyDone (or from an ErrorResponse on) must go back to pg's parser.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PassThrough } from 'node:stream';
import { CopyOut } from '../../src/data/pg-copy-out.js';

const HEAD = 9;

function message(code: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + body.length);
  out[0] = code.charCodeAt(0);
  new DataView(out.buffer).setUint32(1, body.length + 4);
  out.set(body, 5);
  return out;
}
const text = (s: string) => new TextEncoder().encode(s);
const concat = (parts: Uint8Array[]) => Buffer.concat(parts);

function serverBytes(rows: string[], tail: Uint8Array): Buffer {
  return concat([
    message('H', new Uint8Array([0, 0, 2, 0, 0, 0, 0])), // CopyOutResponse
    ...rows.flatMap((r, i) => (i === 1 ? [message('N', text('a notice')), message('d', text(r))] : [message('d', text(r))])),
    message('c', new Uint8Array(0)),
    tail,
  ]);
}

async function run(bytes: Buffer, cut: (i: number) => number, batch: number) {
  const stream = new PassThrough();
  const handedBack: Buffer[] = [];
  stream.on('data', (d: Buffer) => handedBack.push(Buffer.from(d)));
  const copy = new CopyOut('COPY t TO STDOUT', HEAD, batch);
  const sent: string[] = [];
  copy.submit({ stream, query: (t) => sent.push(t) });
  for (let at = 0, k = 0; at < bytes.length; k++) {
    const n = Math.max(1, Math.min(cut(k), bytes.length - at));
    // Each chunk is its own buffer, overwritten after the reader saw it: nothing may keep a view.
    const chunk = Buffer.from(bytes.subarray(at, at + n));
    stream.write(chunk);
    at += n;
    await new Promise((r) => setImmediate(r));
  }
  const frames: { rows: number; lines: string }[] = [];
  for (let f = await copy.next(); f; f = await copy.next()) {
    assert.ok(f.frame.length - HEAD <= Math.max(batch, longest), `a frame of ${f.frame.length - HEAD} bytes (batch ${batch})`);
    frames.push({ rows: f.rows, lines: Buffer.from(f.frame.subarray(HEAD)).toString() });
  }
  await new Promise((r) => setImmediate(r));
  return { frames, sent, handedBack: Buffer.concat(handedBack) };
}

const rows = Array.from({ length: 40 }, (_, i) => `${i}\t${'x'.repeat((i * 37) % 90)}\t\\N\n`);
rows[7] = `7\t${'long '.repeat(120)}\n`; // longer than a small batch
const longest = Math.max(...rows.map((r) => r.length));

test('rows come out whole and in order, whatever the chunking; the rest goes back to pg', async () => {
  const tail = concat([message('C', text('COPY 40\0')), message('Z', text('I'))]);
  const bytes = serverBytes(rows, tail);
  for (const batch of [64, 256, 1 << 16]) {
    for (const cut of [() => 1, () => 2, () => 5, () => 7, (k: number) => 1 + ((k * 13) % 97), () => 4096, () => 1 << 20]) {
      const { frames, sent, handedBack } = await run(bytes, cut, batch);
      assert.equal(sent, ['COPY t TO STDOUT']);
      assert.is(frames.map((f) => f.lines).join(''), rows.join(''));
      assert.is(frames.reduce((n, f) => n + f.rows, 0), rows.length);
      for (const f of frames) assert.is(f.lines.split('\n').length - 1, f.rows, 'rows counted per frame');
      assert.equal([...handedBack], [...tail], 'bytes after CopyDone are pg\'s');
    }
  }
});

test('an ErrorResponse hands the socket back to pg from that message on', async () => {
  const error = message('E', text('SERROR\0Mboom\0\0'));
  const bytes = concat([message('H', new Uint8Array(7)), message('d', text('1\ta\n')), error, message('Z', text('I'))]);
  for (const cut of [() => 1, () => 3, () => 1 << 10] as ((k: number) => number)[]) {
    const stream = new PassThrough();
    const back: Buffer[] = [];
    stream.on('data', (d: Buffer) => back.push(Buffer.from(d)));
    const copy = new CopyOut('COPY t TO STDOUT', HEAD, 1024);
    copy.submit({ stream, query: () => {} });
    for (let at = 0, k = 0; at < bytes.length; k++) {
      const n = Math.min(cut(k), bytes.length - at);
      stream.write(Buffer.from(bytes.subarray(at, at + n)));
      at += n;
      await new Promise((r) => setImmediate(r));
    }
    copy.handleError(new Error('boom')); // what pg does once it parsed the ErrorResponse
    await assert_rejects(async () => {
      while (await copy.next());
    });
    const tail = Buffer.concat(back);
    assert.equal([...tail.subarray(tail.length - bytes.length + bytes.indexOf(error[0], 5 + 7))], [...bytes.subarray(bytes.indexOf(error[0], 5 + 7))]);
  }
});

async function assert_rejects(fn: () => Promise<unknown>) {
  try {
    await fn();
  } catch {
    return;
  }
  assert.unreachable('expected a rejection');
}

test.run();
