// node:crypto AES-256-GCM (OpenSSL; about 2 GB/s on one core here). Importing this module makes it
// the default backend for the process; the Node entry (src/index.node.ts) imports it.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { AES_KEY_LENGTH, GCM_TAG_LENGTH, registerAesGcm, type AesGcmBackend } from './aes.js';
import { plainView, totalLength } from './bytes.js';

export const nodeAesGcm: AesGcmBackend = {
  name: 'node',
  concurrency: 1,
  async importKey(raw) {
    if (!(raw instanceof Uint8Array) || raw.length !== AES_KEY_LENGTH) {
      throw new TypeError(`AES-256-GCM key: expected a Uint8Array of length ${AES_KEY_LENGTH}, got length ${raw?.length}`);
    }
    const key = raw.slice();
    return {
      async seal(nonce, aad, parts) {
        const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: GCM_TAG_LENGTH });
        cipher.setAAD(aad);
        const out: Uint8Array[] = [];
        for (const part of parts) if (part.length) out.push(plainView(cipher.update(part)));
        cipher.final();
        out.push(plainView(cipher.getAuthTag()));
        return out;
      },
      async open(nonce, aad, parts) {
        const total = totalLength(parts);
        if (total < GCM_TAG_LENGTH) return undefined;
        const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: GCM_TAG_LENGTH });
        decipher.setAAD(aad);
        // The tag is the last 16 bytes, possibly spread over the last parts.
        const tag = new Uint8Array(GCM_TAG_LENGTH);
        const out: Uint8Array[] = [];
        let left = total - GCM_TAG_LENGTH;
        let tagAt = 0;
        for (const part of parts) {
          const body = Math.min(left, part.length);
          if (body > 0) {
            out.push(plainView(decipher.update(body === part.length ? part : part.subarray(0, body))));
            left -= body;
          }
          if (body < part.length) {
            tag.set(part.subarray(body), tagAt);
            tagAt += part.length - body;
          }
        }
        decipher.setAuthTag(tag);
        try {
          decipher.final();
        } catch {
          return undefined; // the tag did not verify; the plaintext gathered above is dropped
        }
        return out;
      },
    };
  },
};

registerAesGcm(nodeAesGcm);
