// Binary-protocol rows (a prepared statement's result) written as the text the text protocol
// sends for the same values. Profiled: the server's double-to-text conversion was 40-60% of its
// time for a table with a DOUBLE column; in the binary protocol it sends the 8 bytes instead and
// the text is made here (mariadb's my_gcvt rule, below). Integers and temporal values are also
// sent binary; everything else (DECIMAL, strings, JSON, BLOB, ENUM, SET, BIT) comes as the same
// length-encoded bytes in both protocols.
// Only columns whose text this module reproduces are read this way: a result with any other
// (ZEROFILL integers, DOUBLE(M,D), FLOAT, unknown types) is read with the text protocol.

export const enum FieldType {
  Tiny = 1,
  Short = 2,
  Long = 3,
  Float = 4,
  Double = 5,
  Null = 6,
  Timestamp = 7,
  LongLong = 8,
  Int24 = 9,
  Date = 10,
  Time = 11,
  DateTime = 12,
  Year = 13,
  NewDate = 14,
}

const UNSIGNED_FLAG = 32;
const ZEROFILL_FLAG = 64;
/** Column decimals at or above this mean "not fixed": doubles print with my_gcvt. */
const FLOATING_POINT_DECIMALS = 31;

/** How one result column's binary value becomes text. */
export const enum Decode {
  Bytes,
  Int8,
  UInt8,
  Int16,
  UInt16,
  Int32,
  UInt32,
  Int64,
  UInt64,
  Year,
  Double,
  Date,
  DateTime,
  Time,
}

export interface BinaryColumn {
  decode: Decode;
  /** Fraction digits of DATETIME / TIMESTAMP / TIME. */
  decimals: number;
}

/** The decoding of a column from its definition, or null when its text is not reproduced here. */
export function binaryColumnOf(type: number, flags: number, decimals: number): BinaryColumn | null {
  const unsigned = (flags & UNSIGNED_FLAG) !== 0;
  const plainInt = (flags & ZEROFILL_FLAG) === 0;
  switch (type) {
    case FieldType.Tiny:
      return plainInt ? { decode: unsigned ? Decode.UInt8 : Decode.Int8, decimals: 0 } : null;
    case FieldType.Short:
      return plainInt ? { decode: unsigned ? Decode.UInt16 : Decode.Int16, decimals: 0 } : null;
    case FieldType.Long:
    case FieldType.Int24:
      return plainInt ? { decode: unsigned ? Decode.UInt32 : Decode.Int32, decimals: 0 } : null;
    case FieldType.LongLong:
      return plainInt ? { decode: unsigned ? Decode.UInt64 : Decode.Int64, decimals: 0 } : null;
    case FieldType.Year:
      return { decode: Decode.Year, decimals: 0 };
    case FieldType.Double:
      return decimals >= FLOATING_POINT_DECIMALS ? { decode: Decode.Double, decimals: 0 } : null;
    case FieldType.Date:
    case FieldType.NewDate:
      return { decode: Decode.Date, decimals: 0 };
    case FieldType.DateTime:
    case FieldType.Timestamp:
      return decimals <= 6 ? { decode: Decode.DateTime, decimals } : null;
    case FieldType.Time:
      return decimals <= 6 ? { decode: Decode.Time, decimals } : null;
    case FieldType.Float:
    case 17: // TIMESTAMP2, DATETIME2, TIME2: never sent, but not strings either
    case 18:
    case 19:
      return null;
    default:
      // DECIMAL, NULL, strings, BLOB, JSON, ENUM, SET, BIT, GEOMETRY: length-encoded bytes.
      return { decode: Decode.Bytes, decimals: 0 };
  }
}

/**
 * A double as mariadb's text protocol prints it (String::set_real with my_gcvt, a 310-character
 * field): the shortest digits that read back as the same double (JavaScript's too), written
 * plain ("0.00000015", "100000000000000") when the decimal point is within 15 places of the first
 * digit either way (or the digits go past it), else as d.ddde[-]x ("1e15", "5e-324").
 */
