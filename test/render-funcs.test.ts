import { describe, expect, it } from 'vitest';
import { helmFuncMap } from '../src/chart/render/funcs/index.js';
import type { GoValue } from '../src/chart/render/template/types.js';

const hooks = {
  include: (name: string) => `<${name}>`,
  tpl: (text: string) => text,
};
const f = helmFuncMap(hooks, { random: seeded(42), now: () => new Date('2024-05-06T07:08:09Z') });
const call = (name: string, ...args: GoValue[]): GoValue => {
  const g = f[name];
  if (!g) throw new Error(`no function ${name}`);
  return g(...args);
};

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('toYaml', () => {
  it('quotes and orders as Helm', () => {
    expect(call('toYaml', { b: 'yes', a: [1, 'x'], c: {}, d: [], e: 'multi\nline', f: 1e6, g: '', h: null, a10: 1, a9: 2 })).toBe(
      'a:\n- 1\n- x\na9: 2\na10: 1\nb: "yes"\nc: {}\nd: []\ne: |-\n  multi\n  line\nf: 1000000\ng: ""\nh: null',
    );
  });
});

describe('random functions', () => {
  it('are repeatable with a seed and have the right shape', () => {
    const g = helmFuncMap(hooks, { random: seeded(1) });
    const h = helmFuncMap(hooks, { random: seeded(1) });
    expect(g['randAlphaNum']!(10n)).toBe(h['randAlphaNum']!(10n));
    expect(String(g['randNumeric']!(8n))).toMatch(/^[0-9]{8}$/);
    expect(String(g['uuidv4']!())).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
