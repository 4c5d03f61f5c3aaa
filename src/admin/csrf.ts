// CSRF protection for the admin forms without server-side sessions: a random per-browser value
// in an HttpOnly, SameSite=Strict cookie, and in each form an HMAC of that value under a server
// secret. A POST must carry both and they must match; a site that can plant a cookie still
// cannot compute the token. Origin, when the browser names one, must be this host.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const CSRF_COOKIE = 'dbs_csrf';
export const CSRF_FIELD = 'csrf';

export function readCookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function isSecure(req: IncomingMessage): boolean {
  return Boolean((req.socket as { encrypted?: boolean }).encrypted) || (req as { secure?: boolean }).secure === true;
}

export class Csrf {
  private readonly key: Buffer;
  constructor(secret?: string | Uint8Array) {
    this.key = secret === undefined ? randomBytes(32) : Buffer.from(secret);
    if (this.key.length < 16) throw new RangeError('the CSRF secret must be at least 16 bytes');
  }

  private sign(value: string): string {
    return createHmac('sha256', this.key).update('dbs-csrf\0').update(value).digest('base64url');
  }

  /** The token for this browser's forms; sets the cookie when the browser has none yet. */
  token(req: IncomingMessage, res: ServerResponse, cookiePath: string): string {
    let value = readCookie(req, CSRF_COOKIE);
    if (!value || !/^[A-Za-z0-9_-]{43}$/.test(value)) {
      value = randomBytes(32).toString('base64url');
      const attributes = [`${CSRF_COOKIE}=${value}`, `Path=${cookiePath || '/'}`, 'HttpOnly', 'SameSite=Strict'];
      if (isSecure(req)) attributes.push('Secure');
      res.appendHeader('set-cookie', attributes.join('; '));
    }
    return this.sign(value);
  }

  /** True when `token` is this browser's token and the request did not come from another origin. */
  verify(req: IncomingMessage, token: unknown): boolean {
    // "null" is what a browser sends when a referrer policy hides the origin: no information
    // either way, so the token decides.
    const origin = req.headers.origin;
    if (origin && origin !== 'null') {
      let host: string;
      try {
        host = new URL(origin).host;
      } catch {
        return false;
      }
      if (host !== req.headers.host) return false;
    }
    const value = readCookie(req, CSRF_COOKIE);
    if (!value || typeof token !== 'string' || token.length === 0) return false;
    const expected = Buffer.from(this.sign(value));
    const given = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
