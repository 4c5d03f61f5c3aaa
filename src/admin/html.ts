// HTML for the admin pages. Every interpolated value is escaped by the `html` tag unless it is
// itself a fragment made by `html` (so escaping cannot be forgotten, and cannot happen twice).

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"'`]/g, (c) => ESCAPES[c]);
}

export class Html {
  constructor(readonly text: string) {}
  toString() {
    return this.text;
  }
}

/** A template whose interpolations are escaped; arrays are joined, null/undefined/false vanish. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new Html(out);
}

function render(value: unknown): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(value);
}

const STYLE = `
:root{font-family:ui-sans-serif,system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#111827;background:#f5f6f8;font-size:15px;line-height:1.5}
*{box-sizing:border-box}body{margin:0}main{max-width:640px;margin:32px auto;padding:0 20px}
header{background:#fff;border-bottom:1px solid #e5e7eb}header div{max-width:640px;margin:0 auto;padding:14px 20px;display:flex;gap:18px;align-items:center}
header strong{font-size:1.05rem}header a{color:#374151;text-decoration:none;font-size:.92rem}header a:hover{color:#1d4ed8}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:12px;padding:22px 24px;margin-bottom:16px}
h1{font-size:1.3rem;margin:0 0 6px}p{margin:0 0 12px}.muted{color:#6b7280;font-size:.9rem}
label{display:block;font-weight:600;font-size:.9rem;margin:14px 0 4px}
input[type=password],input[type=file]{width:100%;font:inherit;padding:8px 10px;border:1px solid #d1d5db;border-radius:8px;background:#fff}
.check{display:flex;gap:8px;align-items:flex-start;font-weight:400;margin-top:10px}.check input{margin-top:4px}
button{font:inherit;font-weight:600;background:#1d4ed8;color:#fff;border:0;border-radius:8px;padding:9px 18px;margin-top:18px;cursor:pointer}
.msg{border:1px solid;border-radius:8px;padding:10px 14px;margin-bottom:16px}
.ok{color:#166534;background:#ecfdf3;border-color:#bbf0cf}.warn{color:#92400e;background:#fffbeb;border-color:#fde3a7}.bad{color:#991b1b;background:#fef2f2;border-color:#fbcaca}
table{border-collapse:collapse;width:100%;font-size:.9rem}td,th{text-align:left;padding:5px 8px;border-bottom:1px solid #f0f1f3}th{color:#6b7280;font-weight:500}
td.n{text-align:right;font-variant-numeric:tabular-nums}ul{margin:0;padding-left:20px}code{background:#eef0f3;padding:0 4px;border-radius:4px}
.links a{display:block;padding:10px 0;border-bottom:1px solid #f0f1f3;color:#1d4ed8;text-decoration:none;font-weight:600}.links a span{display:block;color:#6b7280;font-weight:400;font-size:.9rem}
`;

export function page(options: { title: string; base: string; body: Html }): string {
  const { title, base, body } = options;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin"><title>${title} · DBS</title><style>${new Html(STYLE)}</style></head>
<body><header><div><strong>DBS backups</strong><a href="${base}/backup">Download a backup</a><a href="${base}/restore">Restore</a><a href="${base}/validator">Validate a file</a></div></header>
<main>${body}</main></body></html>`.text;
}

export function message(kind: 'ok' | 'warn' | 'bad', text: unknown, hint?: unknown): Html {
  return html`<div class="msg ${kind}" role="${kind === 'ok' ? 'status' : 'alert'}">${text}${hint ? html`<br><span>${hint}</span>` : ''}</div>`;
}
