/**
 * Helm's toYamlPretty: go-yaml v3's Encoder with SetIndent(2) on the value itself (no JSON
 * round trip): sequences indented under their keys, no line folding, YAML 1.1 booleans
 * quoted. Helm's yaml.v3 is not in the Debian oracle, so its cases carry `goDiffers`.
 */
import { GoObject, type GoValue } from '../template/types.js';
import { formatFloat, isGoMap } from './gofmt.js';
import { emitYaml, type YNode } from './yamlemit.js';
import { resolvePlain, yamlSortKeys } from './yaml.js';

const OLD_BOOL = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', 'n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF']);

const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;

function strNode(s: string): YNode {
  const r = resolvePlain(s);
  const plain = r.tag === 'str' && !OLD_BOOL.has(s) && !BASE60_FLOAT.test(s);
  return { kind: 'scalar', value: s, style: s.includes('\n') ? 'literal' : plain ? 'plain' : 'double' };
}

function toNode(v: GoValue): YNode {
  if (v === null) return { kind: 'scalar', value: 'null', style: 'plain' };
  switch (typeof v) {
    case 'boolean':
      return { kind: 'scalar', value: String(v), style: 'plain' };
    case 'string':
      return strNode(v);
    case 'bigint':
      return { kind: 'scalar', value: v.toString(), style: 'plain' };
    case 'number': {
      const s = Number.isNaN(v) ? '.nan' : v === Infinity ? '.inf' : v === -Infinity ? '-.inf' : formatFloat(v, 'g');
      return { kind: 'scalar', value: s, style: 'plain' };
    }
  }
  if (v instanceof Uint8Array) return { kind: 'seq', items: Array.from(v, (b) => ({ kind: 'scalar', value: String(b), style: 'plain' }) as YNode) };
  if (Array.isArray(v)) return { kind: 'seq', items: v.map(toNode) };
  if (v instanceof GoObject) return strNode(v.format());
  if (isGoMap(v)) return { kind: 'map', pairs: yamlSortKeys(Object.keys(v), true).map((k) => [strNode(k), toNode(v[k] ?? null)] as [YNode, YNode]) };
  return { kind: 'scalar', value: 'null', style: 'plain' };
}

export function toYamlPretty(v: GoValue): string {
  try {
    return emitYaml(toNode(v), { indent: 2, width: Number.MAX_SAFE_INTEGER, indentSequencesInMaps: true, v3Literal: true }).replace(/\n$/, '');
  } catch {
    return '';
  }
}
