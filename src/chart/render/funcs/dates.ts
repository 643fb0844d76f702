/**
 * Go's time.Time as templates see it (a GoObject with Go's methods and String form),
 * Go's layout-based Format and Parse, time.ParseDuration and Duration.String, and
 * sprig's date functions on top. Zones: UTC, fixed offsets, and IANA names through
 * Intl (abbreviations are Intl's where Go's tzdata would name them: "CET" may differ).
 */
import { GoObject, TemplateFuncError, type FuncMap, type GoFunc, type GoValue } from '../template/types.js';
import { argString, argTime, fn } from './args.js';
import { quoteGo } from './gofmt.js';
import { loadTz, localTz, lookupTz, type TzData } from './tzif.js';

const NS = 1_000_000_000n;

export interface Zone {
  /** Location name as Go's Location.String gives it ("UTC", "Local", "Europe/Berlin"). */
  name: string;
  /** zoneinfo data; undefined means a fixed offset */
  tz?: TzData;
  fixedOffset?: number;
  fixedAbbr?: string;
}

export const UTC: Zone = { name: 'UTC', fixedOffset: 0, fixedAbbr: 'UTC' };

function localZone(): Zone {
  const tz = localTz();
  return tz ? { name: 'Local', tz } : { name: 'Local', fixedOffset: 0, fixedAbbr: 'UTC' };
}

/** Offset (seconds east of UTC) and abbreviation of a zone at an instant. */
function zoneAt(z: Zone, unixSec: bigint): { offset: number; abbr: string } {
  if (z.tz === undefined) return { offset: z.fixedOffset ?? 0, abbr: z.fixedAbbr ?? 'UTC' };
  return lookupTz(z.tz, unixSec);
}

/** time.LoadLocation: undefined when Go reports an unknown time zone. */
export function loadLocation(name: string): Zone | undefined {
  if (name === '' || name === 'UTC') return UTC;
  if (name === 'Local') return localZone();
  const tz = loadTz(name);
  return tz ? { name, tz } : undefined;
}

