import { AirlockError } from '../../errors.js';
import { goPathMatcher } from './match.js';

/**
 * `.helmignore` as Helm's pkg/ignore reads it: one pattern a line, `#` comments,
 * `!` negates, a trailing `/` matches folders only, a leading `/` anchors at the
 * chart root, a pattern with `/` matches the whole path, one without matches the
 * base name; `**` is refused. Rules are tried in order and the first match decides
 * (a negative rule that does not match ignores the file: Helm's quirk, kept).
 */
interface Rule {
  raw: string;
  negate: boolean;
  mustDir: boolean;
  match: (path: string) => boolean;
}

export class IgnoreRules {
  private readonly rules: Rule[] = [];

  static parse(text: string, where = '.helmignore'): IgnoreRules {
    const r = new IgnoreRules();
    const clean = text.startsWith('\uFEFF') ? text.slice(1) : text;
    for (const line of clean.split(/\r?\n/)) r.add(line, where);
    return r;
  }

  /** Helm's default: dotfiles in templates/. */
  addDefaults(): void {
    this.add('templates/.?*', 'defaults');
  }

  add(line: string, where: string): void {
    let rule = line.trim();
    if (rule === '' || rule.startsWith('#')) return;
    if (rule.includes('**')) {
      throw new AirlockError('ARCHIVE_INVALID', `${where}: double-star (**) syntax is not supported`, { hint: 'helm refuses this .helmignore too' });
    }
    if (goPathMatcher(rule) === undefined) throw new AirlockError('ARCHIVE_INVALID', `${where}: syntax error in pattern`, { hint: `fix the pattern ${rule}` });
    const raw = rule;
    let negate = false;
    let mustDir = false;
    if (rule.startsWith('!')) {
      negate = true;
      rule = rule.slice(1);
    }
    if (rule.endsWith('/')) {
      mustDir = true;
      rule = rule.slice(0, -1);
    }
    let match: (p: string) => boolean;
    if (rule.startsWith('/')) {
      const re = goPathMatcher(rule.slice(1));
      match = (p) => re?.test(p) ?? false;
    } else if (rule.includes('/')) {
      const re = goPathMatcher(rule);
      match = (p) => re?.test(p) ?? false;
    } else {
      const re = goPathMatcher(rule);
      match = (p) => re?.test(p.slice(p.lastIndexOf('/') + 1)) ?? false;
    }
    this.rules.push({ raw, negate, mustDir, match });
  }

  ignore(path: string, isDir: boolean): boolean {
    if (path === '' || path === '.' || path === './') return false;
    for (const r of this.rules) {
      if (r.negate) {
        if (r.mustDir && !isDir) return true;
        if (!r.match(path)) return true;
        continue;
      }
      if (r.mustDir && !isDir) continue;
      if (r.match(path)) return true;
    }
    return false;
  }
}