export function doubleText(x: number): string {
  const negative = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  // Where JavaScript prints plain decimals the two agree (decimal point position -5..15).
  if (a >= 1e-6 && a < 1e15) return negative ? '-' + String(a) : String(a);
  if (a === 0) return negative ? '-0' : '0';
  const exp = a.toExponential(); // shortest round-trip digits: "d.ddde+x"
  const e = exp.indexOf('e');
  const digits = exp[1] === '.' ? exp[0] + exp.slice(2, e) : exp.slice(0, e);
  const decpt = Number(exp.slice(e + 1)) + 1;
  const len = digits.length;
  // (my_gcvt's field width, 310, is never the limit within these bounds.)
  const plain = decpt >= -14 && (decpt <= 15 || len > decpt);
  let text: string;
  if (plain) {
    if (decpt <= 0) text = '0.' + '0'.repeat(-decpt) + digits;
    else if (decpt < len) text = digits.slice(0, decpt) + '.' + digits.slice(decpt);
    else text = digits + '0'.repeat(decpt - len);
  } else {
    const power = decpt - 1;
    text = (len > 1 ? digits[0] + '.' + digits.slice(1) : digits) + 'e' + String(power);
  }
  return negative ? '-' + text : text;
}

const TWO_32 = 0x100000000;
const scratch = new DataView(new ArrayBuffer(8));

// Doubles written without a string: the 17 significant digits of x exactly, shortened to the
// fewest that still read back as x (JavaScript's and mariadb's digits). A JS string per double
// (String(x), then its characters copied) cost Node about what the server saved.
// x * 10^k is held exactly as hi + lo (Dekker's product, 10^k exact for k <= 22); the decimals
// that read back as x lie within half an ulp of x, scaled the same way (also exact). Offsets from
// hi are small (|lo| <= 8, half an ulp <= 12 after scaling), so one rounding of lo +- the half ulp
// errs by under 2^-48: a candidate closer than NEAR to a bound or a tie is left to the string path.
const NEAR = 1e-9;
const SPLITTER = 134217729; // 2^27 + 1
// 10^k and its Dekker halves (hi + lo, 26 bits each) for k = 0..22.
const POWERS_OF_TEN: number[] = [];
const POWERS_HIGH: number[] = [];
const POWERS_LOW: number[] = [];
for (let i = 0, p = 1; i <= 22; i++, p *= 10) {
  const c = SPLITTER * p;
  POWERS_OF_TEN.push(p);
  POWERS_HIGH.push(c - (c - p));
  POWERS_LOW.push(p - (c - (c - p)));
}
const digitScratch = new Uint8Array(17);
// One double seen as its two 32-bit words (little-endian hosts; checked below).
const wordsAsDouble = new Float64Array(1);
const doubleWords = new Uint32Array(wordsAsDouble.buffer);
const LOW_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;
const HIGH_WORD = 1 - LOW_WORD;

/**
 * Writes the magnitude of the double in wordsAsDouble, in [1e-6, 1e15), as plain decimals (as
 * doubleText prints them) at out[o] and returns the position after it, or -1 when a bound is too
 * close to call here. Its words give the exponent and whether it is a power of two.
 */