// civil date arithmetic (proleptic Gregorian), as Go's time package does
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}
function civilFromDays(z: number): [number, number, number] {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const y = yoe + era * 400;
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [y + (m <= 2 ? 1 : 0), m, d];
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

interface Civil {
  year: number;
  month: number;
  day: number;
  hour: number;
  min: number;
  sec: number;
  nsec: number;
  wday: number;
  yday: number;
  offset: number;
  abbr: string;
}

export class GoTime extends GoObject {
  readonly goType = 'time.Time';
  constructor(
    /** Seconds since the Unix epoch. */
    readonly sec: bigint,
    /** Nanoseconds within the second, 0..999999999. */
    readonly nsec: number,
    readonly zone: Zone,
    /** Go's monotonic clock reading (ns since process start), which time.Now carries and String prints as m=±s. */
    readonly mono?: bigint,
  ) {
    super();
  }

  static fromDate(d: Date, zone: Zone = localZone()): GoTime {
    const ms = BigInt(d.getTime());
    const sec = ms >= 0n ? ms / 1000n : -((-ms + 999n) / 1000n);
    return new GoTime(sec, Number(ms - sec * 1000n) * 1_000_000, zone);
  }

  static unix(sec: bigint, zone: Zone = localZone()): GoTime {
    return new GoTime(sec, 0, zone);
  }

  /** Go's zero Time: January 1, year 1, 00:00:00 UTC. */
  static zero(): GoTime {
    return new GoTime(BigInt(daysFromCivil(1, 1, 1)) * 86400n, 0, UTC);
  }

  isZero(): boolean {
    return this.sec === BigInt(daysFromCivil(1, 1, 1)) * 86400n && this.nsec === 0;
  }

  /** In, UTC and Local strip the monotonic reading, as in Go. */
  in(zone: Zone): GoTime {
    return new GoTime(this.sec, this.nsec, zone);
  }

  withMono(ns: bigint): GoTime {
    return new GoTime(this.sec, this.nsec, this.zone, ns);
  }

  addNs(d: bigint): GoTime {
    const total = this.sec * NS + BigInt(this.nsec) + d;
    let s = total / NS;
    let n = total % NS;
    if (n < 0n) {
      n += NS;
      s -= 1n;
    }
    return new GoTime(s, Number(n), this.zone, this.mono === undefined ? undefined : this.mono + d);
  }

  unixNano(): bigint {
    return this.sec * NS + BigInt(this.nsec);
  }

  civil(): Civil {
    const { offset, abbr } = zoneAt(this.zone, this.sec);
    const local = this.sec + BigInt(offset);
    let days = local / 86400n;
    let rem = local % 86400n;
    if (rem < 0n) {
      rem += 86400n;
      days -= 1n;
    }
    const [year, month, day] = civilFromDays(Number(days));
    const r = Number(rem);
    const wday = (((Number(days) + 4) % 7) + 7) % 7;
    const yday = Number(days) - daysFromCivil(year, 1, 1) + 1;
    return { year, month, day, hour: Math.floor(r / 3600), min: Math.floor((r % 3600) / 60), sec: r % 60, nsec: this.nsec, wday, yday, offset, abbr };
  }

  /** time.Time.String(): "2006-01-02 15:04:05.999999999 -0700 MST". */
  format(): string {
    const s = formatTime(this, '2006-01-02 15:04:05.999999999 -0700 MST');
    if (this.mono === undefined) return s;
    const m = this.mono < 0n ? -this.mono : this.mono;
    return `${s} m=${this.mono < 0n ? '-' : '+'}${m / NS}.${(m % NS).toString().padStart(9, '0')}`;
  }

  /** encoding/json: time.Time marshals as RFC 3339 with nanoseconds. */
  toGoJSON(): GoValue {
    return formatTime(this, '2006-01-02T15:04:05.999999999Z07:00');
  }

  field(name: string): GoValue | GoFunc | undefined {
    const c = () => this.civil();
    switch (name) {
      case 'Year':
        return fn(0, () => BigInt(c().year));
      case 'Month':
        return fn(0, () => new GoMonth(c().month));
      case 'Day':
        return fn(0, () => BigInt(c().day));
      case 'Hour':
        return fn(0, () => BigInt(c().hour));
      case 'Minute':
        return fn(0, () => BigInt(c().min));
      case 'Second':
        return fn(0, () => BigInt(c().sec));
      case 'Nanosecond':
        return fn(0, () => BigInt(this.nsec));
      case 'YearDay':
        return fn(0, () => BigInt(c().yday));
      case 'Weekday':
        return fn(0, () => DAYS[c().wday]!);
      case 'Unix':
        return fn(0, () => this.sec);
      case 'UnixNano':
        return fn(0, () => BigInt.asIntN(64, this.unixNano()));
      case 'UnixMilli':
        return fn(0, () => this.unixNano() / 1_000_000n);
      case 'IsZero':
        return fn(0, () => this.isZero());
      case 'UTC':
        return fn(0, () => this.in(UTC));
      case 'Local':
        return fn(0, () => this.in(localZone()));
      case 'Format':
        return fn(1, (l) => formatTime(this, argString(l)));
      case 'String':
        return fn(0, () => this.format());
      case 'Add':
        return fn(1, (d) => this.addNs(typeof d === 'bigint' ? d : 0n));
    }
    return undefined;
  }
}

/** time.Month: prints its English name. */
class GoMonth extends GoObject {
  readonly goType = 'time.Month';
  constructor(readonly m: number) {
    super();
  }
  format(): string {
    return MONTHS[this.m - 1] ?? `%!Month(${this.m})`;
  }
  field(): undefined {
    return undefined;
  }
}

// ---------------------------------------------------------------------------
// layouts

type Tok =
  | { lit: string }
  | {
      std:
        | 'January'
        | 'Jan'
        | 'Monday'
        | 'Mon'
        | 'MST'
        | '01'
        | '1'
        | '02'
        | '2'
        | '_2'
        | '002'
        | '__2'
        | '15'
        | '3'
        | '03'
        | '4'
        | '04'
        | '5'
        | '05'
        | '06'
        | '2006'
        | 'PM'
        | 'pm'
        | 'tz';
      tz?: string;
    }
  | { frac: number; trim: boolean; sep: string };

const TZ_TOKENS = ['Z07:00:00', '-07:00:00', 'Z070000', '-070000', 'Z07:00', '-07:00', 'Z0700', '-0700', 'Z07', '-07'];

/** Go's nextStdChunk, as a tokenizer. */
function tokenize(layout: string): Tok[] {
  const out: Tok[] = [];
  let lit = '';
  const push = (t: Tok) => {
    if (lit) out.push({ lit });
    lit = '';
    out.push(t);
  };
  for (let i = 0; i < layout.length; ) {
    const r = layout.slice(i);
    const st = (s: string, std: Extract<Tok, { std: string }>['std']) => {
      push({ std });
      i += s.length;
      return true;
    };
    const c = r[0]!;
    // "Jan" and "Mon" followed by a lower-case letter are words, not elements (Go's rule)
    const lowerAfter = (n: number) => /^[a-z]/.test(r.slice(n));
    if (c === 'J' && r.startsWith('January') && st('January', 'January')) continue;
    if (c === 'J' && r.startsWith('Jan') && !lowerAfter(3) && st('Jan', 'Jan')) continue;
    if (c === 'M' && r.startsWith('Monday') && st('Monday', 'Monday')) continue;
    if (c === 'M' && r.startsWith('Mon') && !lowerAfter(3) && st('Mon', 'Mon')) continue;
    if (c === 'M' && r.startsWith('MST') && st('MST', 'MST')) continue;
    if (c === '0') {
      if (r.startsWith('002') && st('002', '002')) continue;
      const d = r[1];
      if (d !== undefined && d >= '1' && d <= '6') {
        st(r.slice(0, 2), r.slice(0, 2) as '01');
        continue;
      }
    }
    if (c === '1') {
      if (r.startsWith('15') && st('15', '15')) continue;
      st('1', '1');
      continue;
    }
    if (c === '2') {
      if (r.startsWith('2006') && st('2006', '2006')) continue;
      st('2', '2');
      continue;
    }
    if (c === '_') {
      if (r.startsWith('_2')) {
        if (r.startsWith('_2006')) {
          lit += '_';
          i++;
          continue;
        }
        st('_2', '_2');
        continue;
      }
      if (r.startsWith('__2') && st('__2', '__2')) continue;
    }
    if ((c === '3' || c === '4' || c === '5') && st(c, c)) continue;
    if (c === 'P' && r.startsWith('PM') && st('PM', 'PM')) continue;
    if (c === 'p' && r.startsWith('pm') && st('pm', 'pm')) continue;
    if (c === '-' || c === 'Z') {
      const t = TZ_TOKENS.find((x) => r.startsWith(x));
      if (t) {
        push({ std: 'tz', tz: t });
        i += t.length;
        continue;
      }
    }
    if ((c === '.' || c === ',') && (r[1] === '0' || r[1] === '9')) {
      const ch = r[1];
      let j = 1;
      while (r[j] === ch) j++;
      if (!(r[j] !== undefined && r[j]! >= '0' && r[j]! <= '9')) {
        push({ frac: j - 1, trim: ch === '9', sep: c });
        i += j;
        continue;
      }
    }
    lit += c;
    i++;
  }
  if (lit) out.push({ lit });
  return out;
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

export function formatTime(t: GoTime, layout: string): string {
  const c = t.civil();
  let out = '';
  for (const tok of tokenize(layout)) {
    if ('lit' in tok) {
      out += tok.lit;
      continue;
    }
    if ('frac' in tok) {
      let f = pad(c.nsec, 9).slice(0, tok.frac);
      if (tok.trim) {
        f = f.replace(/0+$/, '');
        if (f) out += tok.sep + f;
      } else out += tok.sep + f;
      continue;
    }
    const h12 = c.hour % 12 === 0 ? 12 : c.hour % 12;
    switch (tok.std) {
      case 'January':
        out += MONTHS[c.month - 1];
        break;
      case 'Jan':
        out += MONTHS[c.month - 1]!.slice(0, 3);
        break;
      case 'Monday':
        out += DAYS[c.wday];
        break;
      case 'Mon':
        out += DAYS[c.wday]!.slice(0, 3);
        break;
      case 'MST': {
        if (c.abbr !== '') {
          out += c.abbr;
          break;
        }
        // no zone name known: Go prints the offset as -0700
        const a = Math.abs(c.offset);
        out += (c.offset < 0 ? '-' : '+') + pad(Math.floor(a / 3600), 2) + pad(Math.floor((a % 3600) / 60), 2);
        break;
      }
      case '01':
        out += pad(c.month, 2);
        break;
      case '1':
        out += c.month;
        break;
      case '02':
        out += pad(c.day, 2);
        break;
      case '2':
        out += c.day;
        break;
      case '_2':
        out += String(c.day).padStart(2, ' ');
        break;
      case '002':
        out += pad(c.yday, 3);
        break;
      case '__2':
        out += String(c.yday).padStart(3, ' ');
        break;
      case '15':
        out += pad(c.hour, 2);
        break;
      case '3':
        out += h12;
        break;
      case '03':
        out += pad(h12, 2);
        break;
      case '4':
        out += c.min;
        break;
      case '04':
        out += pad(c.min, 2);
        break;
      case '5':
        out += c.sec;
        break;
      case '05':
        out += pad(c.sec, 2);
        break;
      case '06':
        out += pad(((c.year % 100) + 100) % 100, 2);
        break;
      case '2006':
        out += c.year < 0 ? '-' + pad(-c.year, 4) : pad(c.year, 4);
        break;
      case 'PM':
        out += c.hour >= 12 ? 'PM' : 'AM';
        break;
      case 'pm':
        out += c.hour >= 12 ? 'pm' : 'am';
        break;
      case 'tz': {
        const z = tok.tz!;
        if (z.startsWith('Z') && c.offset === 0) {
          out += 'Z';
          break;
        }
        const a = Math.abs(c.offset);
        const sign = c.offset < 0 ? '-' : '+';
        const hh = pad(Math.floor(a / 3600), 2);
        const mm = pad(Math.floor((a % 3600) / 60), 2);
        const ss = pad(a % 60, 2);
        const body = z.slice(1);
        if (body === '07') out += sign + hh;
        else if (body === '0700') out += sign + hh + mm;
        else if (body === '07:00') out += sign + hh + ':' + mm;
        else if (body === '070000') out += sign + hh + mm + ss;
        else out += sign + hh + ':' + mm + ':' + ss;
        break;
      }
    }
  }
  return out;
}

class ParseError extends TemplateFuncError {}

/** time.ParseInLocation for the common layout elements; errors carry Go's text. */
export function parseTime(layout: string, value: string, loc: Zone): GoTime {
  const fail = (elem: string, rest: string, extra = ''): never => {
    throw new ParseError(`parsing time ${quoteGo(value)} as ${quoteGo(layout)}: cannot parse ${quoteGo(rest)} as ${quoteGo(elem)}${extra}`);
  };
  let s = value;
  // Go's defaults for missing elements: year 0, January 1
  let year = 0;
  let month = 1;
  let day = 1;
  let hour = 0;
  let min = 0;
  let sec = 0;
  let nsec = 0;
  let pm: boolean | undefined;
  let offset: number | undefined;
  let zoneName: string | undefined;
  const num = (elem: string, min1: number, max1: number, fixed: boolean): number => {
    const m = fixed ? new RegExp(`^[0-9]{${max1}}`).exec(s) : new RegExp(`^[0-9]{${min1},${max1}}`).exec(s);
    if (!m) return fail(elem, s);
    s = s.slice(m[0].length);
    return Number(m[0]);
  };
  const toks = tokenize(layout);
  for (let ti = 0; ti < toks.length; ti++) {
    const tok = toks[ti]!;
    if ('lit' in tok) {
      if (!s.startsWith(tok.lit)) fail(tok.lit, s);
      s = s.slice(tok.lit.length);
      continue;
    }
    if ('frac' in tok) {
      const m = /^[.,]([0-9]+)/.exec(s);
      if (m) {
        nsec = Number(m[1]!.slice(0, 9).padEnd(9, '0'));
        s = s.slice(m[0].length);
      } else if (!tok.trim) fail(tok.sep + '0'.repeat(tok.frac), s);
      continue;
    }
    switch (tok.std) {
      case 'January':
      case 'Jan': {
        const names = tok.std === 'Jan' ? MONTHS.map((m) => m.slice(0, 3)) : MONTHS;
        const i = names.findIndex((n) => s.toLowerCase().startsWith(n.toLowerCase()));
        if (i < 0) fail(tok.std, s);
        month = i + 1;
        s = s.slice(names[i]!.length);
        break;
      }
      case 'Monday':
      case 'Mon': {
        const names = tok.std === 'Mon' ? DAYS.map((m) => m.slice(0, 3)) : DAYS;
        const i = names.findIndex((n) => s.toLowerCase().startsWith(n.toLowerCase()));
        if (i < 0) fail(tok.std, s);
        s = s.slice(names[i]!.length);
        break;
      }
      case '01':
        month = num('01', 2, 2, true);
        break;
      case '1':
        month = num('1', 1, 2, false);
        break;
      case '02':
        day = num('02', 2, 2, true);
        break;
      case '2':
        day = num('2', 1, 2, false);
        break;
      case '_2':
        if (s.startsWith(' ')) s = s.slice(1);
        day = num('_2', 1, 2, false);
        break;
      case '15':
        hour = num('15', 1, 2, false);
        break;
      case '3':
        hour = num('3', 1, 2, false);
        break;
      case '03':
        hour = num('03', 2, 2, true);
        break;
      case '4':
        min = num('4', 1, 2, false);
        break;
      case '04':
        min = num('04', 2, 2, true);
        break;
      case '5':
      case '05': {
        sec = tok.std === '5' ? num('5', 1, 2, false) : num('05', 2, 2, true);
        // Go accepts a fractional second right after the seconds even when the layout has none
        const next = toks[ti + 1];
        const fm = /^[.,]([0-9]+)/.exec(s);
        if (fm && !(next && 'frac' in next)) {
          nsec = Number(fm[1]!.slice(0, 9).padEnd(9, '0'));
          s = s.slice(fm[0].length);
        }
        break;
      }
      case '06': {
        const y = num('06', 2, 2, true);
        year = y >= 69 ? 1900 + y : 2000 + y;
        break;
      }
      case '2006':
        if (!/^[0-9]{4}/.test(s)) fail('2006', s);
        year = num('2006', 4, 4, true);
        break;
      case 'PM':
      case 'pm': {
        const m = /^(AM|PM|am|pm)/.exec(s);
        if (!m) fail(tok.std, s);
        pm = m![0].toLowerCase() === 'pm';
        s = s.slice(2);
        break;
      }
      case 'MST': {
        const m = /^(UTC|[A-Z]{3,5}|[+-][0-9]{2,4})/.exec(s);
        if (!m) fail('MST', s);
        zoneName = m![0];
        s = s.slice(m![0].length);
        break;
      }
      case 'tz': {
        const z = tok.tz!;
        if (z.startsWith('Z') && s.startsWith('Z')) {
          offset = 0;
          s = s.slice(1);
          break;
        }
        const m = /^([+-])([0-9]{2}):?([0-9]{2})?:?([0-9]{2})?/.exec(s);
        if (!m) fail(z, s);
        offset = (m![1] === '-' ? -1 : 1) * (Number(m![2]) * 3600 + Number(m![3] ?? 0) * 60 + Number(m![4] ?? 0));
        s = s.slice(m![0].length);
        break;
      }
      default:
        fail(tok.std, s);
    }
  }
  if (s !== '') throw new ParseError(`parsing time ${quoteGo(value)}: extra text: ${quoteGo(s)}`);
  if (pm !== undefined) {
    if (pm && hour < 12) hour += 12;
    else if (!pm && hour === 12) hour = 0;
  }
  const monthDays = [31, year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  if (month < 1 || month > 12) throw new ParseError(`parsing time ${quoteGo(value)}: month out of range`);
  if (day < 1 || day > monthDays[month - 1]!) throw new ParseError(`parsing time ${quoteGo(value)}: day out of range`);
  if (hour > 23) throw new ParseError(`parsing time ${quoteGo(value)}: hour out of range`);
  if (min > 59) throw new ParseError(`parsing time ${quoteGo(value)}: minute out of range`);
  if (sec > 59) throw new ParseError(`parsing time ${quoteGo(value)}: second out of range`);
  const wall = BigInt(daysFromCivil(year, month, day)) * 86400n + BigInt(hour * 3600 + min * 60 + sec);
  if (offset !== undefined) {
    const t = new GoTime(wall - BigInt(offset), nsec, loc);
    const here = zoneAt(loc, t.sec);
    // Go keeps loc when the offset agrees with it, else a fixed zone with that offset
    return here.offset === offset ? t : new GoTime(t.sec, nsec, { name: '', fixedOffset: offset, fixedAbbr: '' });
  }
  if (zoneName !== undefined) {
    if (zoneName === 'UTC') return new GoTime(wall, nsec, UTC);
    // an abbreviation loc uses gives its offset; any other name a zone with offset 0 (Go's "fake zone")
    const known = loc.tz?.types.find((t) => t.abbr === zoneName);
    if (known) {
      const t = new GoTime(wall - BigInt(known.offset), nsec, loc);
      const here = zoneAt(loc, t.sec);
      if (here.abbr === zoneName) return t;
    }
    return new GoTime(wall, nsec, { name: zoneName, fixedOffset: 0, fixedAbbr: zoneName });
  }
  // local wall clock in loc: find the offset that applies there
  let guess = wall - BigInt(zoneAt(loc, wall).offset);
  guess = wall - BigInt(zoneAt(loc, guess).offset);
  return new GoTime(guess, nsec, loc);
}

// ---------------------------------------------------------------------------
// durations

const UNITS: Record<string, bigint> = { ns: 1n, us: 1000n, 'µs': 1000n, 'μs': 1000n, ms: 1_000_000n, s: NS, m: 60n * NS, h: 3600n * NS };

class DurationError extends TemplateFuncError {}

/** time.ParseDuration */
export function parseDuration(s: string): bigint {
  const orig = s;
  const bad = () => new DurationError(`time: invalid duration ${quoteGo(orig)}`);
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw bad();
  let total = 0n;
  while (s !== '') {
    const m = /^([0-9]*)(\.([0-9]*))?/.exec(s)!;
    if (m[1] === '' && (m[3] === undefined || m[3] === '')) throw bad();
    s = s.slice(m[0].length);
    const u = /^[^0-9.]+/.exec(s);
    if (!u) throw new DurationError(`time: missing unit in duration ${quoteGo(orig)}`);
    const unit = UNITS[u[0]];
    if (unit === undefined) throw new DurationError(`time: unknown unit ${quoteGo(u[0])} in duration ${quoteGo(orig)}`);
    s = s.slice(u[0].length);
    let v = BigInt(m[1] || '0') * unit;
    const frac = m[3] ?? '';
    if (frac) v += (BigInt(frac) * unit) / 10n ** BigInt(frac.length);
    total += v;
    if (total > (1n << 63n) - 1n) throw bad();
  }
  return neg ? -total : total;
}

/** time.Duration.String() */
export function durationString(d: bigint): string {
  if (d === 0n) return '0s';
  const neg = d < 0n;
  let u = neg ? -d : d;
  const fmtFrac = (v: bigint, prec: number): [string, bigint] => {
    let s = '';
    let print = false;
    for (let i = 0; i < prec; i++) {
      const digit = v % 10n;
      print = print || digit !== 0n;
      if (print) s = digit.toString() + s;
      v /= 10n;
    }
    return [print ? '.' + s : '', v];
  };
  let out: string;
  if (u < NS) {
    let prec = 0;
    let unit: string;
    if (u < 1000n) {
      unit = 'ns';
      prec = 0;
    } else if (u < 1_000_000n) {
      unit = 'µs';
      prec = 3;
    } else {
      unit = 'ms';
      prec = 6;
    }
    const [frac, whole] = fmtFrac(u, prec);
    out = whole.toString() + frac + unit;
  } else {
    const [frac, secs] = fmtFrac(u, 9);
    u = secs;
    out = (u % 60n).toString() + frac + 's';
    u /= 60n;
    if (u > 0n) {
      out = (u % 60n).toString() + 'm' + out;
      u /= 60n;
      if (u > 0n) out = u.toString() + 'h' + out;
    }
  }
  return (neg ? '-' : '') + out;
}

/** time.Duration.Round(m) */
function roundDuration(d: bigint, m: bigint): bigint {
  if (m <= 0n) return d;
  let r = d % m;
  if (d < 0n) {
    r = -r;
    if (r + r < m) return d + r;
    return d - m + r;
  }
  if (r + r < m) return d - r;
  return d + m - r;
}

export function dateFuncs(now: () => Date): FuncMap {
  const nowTime = () => GoTime.fromDate(now());
  // time.Now's monotonic reading: nanoseconds since this function map was made
  const start = process.hrtime.bigint();
  const asTime = (v: GoValue): GoTime => {
    if (v instanceof GoTime) return v;
    // int, int32 and int64 are Unix seconds; anything else means "now"
    if (typeof v === 'bigint') return GoTime.unix(v);
    return nowTime();
  };
  const dateInZone = (layout: string, d: GoValue, zone: string) => {
    const loc = loadLocation(zone) ?? UTC;
    return formatTime(asTime(d).in(loc), layout);
  };
  return {
    now: fn(0, () => nowTime().withMono(process.hrtime.bigint() - start + 1n)),
    date: fn(2, (f, d) => dateInZone(argString(f), d, 'Local')),
    dateInZone: fn(3, (f, d, z) => dateInZone(argString(f), d, argString(z))),
    date_in_zone: fn(3, (f, d, z) => dateInZone(argString(f), d, argString(z))),
    htmlDate: fn(1, (d) => dateInZone('2006-01-02', d, 'Local')),
    htmlDateInZone: fn(2, (d, z) => dateInZone('2006-01-02', d, argString(z))),
    dateModify: fn(2, (f, d) => {
      const s = argString(f);
      const t = argTime(d) as GoTime;
      try {
        return t.addNs(parseDuration(s));
      } catch {
        return t;
      }
    }),
    date_modify: fn(2, (f, d) => {
      const s = argString(f);
      const t = argTime(d) as GoTime;
      try {
        return t.addNs(parseDuration(s));
      } catch {
        return t;
      }
    }),
    mustDateModify: fn(2, (f, d) => {
      const s = argString(f);
      return (argTime(d) as GoTime).addNs(parseDuration(s));
    }),
    must_date_modify: fn(2, (f, d) => {
      const s = argString(f);
      return (argTime(d) as GoTime).addNs(parseDuration(s));
    }),
    ago: fn(1, (d) => {
      const t = d instanceof GoTime ? d : typeof d === 'bigint' ? GoTime.unix(d) : nowTime();
      return durationString(roundDuration(nowTime().unixNano() - t.unixNano(), NS));
    }),
    // duration takes int64 seconds or a string. The value model's bigint does not say
    // whether Go had an int (ignored: 0s) or an int64; it is taken as int64, what
    // `int64 .Values.x | duration` gives, so a bare literal (`duration 90`) differs.
    duration: fn(1, (v) => {
      let n = 0n;
      if (typeof v === 'string') n = /^[+-]?[0-9]+$/.test(v) ? BigInt(v) : 0n;
      else if (typeof v === 'bigint') n = v;
      return durationString(BigInt.asIntN(64, n * NS));
    }),
    durationRound: fn(1, (v) => {
      let d = 0n;
      if (typeof v === 'string') {
        try {
          d = parseDuration(v);
        } catch {
          d = 0n;
        }
      } else if (typeof v === 'bigint') d = v; // int64 nanoseconds (see duration)
      else if (v instanceof GoTime) d = nowTime().unixNano() - v.unixNano();
      let u = d < 0n ? -d : d;
      u = BigInt.asUintN(64, u);
      const hour = 3600n * NS;
      const steps: Array<[bigint, string]> = [
        [hour * 24n * 365n, 'y'],
        [hour * 24n * 30n, 'mo'],
        [hour * 24n, 'd'],
        [hour, 'h'],
        [60n * NS, 'm'],
        [NS, 's'],
      ];
      for (const [unit, name] of steps) if (u > unit) return (u / unit).toString() + name;
      return '0s';
    }),
    toDate: fn(2, (f, s) => {
      const [layout, str] = [argString(f), argString(s)];
      try {
        return parseTime(layout, str, localZone());
      } catch {
        return GoTime.zero();
      }
    }),
    mustToDate: fn(2, (f, s) => parseTime(argString(f), argString(s), localZone())),
    unixEpoch: fn(1, (d) => (argTime(d) as GoTime).sec.toString()),
  };
}
