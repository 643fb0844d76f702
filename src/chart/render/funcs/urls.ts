/**
 * Sprig's urlParse and urlJoin over a port of Go's net/url parsing and URL.String
 * (decoded Path and Fragment, RawQuery as given, Hostname without port or brackets).
 */
import { TemplateFuncError, type FuncMap, type GoMap, type GoValue } from '../template/types.js';
import { argMap, argString, fn } from './args.js';
import { goKindName } from './gofmt.js';

interface GoURL {
  scheme: string;
  opaque: string;
  user?: { username: string; password?: string };
  host: string;
  path: string;
  rawQuery: string;
  fragment: string;
}

const unhex = (c: string) => parseInt(c, 16);

/** url.unescape in encodePath/encodeFragment/encodeUserPassword modes ('+' stays). */
function unescape(s: string, what: string): string {
  if (/%(?![0-9A-Fa-f]{2})/.test(s)) {
    const i = s.search(/%(?![0-9A-Fa-f]{2})/);
    let bad = s.slice(i, i + 3);
    throw new TemplateFuncError(`invalid URL escape ${JSON.stringify(bad)}`.replace(/^invalid URL escape/, `${what}invalid URL escape`));
  }
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%') {
      bytes.push(unhex(s.slice(i + 1, i + 3)));
      i += 2;
    } else bytes.push(...Buffer.from(s[i]!, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

function parse(raw: string): GoURL {
  const u: GoURL = { scheme: '', opaque: '', host: '', path: '', rawQuery: '', fragment: '' };
  let rest = raw;
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    u.fragment = unescape(rest.slice(hash + 1), '');
    rest = rest.slice(0, hash);
  }
  if (/[\x00-\x1f\x7f]/.test(raw)) throw new TemplateFuncError(`parse ${JSON.stringify(raw)}: net/url: invalid control character in URL`);
  const sm = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(rest);
  if (sm) {
    u.scheme = sm[1]!.toLowerCase();
    rest = rest.slice(sm[0].length);
  } else if (/^[0-9+.-][^/?:]*:/.test(rest) || rest.startsWith(':')) {
    if (rest.startsWith(':')) throw new TemplateFuncError(`parse ${JSON.stringify(raw)}: missing protocol scheme`);
  }
  const q = rest.indexOf('?');
  if (q >= 0) {
    u.rawQuery = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  if (!rest.startsWith('/')) {
    if (u.scheme !== '') {
      u.opaque = rest;
      return u;
    }
    const colon = rest.indexOf(':');
    const slash = rest.indexOf('/');
    if (colon >= 0 && (slash < 0 || colon < slash)) throw new TemplateFuncError(`parse ${JSON.stringify(raw)}: first path segment in URL cannot contain colon`);
  }
  if ((u.scheme !== '' || !rest.startsWith('///')) && rest.startsWith('//')) {
    const auth = rest.slice(2);
    const slash = auth.indexOf('/');
    const authority = slash >= 0 ? auth.slice(0, slash) : auth;
    rest = slash >= 0 ? auth.slice(slash) : '';
    const at = authority.lastIndexOf('@');
    let host = authority;
    if (at >= 0) {
      const ui = authority.slice(0, at);
      host = authority.slice(at + 1);
      const c = ui.indexOf(':');
      u.user = c >= 0 ? { username: unescape(ui.slice(0, c), ''), password: unescape(ui.slice(c + 1), '') } : { username: unescape(ui, '') };
    }
    // Go parses (and quotes in errors) the URL without its fragment
    u.host = parseHost(hash >= 0 ? raw.slice(0, hash) : raw, host);
  }
  u.path = unescape(rest, '');
  return u;
}

/** url.parseHost: percent-escapes of ASCII are refused in a host (but %25), and a port must be digits. */
function parseHost(raw: string, host: string): string {
  const fail = (msg: string): never => {
    throw new TemplateFuncError(`parse ${JSON.stringify(raw)}: ${msg}`);
  };
  let port = '';
  if (host.startsWith('[')) {
    const close = host.lastIndexOf(']');
    if (close < 0) fail('missing \']\' in host');
    port = host.slice(close + 1);
    if (port !== '' && !/^:[0-9]*$/.test(port)) fail(`invalid port ${JSON.stringify(port)} after host`);
  } else {
    const c = host.lastIndexOf(':');
    if (c >= 0) {
      port = host.slice(c);
      if (!/^:[0-9]*$/.test(port)) fail(`invalid port ${JSON.stringify(port)} after host`);
    }
  }
  for (let i = 0; i < host.length; i++) {
    if (host[i] !== '%') continue;
    const esc = host.slice(i, i + 3);
    if (!/^%[0-9A-Fa-f]{2}$/.test(esc)) fail(`invalid URL escape ${JSON.stringify(esc)}`);
    if (parseInt(esc[1]!, 16) < 8 && esc !== '%25') fail(`invalid URL escape ${JSON.stringify(esc)}`);
    i += 2;
  }
  return unescape(host, '');
}

function hostname(host: string): string {
  if (host.startsWith('[')) {
    const i = host.indexOf(']');
    return i >= 0 ? host.slice(1, i) : host.slice(1);
  }
  const c = host.lastIndexOf(':');
  return c >= 0 && /^:[0-9]*$/.test(host.slice(c)) ? host.slice(0, c) : host;
}

/** url.escape for a mode: unreserved stay, and each mode keeps its own extra set. */
function escape(s: string, keep: RegExp): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c) || keep.test(c)) out += c;
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}
const PATH_KEEP = /[$&+,/:;=@]/;
const FRAG_KEEP = /[$&+,/:;=?@!()*]/;
const USER_KEEP = /[$&+,;=!()*']/;
const HOST_KEEP = /[!$&'()*+,;=:[\]<>"]/;

function userString(u: { username: string; password?: string }): string {
  let s = escape(u.username, USER_KEEP);
  if (u.password !== undefined) s += ':' + escape(u.password, USER_KEEP);
  return s;
}

function urlString(u: GoURL): string {
  let out = '';
  if (u.scheme) out += u.scheme + ':';
  if (u.opaque) out += u.opaque;
  else {
    if (u.scheme || u.host || u.user) {
      if (u.host || u.path || u.user) out += '//';
      if (u.user) out += userString(u.user) + '@';
      if (u.host) out += escape(u.host, HOST_KEEP);
    }
    let path = escape(u.path, PATH_KEEP);
    if (path !== '' && path[0] !== '/' && u.host !== '') path = '/' + path;
    if (out === '') {
      const seg = path.split('/')[0] ?? '';
      if (seg.includes(':')) path = './' + path;
    }
    out += path;
  }
  if (u.rawQuery !== '') out += '?' + u.rawQuery;
  if (u.fragment !== '') out += '#' + escape(u.fragment, FRAG_KEEP);
  return out;
}

function dictGetOrEmpty(d: GoMap | null, key: string): string {
  if (d === null || !Object.prototype.hasOwnProperty.call(d, key)) return '';
  const v: GoValue = d[key] ?? null;
  if (typeof v !== 'string') throw new TemplateFuncError(`unable to parse ${key} key, must be of type string, but ${goKindName(v)} found`);
  return v;
}

export const urlFuncs: FuncMap = {
  urlParse: fn(1, (s) => {
    const raw = argString(s);
    let u: GoURL;
    try {
      u = parse(raw);
    } catch (e) {
      throw new TemplateFuncError(`unable to parse url: ${(e as Error).message}`);
    }
    return {
      scheme: u.scheme,
      host: u.host,
      hostname: hostname(u.host),
      path: u.path,
      query: u.rawQuery,
      opaque: u.opaque,
      fragment: u.fragment,
      userinfo: u.user ? userString(u.user) : '',
    };
  }),
  urlJoin: fn(1, (m) => {
    const d = argMap(m);
    const u: GoURL = {
      scheme: dictGetOrEmpty(d, 'scheme'),
      host: dictGetOrEmpty(d, 'host'),
      path: dictGetOrEmpty(d, 'path'),
      rawQuery: dictGetOrEmpty(d, 'query'),
      opaque: dictGetOrEmpty(d, 'opaque'),
      fragment: dictGetOrEmpty(d, 'fragment'),
    };
    const userinfo = dictGetOrEmpty(d, 'userinfo');
    if (userinfo !== '') u.user = parse(`proto://${userinfo}@host`).user;
    return urlString(u);
  }),
};
