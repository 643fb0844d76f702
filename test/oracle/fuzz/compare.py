# Compares oracle and airlock results; the known Go 1.19 vs Helm-Go differences are normalised.
import json, re, sys
d=sys.argv[1]
go=[json.loads(l) for l in open(d+'/go.jsonl')]
ts=[json.loads(l) for l in open(d+'/ts.jsonl')]
cases={c['name']:c for c in json.load(open(d+'/c.json'))}
def shape(e):
    e = re.sub(r"can't use (\S+) to iterate over more than one variable", r"range can't iterate over \1", e)
    e = re.sub(r'incompatible types for comparison: \S+( \{\})? and \S+( \{\})?$', 'incompatible types for comparison', e)
    m=re.match(r'^template: [^:]*:\d+(?::\d+)?:', e); i=e.rfind(': ')
    return (m.group(0) if m else e[:40], e[i+2:] if i>=0 else e)
def norm(o):
    # Known: the value model has one integer type, so index of a string gives "int", not "uint8".
    return None if o is None else re.sub(r'(?i)\(uint8=', lambda m: '(' + ('INT' if m.group(0)[1].isupper() else 'int') + '=', o)
for g in go:
    if 'output' in g: g['output'] = norm(g['output'])
    if 'error' in g: g['error'] = norm(g['error'])
bad=0
for g,t in zip(go,ts):
    ok = ('error' in g) == ('error' in t) and (g.get('output')==t.get('output') if 'output' in g else shape(g['error'])==shape(t['error']))
    if not ok:
        bad+=1
        if bad<=int(sys.argv[2]): print(repr(cases[g['name']]['template'])); print('  go:', g.get('output', 'ERR '+g.get('error','')) [:300]); print('  ts:', t.get('output', 'ERR '+t.get('error',''))[:300])
print('bad', bad, 'of', len(go))
