/**
 * Every function Helm gives chart templates: sprig v3.3 (without env and expandenv) and
 * Helm's own. `helmFuncMap` builds a fresh map per render, because include counts
 * nesting per render and the random source may be seeded.
 */
import type { FuncMap, GoMap, GoValue } from '../template/types.js';
import { coreFuncs } from './core.js';
import { dictFuncs } from './dicts.js';
import { helmFuncs, type HelmHooks } from './helm.js';
import { listFuncs } from './lists.js';
import { stringFuncs } from './strings.js';
import { extraFuncs, type FuncOptions } from './extra.js';
import { semverFuncs } from './semver.js';
import { regexFuncs } from './regex.js';
import { urlFuncs } from './urls.js';
import { dateFuncs } from './dates.js';
import { applySignatures } from './signatures.js';
import { cryptoFuncs } from './crypto.js';

export type { HelmHooks } from './helm.js';
export { engineHooks, type EngineSet } from './hooks.js';
export type { FuncOptions } from './extra.js';
export { ArgTypeError } from './args.js';
export { toYaml, marshalYaml, fromYaml, parseYamlToGo } from './yaml.js';
export { marshalJSON, parseJSON } from './json.js';
export { formatV, formatFloat, quoteGo, goTypeName } from './gofmt.js';
export { strval, toInt64, toFloat64, empty } from './cast.js';

/**
 * The function map for one render.
 *
 * hooks.include(name, data) executes a named template and returns its text; inside `tpl`
 * it must resolve in tpl's clone (Helm re-binds include there), and hooks.tpl(text, data)
 * parses text into a clone of the current set under the root's name ("gotpl") and
 * executes it, throwing "cannot parse template %q: …" / "error during tpl function
 * execution for %q: …". `engineHooks(set)` implements both over a TemplateSet.
 * hooks.lookup defaults to the empty map `helm template` gives.
 *
 * options.random (uniform in [0,1)) makes rand*, uuidv4, shuffle, randBytes, bcrypt
 * salts, AES IVs, certificate serials and ECDSA/Ed25519 keys repeatable (RSA and DSA
 * keys always come from node's generator); options.now is the clock of now/ago/date
 * and certificate validity.
 */
export function helmFuncMap(
  hooks: { include(name: string, data: GoValue): string; tpl(text: string, data: GoValue): string; lookup?(apiVersion: string, kind: string, namespace: string, name: string): GoMap },
  options: FuncOptions = {},
): FuncMap {
  const h: HelmHooks = hooks;
  return applySignatures({
    ...coreFuncs,
    ...stringFuncs,
    ...listFuncs,
    ...dictFuncs,
    ...semverFuncs,
    ...regexFuncs,
    ...urlFuncs,
    ...dateFuncs(options.now ?? (() => new Date())),
    ...extraFuncs(options),
    ...cryptoFuncs(options.random, options.now ?? (() => new Date())),
    ...helmFuncs(h),
  });
}