function plainDoubleAt(out: Uint8Array, o: number): number {
  // x and its words are read here from wordsAsDouble, not passed: a double (or a word >= 2^30)
  // passed to a call is boxed as a heap number, 16-32 bytes of garbage per value.
  const x = Math.abs(wordsAsDouble[0]);
  const highWord = doubleWords[HIGH_WORD];
  const lowWord = doubleWords[LOW_WORD];
  // log10(2) * the binary exponent: the decimal point's place, or one short (corrected below).
  const exponent = (highWord >>> 20) & 0x7ff;
  let decpt = Math.floor((exponent - 1023) * 0.30102999566398120) + 1;
  let hi = 0;
  let lo = 0;
  let k = 0;
  for (let tries = 0; ; tries++) {
    k = 17 - decpt;
    if (k < 0 || k > 22 || tries > 2) return -1;
    const ph = POWERS_HIGH[k];
    const pl = POWERS_LOW[k];
    hi = x * POWERS_OF_TEN[k];
    const c = SPLITTER * x;
    const xh = c - (c - x);
    const xl = x - xh;
    lo = xh * ph - hi + xh * pl + xl * ph + xl * pl;
    // x * 10^k must have 17 digits before the point: [1e16, 1e17).
    if (hi < 1e16 || (hi === 1e16 && lo < 0)) decpt--;
    else if (hi > 1e17 || (hi === 1e17 && lo >= 0)) decpt++;
    else break;
  }
  // Half an ulp of x, scaled by 10^k; the gap below is half as wide for a power of two.
  doubleWords[LOW_WORD] = 0;
  doubleWords[HIGH_WORD] = (exponent - 53) << 20; // 2^(exponent - 1076)
  const half = wordsAsDouble[0] * POWERS_OF_TEN[k];
  const halfBelow = (highWord & 0xfffff) === 0 && lowWord === 0 ? half / 2 : half;
  const low = lo - halfBelow;
  const high = lo + half;
  // hi is an integer (>= 2^53): as q * 1e9 + r, both exact.
  let q = Math.floor(hi / 1e9);
  let r = hi - q * 1e9;
  if (r < 0) {
    q--;
    r += 1e9;
  } else if (r >= 1e9) {
    q++;
    r -= 1e9;
  }
  r |= 0;
  // The digits are hi + d for an integer offset d: the multiple of the highest power of ten in
  // (low, high); of several multiples of ten, the one nearest x; else the integer nearest x.
  let d = 0;
  const t100 = r - ((r / 100) | 0) * 100;
  if (nearBound(-t100, low, high) || nearBound(100 - t100, low, high)) return -1;
  if (inside(-t100, low, high)) d = -t100;
  else if (inside(100 - t100, low, high)) d = 100 - t100;
  else {
    const t10 = r - ((r / 10) | 0) * 10;
    let best = NaN;
    let bestDistance = Infinity;
    for (let m = Math.ceil((low - NEAR + t10) / 10) * 10 - t10; m < high + NEAR; m += 10) {
      if (nearBound(m, low, high)) return -1;
      if (!inside(m, low, high)) continue;
      const distance = Math.abs(m - lo);
      if (Math.abs(distance - bestDistance) < NEAR) return -1;
      if (distance < bestDistance) {
        best = m;
        bestDistance = distance;
      }
    }
    if (bestDistance !== Infinity) d = best;
    else {
      const f = lo - Math.floor(lo);
      if (Math.abs(f - 0.5) < NEAR) return -1;
      d = Math.round(lo);
      if (!inside(d, low, high)) return -1;
    }
  }
  if (nearBound(d, low, high)) return -1;
  r += d;
  if (r < 0) {
    q--;
    r += 1e9;
  } else if (r >= 1e9) {
    q++;
    r -= 1e9;
  }
  let len: number;
  if (q >= 1e8) {
    // Rounded up to the next power of ten.
    digitScratch[0] = 0x31;
    len = 1;
    decpt++;
  } else {
    pairsAt(digitScratch, 0, q, 4);
    digitScratch[8] = 0x30 + ((r / 1e8) | 0);
    pairsAt(digitScratch, 9, r % 1e8, 4);
    len = 17;
    while (digitScratch[len - 1] === 0x30) len--;
  }
  if (decpt <= 0) {
    out[o++] = 0x30;
    out[o++] = 0x2e;
    for (let i = decpt; i < 0; i++) out[o++] = 0x30;
    for (let i = 0; i < len; i++) out[o++] = digitScratch[i];
  } else {
    for (let i = 0; i < len || i < decpt; i++) {
      if (i === decpt) out[o++] = 0x2e;
      out[o++] = i < len ? digitScratch[i] : 0x30;
    }
  }
  return o;
}

/** Writes the little-endian double at src[p] as doubleText prints it; returns the position after it. */
export function doubleAt(out: Uint8Array, o: number, src: Uint8Array, p: number): number {
  const lowWord = (src[p] | (src[p + 1] << 8) | (src[p + 2] << 16) | (src[p + 3] << 24)) >>> 0;
  const highWord = (src[p + 4] | (src[p + 5] << 8) | (src[p + 6] << 16) | (src[p + 7] << 24)) >>> 0;
  doubleWords[LOW_WORD] = lowWord;
  doubleWords[HIGH_WORD] = highWord;
  let x = wordsAsDouble[0];
  if (x < 0) {
    out[o++] = 0x2d;
    x = -x;
  }
  if (x >= 1e-6 && x < 1e15) {
    const after = plainDoubleAt(out, o);
    if (after >= 0) return after;
  }
  return ascii(out, o, doubleText(x === 0 && highWord >>> 31 ? -0 : x));
}

