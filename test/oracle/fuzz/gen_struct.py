# Structural fuzz: defines, templates, variables, trims, comments, break/continue, and mutations for parse errors.
import json, random, sys
random.seed(int(sys.argv[1])); N=int(sys.argv[2]); MUT=float(sys.argv[3])
DATA = {"s": "str", "n": 3, "l": ["a", "b", "c"], "m": {"k": "v", "j": {"x": 1}}, "nil": None, "e": "", "t": True}
def pick(*a): return random.choice(a)
def val(): return pick(".s", ".n", ".l", ".m", ".m.k", ".m.j.x", ".nil", ".e", ".t", "$", ".", "$x", "1", '"q"', "(len .l)", "(index .l 1)", ".missing", "$.s")
def act():
    L = pick("{{", "{{- ", "{{ "); R = pick("}}", " -}}", " }}")
    r = random.random()
    if r < 0.3: return L + val() + R
    if r < 0.4: return L + "$x = " + val() + R
    if r < 0.5: return L + "/* c */" + R if L.endswith(" ") or L == "{{" else "{{/* c */}}"
    if r < 0.6: return L + "template \"d\" " + val() + R
    if r < 0.7: return L + "if " + val() + R + blk() + L + pick("else", "else if " + val()) + R + blk() + L + "end" + R
    if r < 0.8: return L + "range $i, $e := " + val() + R + blk(True) + L + "end" + R
    if r < 0.9: return L + "with " + val() + R + blk() + L + pick("end", "else" + R + blk() + L + "end") + R
    return L + "block \"b" + str(random.randint(0,3)) + "\" " + val() + R + "B{{ . }}" + L + "end" + R
def blk(inr=False):
    parts = [pick(" ", "\n", "x", "\t", " \n ")]
    if random.random() < 0.5: parts.append(act())
    if inr and random.random() < 0.3: parts.append(pick("{{ break }}", "{{ continue }}", "{{ if $e }}{{ continue }}{{ end }}"))
    return "".join(parts)
def mutate(t):
    for _ in range(random.randint(1, 3)):
        i = random.randint(0, len(t))
        op = random.random()
        if op < 0.4 and len(t) > 0: t = t[:i] + t[i+1:]
        else: t = t[:i] + pick("{", "}", "(", ")", "|", "$", ".", '"', ":", "=", "-", "/*", "*/", "\n", " ", "`", "'", ",", "end", "{{", "}}", "#") + t[i:]
    return t
cases = []
for i in range(N):
    t = "{{ $x := 0 }}" + "".join(pick(" ", "\n", act()) for _ in range(random.randint(1, 4)))
    if random.random() < MUT: t = mutate(t)
    cases.append({"name": f"s{i}", "template": t, "data": DATA, "templates": {"lib": "{{ define \"d\" }}<{{ . }}>{{ end }}"}})
json.dump(cases, sys.stdout)
