// Shared helpers: DOM building without innerHTML, exact money in micro-USD (BigInt), the admin API client, SVG.

/** Builds an element; attributes are set with setAttribute, text with text nodes, so data is never parsed as HTML. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** The same for SVG elements. */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// ---- money: decimal strings <-> exact BigInt amounts; never JS floats for sums ----
// The API's *_usd strings are exact, with up to 20 decimals (amounts below a micro-dollar are kept, see
// docs/billing.md), so amounts are BigInts of 10^-20 USD: "0.0000038" (3.8 micro-USD) is 380000000000000n.
const DECIMALS = 20;
const ONE_USD = 10n ** BigInt(DECIMALS);

/** "0.000075" -> its exact BigInt (units of 10^-20 USD); null/"" -> 0n. More than 20 decimals is an error, not rounded. */
export function micros(usd) {
  if (usd === null || usd === undefined || usd === '') return 0n;
  const str = String(usd).trim();
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(str);
  if (!m || (m[2] === '' && (m[3] === undefined || m[3] === ''))) throw new Error(`not a decimal amount: ${str}`);
  const frac = (m[3] || '');
  if (frac.length > DECIMALS && /[1-9]/.test(frac.slice(DECIMALS))) throw new Error(`more than ${DECIMALS} decimals: ${str}`);
  const v = BigInt(m[2] || '0') * ONE_USD + BigInt((frac + '0'.repeat(DECIMALS)).slice(0, DECIMALS));
  return m[1] === '-' ? -v : v;
}

/** An exact amount -> "0.000075", like the API: six decimals, more only for a fraction of a micro-USD ("0.0000038"). */
export function usd(amount) {
  const neg = amount < 0n;
  const a = neg ? -amount : amount;
  const whole = a / ONE_USD;
  const frac = (a % ONE_USD).toString().padStart(DECIMALS, '0').replace(/0+$/, '').padEnd(6, '0');
  return `${neg ? '-' : ''}${whole}.${frac}`;
}

/** Sum of decimal strings, exact. */
export function sumUsd(values) {
  return values.reduce((acc, v) => acc + micros(v), 0n);
}

/** "$0.000075" for display. */
export function dollars(value) {
  const m = typeof value === 'bigint' ? value : micros(value);
  return (m < 0n ? '-$' : '$') + usd(m < 0n ? -m : m);
}

/** An integer micro-USD amount from the API (a JSON number or string, a *_micros field) as an exact BigInt amount. */
export function microsOf(v) {
  if (v === null || v === undefined || v === '') return 0n;
  return BigInt(typeof v === 'number' ? Math.trunc(v) : String(v).trim()) * (ONE_USD / 1000000n);
}

/** part / whole as a percentage with two decimals, exact (rounded down, like the API's used_percent): "56.25". */
export function percentOf(part, whole) {
  if (whole <= 0n) return part > 0n ? '100.00' : '0.00';
  const bp = (part * 10000n) / whole;
  return `${bp / 100n}.${(bp % 100n).toString().padStart(2, '0')}`;
}

/** A budget period as the API names it (daily, weekly, monthly, total) in words: "per month", "in total". */
export function perPeriod(period) {
  return { daily: 'per day', weekly: 'per week', monthly: 'per month', total: 'in total',
    day: 'per day', week: 'per week', month: 'per month' }[period] || `per ${period}`;
}

/** Micro-USD as a Number, only for pixel positions (never for sums shown to people). */
export function toNumber(micro) { return Number(micro); }

// ---- API client ----

const KEY = 'gateway.console.adminKey';
export const auth = {
  get: () => sessionStorage.getItem(KEY),
  set: (k) => sessionStorage.setItem(KEY, k),
  clear: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(status, message, body) { super(message); this.status = status; this.body = body; }
}

/** fetch with the admin key; returns parsed JSON, throws ApiError with the server's message on a non-2xx status. */
export async function api(path, { method = 'GET', body, key = auth.get() } = {}) {
  const headers = { 'Accept': 'application/json' };
  if (key) headers['Authorization'] = `Bearer ${key}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, `The gateway did not answer (${e.message}).`, null);
  }
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!res.ok) {
    const msg = json && json.error && json.error.message ? json.error.message : `${res.status} ${res.statusText}`;
    const err = new ApiError(res.status, msg, json);
    if (res.status === 401 && key === auth.get()) window.dispatchEvent(new CustomEvent('console:unauthorized'));
    throw err;
  }
  return json;
}

/**
 * fetch of a non-JSON resource (a CSV export) with the admin key; returns { text, type, filename }, throws ApiError
 * with the server's message on a non-2xx status (a 401 signs the console out, like api()).
 */
export async function apiText(path, accept = 'text/csv') {
  const key = auth.get();
  let res;
  try {
    res = await fetch(path, { headers: { 'Accept': accept, ...(key ? { 'Authorization': `Bearer ${key}` } : {}) }, cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, `The gateway did not answer (${e.message}).`, null);
  }
  const text = await res.text();
  if (!res.ok) {
    let json = null;
    try { json = JSON.parse(text); } catch { json = null; }
    const msg = json && json.error && json.error.message ? json.error.message : `${res.status} ${res.statusText}`;
    if (res.status === 401 && key === auth.get()) window.dispatchEvent(new CustomEvent('console:unauthorized'));
    throw new ApiError(res.status, msg, json);
  }
  const disposition = res.headers.get('content-disposition') || '';
  const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
  return { text, type: res.headers.get('content-type') || accept, filename: m ? decodeURIComponent(m[1]) : null };
}

/** Hands the browser a file to save (a blob URL on a temporary link with a download name). */
export function saveFile(text, type, filename) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: filename.replace(/[^A-Za-z0-9._-]/g, '_'), hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

/** True when a 404 came from an endpoint that does not exist (no OpenAI-style error body), not from a missing object. */
export function isMissingEndpoint(e) {
  return e instanceof ApiError && (e.status === 404 || e.status === 405) && !(e.body && e.body.error);
}

// ---- small UI pieces ----

/** A status line for loading / errors, announced to screen readers. */
export function notice(text, kind = 'info') {
  return h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

export function table(caption, columns, rows, attrs = {}) {
  return h('table', attrs,
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label)))),
    h('tbody', {}, rows));
}

export function td(value, num = false, attrs = {}) {
  return h('td', { ...attrs, class: [num ? 'num' : null, attrs.class].filter(Boolean).join(' ') || null }, value);
}

/** A stable colour per team name. */
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22'];
export function colour(name, names) {
  const i = names.indexOf(name);
  return PALETTE[(i < 0 ? 0 : i) % PALETTE.length];
}

/** YYYY-MM-DD in UTC. */
export function isoDay(d) { return d.toISOString().slice(0, 10); }

export function shortTime(iso) {
  if (!iso) return '';
  return String(iso).replace('T', ' ').replace(/\.\d+/, '').replace('Z', ' UTC');
}
