// known_hosts, as OpenSSH reads it: plain and hashed (|1|salt|hash) host fields, comma-separated
// patterns with * ? and !negation, [host]:port for non-default ports, @revoked and
// @cert-authority markers. Used to verify the server's host key on every connection; there is no
// trust-on-first-use: a host that is not listed is refused.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';

export interface KnownHostsEntry {
  marker?: 'revoked' | 'cert-authority';
  /** The host field as written (patterns, or one |1|salt|hash). */
  hosts: string;
  keyType: string;
  /** The public key blob (SSH wire format). */
  key: Buffer;
  file: string;
  line: number;
}

export type HostKeyVerdict =
  | { ok: true; entry: KnownHostsEntry }
  | { ok: false; reason: 'unknown' | 'changed' | 'revoked'; detail?: string };

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function hostLookupName(host: string, port: number): string {
  const name = host.toLowerCase();
  return port === 22 ? name : `[${name}]:${port}`;
}

/** The fingerprint OpenSSH prints for a public key blob: `SHA256:` + unpadded base64. */
export function fingerprintSha256(key: Uint8Array): string {
  return 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

/** The key type named inside a public key blob (its first SSH string), e.g. 'ssh-ed25519'. */
export function keyTypeOf(key: Uint8Array): string {
  if (key.length < 4) return 'unknown';
  const length = ((key[0] << 24) | (key[1] << 16) | (key[2] << 8) | key[3]) >>> 0;
  if (length > 64 || 4 + length > key.length) return 'unknown';
  return Buffer.from(key.subarray(4, 4 + length)).toString('latin1');
}

/** Parses known_hosts text. Malformed lines are skipped (as OpenSSH does); they can never match. */
export function parseKnownHosts(text: string, file = 'known_hosts'): KnownHostsEntry[] {
  const entries: KnownHostsEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/[ \t]+/);
    let marker: KnownHostsEntry['marker'];
    if (fields[0].startsWith('@')) {
      const m = fields.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else continue; // an unknown marker: ignore the line rather than guess its meaning
    }
    if (fields.length < 3) continue;
    const [hosts, keyType, b64] = fields;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) continue;
    const key = Buffer.from(b64, 'base64');
    if (keyTypeOf(key) !== keyType) continue;
    entries.push({ marker, hosts, keyType, key, file, line: i + 1 });
  }
  return entries;
}

/** Reads the given files; a missing file is not an error (it lists nothing). */
export async function loadKnownHosts(paths: readonly string[]): Promise<{ entries: KnownHostsEntry[]; missing: string[] }> {
  const entries: KnownHostsEntry[] = [];
  const missing: string[] = [];
  for (const path of paths) {
    const resolved = expandHome(path);
    let text: string;
    try {
      text = await readFile(resolved, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        missing.push(resolved);
        continue;
      }
      throw error;
    }
    entries.push(...parseKnownHosts(text, resolved));
  }
  return { entries, missing };
}

export function expandHome(path: string): string {
  return path === '~' ? homedir() : path.startsWith('~/') ? homedir() + path.slice(1) : path;
}

/** Whether an entry's host field matches `host` on `port`. */
export function entryMatchesHost(entry: Pick<KnownHostsEntry, 'hosts'>, host: string, port: number): boolean {
  const name = hostLookupName(host, port);
  if (entry.hosts.startsWith('|')) return hashedMatches(entry.hosts, name);
  let positive = false;
  for (const pattern of entry.hosts.split(',')) {
    if (!pattern) continue;
    if (pattern.startsWith('!')) {
      if (globMatches(pattern.slice(1).toLowerCase(), name)) return false; // a negation wins
    } else if (globMatches(pattern.toLowerCase(), name)) {
      positive = true;
    }
  }
  return positive;
}

function hashedMatches(field: string, name: string): boolean {
  const parts = field.split('|'); // ['', '1', salt, hash]
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2], 'base64');
  const want = Buffer.from(parts[3], 'base64');
  if (salt.length === 0 || want.length !== 20) return false;
  const got = createHmac('sha1', salt).update(name).digest();
  return timingSafeEqual(got, want);
}

/** OpenSSH's match_pattern: `*` any run, `?` one character; the whole name must match. */
function globMatches(pattern: string, name: string): boolean {
  let p = 0;
  let n = 0;
  let star = -1;
  let mark = 0;
  while (n < name.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === name[n])) {
      p++;
      n++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = n;
    } else if (star >= 0) {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/**
 * Decides whether `offered` (a host key blob) is acceptable for host:port. A revoked key is
 * refused whatever host it is listed under; @cert-authority lines are not used (host
 * certificates are not supported), so a host listed only that way counts as unknown.
 */
export function verifyHostKey(entries: readonly KnownHostsEntry[], host: string, port: number, offered: Uint8Array): HostKeyVerdict {
  const key = Buffer.from(offered);
  for (const entry of entries) {
    if (entry.marker === 'revoked' && entry.key.equals(key)) return { ok: false, reason: 'revoked', detail: `${entry.file}:${entry.line}` };
  }
  const forHost = entries.filter((e) => e.marker === undefined && entryMatchesHost(e, host, port));
  const match = forHost.find((e) => e.key.equals(key));
  if (match) return { ok: true, entry: match };
  if (forHost.length === 0) {
    const onlyCa = entries.some((e) => e.marker === 'cert-authority' && entryMatchesHost(e, host, port));
    return {
      ok: false,
      reason: 'unknown',
      detail: onlyCa ? 'only @cert-authority lines name this host, and host certificates are not supported: add the plain host key' : undefined,
    };
  }
  const types = [...new Set(forHost.map((e) => e.keyType))].join(', ');
  const where = forHost.map((e) => `${e.file}:${e.line}`).join(', ');
  return { ok: false, reason: 'changed', detail: `known keys for this host: ${types} at ${where}` };
}

const ALGORITHMS_FOR_KEY_TYPE: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

/**
 * Host key algorithms to offer, those of the keys already known for this host first (as OpenSSH
 * does), so a server with several host keys presents the one we can check rather than a key of
 * another type that would look "changed".
 */
export function hostKeyAlgorithmsFor(entries: readonly KnownHostsEntry[], host: string, port: number, supported: readonly string[]): string[] {
  const known = new Set(entries.filter((e) => e.marker === undefined && entryMatchesHost(e, host, port)).map((e) => e.keyType));
  const first: string[] = [];
  for (const type of known) for (const alg of ALGORITHMS_FOR_KEY_TYPE[type] ?? []) if (supported.includes(alg)) first.push(alg);
  return [...first, ...supported.filter((alg) => !first.includes(alg))];
}