// "00" to "99" as 200 ASCII bytes.
const PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  PAIRS[2 * i] = 0x30 + ((i / 10) | 0);
  PAIRS[2 * i + 1] = 0x30 + (i % 10);
}

/** Writes `value` (0 <= value < 10^(2 * pairs)) as 2 * `pairs` digits, zero-padded. */
function pairsAt(out: Uint8Array, o: number, value: number, pairs: number): void {
  let v = value | 0;
  for (let i = o + 2 * pairs - 2; i >= o; i -= 2) {
    const q = (v / 100) | 0;
    const pair = 2 * (v - q * 100);
    out[i] = PAIRS[pair];
    out[i + 1] = PAIRS[pair + 1];
    v = q;
  }
}

/** Whether offset d lies in (low, high), clear of both by more than NEAR. */
function inside(d: number, low: number, high: number): boolean {
  return d > low + NEAR && d < high - NEAR;
}

function nearBound(d: number, low: number, high: number): boolean {
  return Math.abs(d - low) < NEAR || Math.abs(d - high) < NEAR;
}

/** Writes `text` (ASCII) at out[o]; returns the position after it. */
function ascii(out: Uint8Array, o: number, text: string): number {
  for (let i = 0; i < text.length; i++) out[o++] = text.charCodeAt(i);
  return o;
}

/** Writes an integer (|value| < 2^53) in decimal at out[o]; returns the position after it. */
function integerAt(out: Uint8Array, o: number, value: number): number {
  if (value < 0) {
    out[o++] = 0x2d;
    value = -value;
  }
  if (value > 0x7fffffff) {
    // Past int32: the high digits by division of doubles, the low nine with integer math.
    const high = Math.floor(value / 1e9);
    o = integerAt(out, o, high);
    return digitsAt(out, o, value - high * 1e9, 9);
  }
  let digits = 1;
  while (digits < 10 && value >= POWERS[digits]) digits++;
  return digitsAt(out, o, value, digits);
}

const POWERS = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000];

/** Writes `value` (0 <= value < 2^31) as `width` digits, zero-padded. */
function digitsAt(out: Uint8Array, o: number, value: number, width: number): number {
  let v = value | 0;
  for (let i = o + width - 1; i >= o; i--) {
    const q = (v / 10) | 0;
    out[i] = 0x30 + (v - q * 10);
    v = q;
  }
  return o + width;
}

/** Writes the fraction of a temporal value: '.' and the first `decimals` digits of its microseconds. */
function fractionAt(out: Uint8Array, o: number, micros: number, decimals: number): number {
  if (decimals === 0) return o;
  out[o++] = 0x2e;
  return digitsAt(out, o, (micros / POWERS[6 - decimals]) | 0, decimals);
}

/**
 * Writes the text of one non-NULL binary value at src[p] into out[o + 2...] and returns
 * [the text's length, where the value ends in src] through `at` (at[0] = length, at[1] = end).
 * Text values here are at most 64 bytes: the caller reserves room and writes the cell head.
 */
