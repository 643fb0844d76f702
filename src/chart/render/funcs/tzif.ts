/**
 * Time zones as Go's time.LoadLocation finds them: TZif files under $ZONEINFO or
 * /usr/share/zoneinfo (Helm does not embed tzdata), their transitions and abbreviations,
 * and the POSIX TZ footer rule for instants after the last transition. `Local` follows
 * Go: $TZ when set (empty means UTC), else /etc/localtime.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ZoneType {
  offset: number;
  abbr: string;
}

export interface TzData {
  transitions: bigint[];
  /** index into types for each transition */
  idx: number[];
  types: ZoneType[];
  /** the type for instants before the first transition */
  first: ZoneType;
  footer?: (unix: bigint) => ZoneType;
}

const cache = new Map<string, TzData | null>();

function parseTzif(buf: Buffer): TzData {
  if (buf.toString('latin1', 0, 4) !== 'TZif') throw new Error('not a TZif file');
  const version = buf[4]!;
  const header = (at: number) => ({
    isutcnt: buf.readUInt32BE(at + 20),
    isstdcnt: buf.readUInt32BE(at + 24),
    leapcnt: buf.readUInt32BE(at + 28),
    timecnt: buf.readUInt32BE(at + 32),
    typecnt: buf.readUInt32BE(at + 36),
    charcnt: buf.readUInt32BE(at + 40),
  });
  let at = 0;
  let h = header(0);
  let timeSize = 4;
  const v1Len = 44 + h.timecnt * 4 + h.timecnt + h.typecnt * 6 + h.charcnt + h.leapcnt * 8 + h.isstdcnt + h.isutcnt;
  if (version >= 0x32) {
    at = v1Len;
    h = header(at);
    timeSize = 8;
  }
  let p = at + 44;
  const transitions: bigint[] = [];
  for (let i = 0; i < h.timecnt; i++, p += timeSize) transitions.push(timeSize === 8 ? buf.readBigInt64BE(p) : BigInt(buf.readInt32BE(p)));
  const idx: number[] = [];
  for (let i = 0; i < h.timecnt; i++) idx.push(buf[p++]!);
  const raw: Array<{ offset: number; ai: number }> = [];
  for (let i = 0; i < h.typecnt; i++, p += 6) raw.push({ offset: buf.readInt32BE(p), ai: buf[p + 5]! });
  const chars = buf.toString('latin1', p, p + h.charcnt);
  p += h.charcnt + h.leapcnt * (timeSize + 4) + h.isstdcnt + h.isutcnt;
  const types = raw.map((t) => ({ offset: t.offset, abbr: chars.slice(t.ai, chars.indexOf('\0', t.ai)) }));
  // Go: before the first transition, the first non-DST type (approximately: type 0)
  const first = types[0] ?? { offset: 0, abbr: 'UTC' };
  let footer: TzData['footer'];
  if (version >= 0x32) {
    const text = buf.toString('latin1', p).split('\n')[1];
    if (text) footer = posixRule(text);
  }
  return { transitions, idx, types, first, footer };
}