export function decodeValue(column: BinaryColumn, src: Uint8Array, p: number, end: number, out: Uint8Array, o: number, at: number[]): void {
  let q = p;
  const start = o;
  switch (column.decode) {
    case Decode.Int8:
      at[0] = integerAt(out, o, (src[q] << 24) >> 24) - start;
      at[1] = q + 1;
      break;
    case Decode.UInt8:
      at[0] = integerAt(out, o, src[q]) - start;
      at[1] = q + 1;
      break;
    case Decode.Int16:
      at[0] = integerAt(out, o, ((src[q] | (src[q + 1] << 8)) << 16) >> 16) - start;
      at[1] = q + 2;
      break;
    case Decode.UInt16:
      at[0] = integerAt(out, o, src[q] | (src[q + 1] << 8)) - start;
      at[1] = q + 2;
      break;
    case Decode.Year:
      at[0] = digitsAt(out, o, src[q] | (src[q + 1] << 8), 4) - start;
      at[1] = q + 2;
      break;
    case Decode.Int32:
      at[0] = integerAt(out, o, src[q] | (src[q + 1] << 8) | (src[q + 2] << 16) | (src[q + 3] << 24)) - start;
      at[1] = q + 4;
      break;
    case Decode.UInt32:
      at[0] = integerAt(out, o, (src[q] | (src[q + 1] << 8) | (src[q + 2] << 16) | (src[q + 3] << 24)) >>> 0) - start;
      at[1] = q + 4;
      break;
    case Decode.Int64:
    case Decode.UInt64: {
      const lo = (src[q] | (src[q + 1] << 8) | (src[q + 2] << 16) | (src[q + 3] << 24)) >>> 0;
      const hiBits = src[q + 4] | (src[q + 5] << 8) | (src[q + 6] << 16) | (src[q + 7] << 24);
      const hi = column.decode === Decode.Int64 ? hiBits : hiBits >>> 0;
      // Exact as a number while |hi| < 2^21 (|value| < 2^53); beyond, through BigInt.
      if (hi > -0x200000 && hi < 0x200000) at[0] = integerAt(out, o, hi * TWO_32 + lo) - start;
      else at[0] = ascii(out, o, ((BigInt(hi) << 32n) + BigInt(lo)).toString()) - start;
      at[1] = q + 8;
      break;
    }
    case Decode.Double: {
      if (q + 8 > end) throw new Error('a row packet ends inside a value');
      at[0] = doubleAt(out, o, src, q) - start;
      at[1] = q + 8;
      break;
    }
    case Decode.Date:
    case Decode.DateTime: {
      const length = src[q++];
      if (length !== 0 && length !== 4 && length !== 7 && length !== 11) throw new Error('a temporal value of unexpected length');
      if (q + length > end) throw new Error('a row packet ends inside a value');
      const year = length ? src[q] | (src[q + 1] << 8) : 0;
      o = digitsAt(out, o, year, 4);
      out[o++] = 0x2d;
      o = digitsAt(out, o, length ? src[q + 2] : 0, 2);
      out[o++] = 0x2d;
      o = digitsAt(out, o, length ? src[q + 3] : 0, 2);
      if (column.decode === Decode.DateTime) {
        out[o++] = 0x20;
        o = digitsAt(out, o, length >= 7 ? src[q + 4] : 0, 2);
        out[o++] = 0x3a;
        o = digitsAt(out, o, length >= 7 ? src[q + 5] : 0, 2);
        out[o++] = 0x3a;
        o = digitsAt(out, o, length >= 7 ? src[q + 6] : 0, 2);
        const micros = length === 11 ? (src[q + 7] | (src[q + 8] << 8) | (src[q + 9] << 16) | (src[q + 10] << 24)) >>> 0 : 0;
        o = fractionAt(out, o, micros, column.decimals);
      }
      at[0] = o - start;
      at[1] = q + length;
      return;
    }
    case Decode.Time: {
      const length = src[q++];
      if (length !== 0 && length !== 8 && length !== 12) throw new Error('a time value of unexpected length');
      if (q + length > end) throw new Error('a row packet ends inside a value');
      if (length && src[q]) out[o++] = 0x2d;
      const days = length ? (src[q + 1] | (src[q + 2] << 8) | (src[q + 3] << 16) | (src[q + 4] << 24)) >>> 0 : 0;
      const hours = days * 24 + (length ? src[q + 5] : 0);
      o = hours < 100 ? digitsAt(out, o, hours, 2) : ascii(out, o, String(hours));
      out[o++] = 0x3a;
      o = digitsAt(out, o, length ? src[q + 6] : 0, 2);
      out[o++] = 0x3a;
      o = digitsAt(out, o, length ? src[q + 7] : 0, 2);
      const micros = length === 12 ? (src[q + 8] | (src[q + 9] << 8) | (src[q + 10] << 16) | (src[q + 11] << 24)) >>> 0 : 0;
      o = fractionAt(out, o, micros, column.decimals);
      at[0] = o - start;
      at[1] = q + length;
      return;
    }
    default:
      throw new Error('internal: a length-encoded column decoded as binary');
  }
  if (at[1] > end) throw new Error('a row packet ends inside a value');
}