/** A POSIX TZ string's rule: "CET-1CEST,M3.5.0,M10.5.0/3", "<+04>-4", "EST5EDT,M3.2.0,M11.1.0". */
function posixRule(tz: string): ((unix: bigint) => ZoneType) | undefined {
  let s = tz;
  const name = (): string | undefined => {
    const m = /^(<[^>]*>|[A-Za-z]{3,})/.exec(s);
    if (!m) return undefined;
    s = s.slice(m[0].length);
    return m[0].replace(/^<|>$/g, '');
  };
  const offset = (): number | undefined => {
    const m = /^([+-]?)(\d{1,3})(?::(\d{1,2}))?(?::(\d{1,2}))?/.exec(s);
    if (!m) return undefined;
    s = s.slice(m[0].length);
    const v = Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
    return m[1] === '-' ? -v : v;
  };
  const stdName = name();
  const stdOff = offset();
  if (stdName === undefined || stdOff === undefined) return undefined;
  const std: ZoneType = { offset: -stdOff, abbr: stdName };
  if (s === '') return () => std;
  const dstName = name();
  if (dstName === undefined) return () => std;
  let dstOff = -stdOff + 3600;
  if (s[0] !== ',' && s !== '') {
    const o = offset();
    if (o !== undefined) dstOff = -o;
  }
  const dst: ZoneType = { offset: dstOff, abbr: dstName };
  const rules = s.replace(/^,/, '').split(',');
  if (rules.length !== 2) return () => std;
  const parseRule = (r: string) => {
    const [date, time] = r.split('/');
    const t = time === undefined ? 7200 : (() => {
      const m = /^([+-]?)(\d+)(?::(\d+))?(?::(\d+))?$/.exec(time);
      if (!m) return 7200;
      const v = Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
      return m[1] === '-' ? -v : v;
    })();
    return { date: date ?? '', time: t };
  };
  const [startR, endR] = [parseRule(rules[0]!), parseRule(rules[1]!)];
  /** seconds from the start of the year (local) when the rule fires */
  const fire = (year: number, r: { date: string; time: number }): number => {
    const days0 = Date.UTC(year, 0, 1) / 86400000;
    let day: number;
    const m = /^M(\d+)\.(\d)\.(\d)$/.exec(r.date);
    if (m) {
      const [mon, week, wday] = [Number(m[1]), Number(m[2]), Number(m[3])];
      const firstOfMonth = Date.UTC(year, mon - 1, 1) / 86400000;
      const dow = new Date(firstOfMonth * 86400000).getUTCDay();
      let d = firstOfMonth + ((wday - dow + 7) % 7) + (week - 1) * 7;
      const daysInMonth = new Date(Date.UTC(year, mon, 0)).getUTCDate();
      while (d - firstOfMonth >= daysInMonth) d -= 7;
      day = d - days0;
    } else if (/^J\d+$/.test(r.date)) {
      const n = Number(r.date.slice(1));
      const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
      day = n - 1 + (leap && n > 59 ? 1 : 0);
    } else day = Number(r.date);
    return day * 86400 + r.time;
  };
  return (unix: bigint) => {
    const u = Number(unix);
    const year = new Date(u * 1000).getUTCFullYear();
    const yStart = Date.UTC(year, 0, 1) / 1000;
    // transitions: to DST at start (local standard time), back at end (local DST time)
    const startUtc = yStart + fire(year, startR) - std.offset;
    const endUtc = yStart + fire(year, endR) - dst.offset;
    const inDst = startUtc < endUtc ? u >= startUtc && u < endUtc : !(u >= endUtc && u < startUtc);
    return inDst ? dst : std;
  };
}

function load(path: string): TzData | null {
  if (cache.has(path)) return cache.get(path)!;
  let data: TzData | null = null;
  try {
    data = parseTzif(readFileSync(path));
  } catch {
    data = null;
  }
  cache.set(path, data);
  return data;
}

/** time.LoadLocation's file lookup; undefined when Go would fail ("unknown time zone"). */
export function loadTz(name: string): TzData | undefined {
  if (name.includes('..') || name.startsWith('/')) return undefined;
  const dirs = [process.env['ZONEINFO'], '/usr/share/zoneinfo', '/usr/share/lib/zoneinfo', '/usr/lib/locale/TZ'].filter((d): d is string => !!d);
  for (const d of dirs) {
    const t = load(join(d, name));
    if (t) return t;
  }
  return undefined;
}

/** Go's Local: $TZ if set ("" is UTC; a name is loaded, else UTC), else /etc/localtime. */
export function localTz(): TzData | undefined {
  const tz = process.env['TZ'];
  if (tz !== undefined) {
    if (tz === '' || tz === 'UTC') return undefined;
    const n = tz.startsWith(':') ? tz.slice(1) : tz;
    return n.startsWith('/') ? (load(n) ?? undefined) : loadTz(n);
  }
  return load('/etc/localtime') ?? undefined;
}

export function lookupTz(t: TzData, unix: bigint): ZoneType {
  const n = t.transitions.length;
  if (n === 0 || unix < t.transitions[0]!) return n === 0 && t.footer ? t.footer(unix) : t.first;
  if (unix >= t.transitions[n - 1]! && t.footer) return t.footer(unix);
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (t.transitions[mid]! <= unix) lo = mid;
    else hi = mid - 1;
  }
  return t.types[t.idx[lo]!] ?? t.first;
}
