# Random expressions (printf verbs, comparisons, truth, nesting) over fixed data.
import json, random, sys
random.seed(int(sys.argv[1]))
N = int(sys.argv[2])
DATA = {"s": "str", "e": "", "n": 3, "f": 2.5, "z": 0, "neg": -1.5, "big": 1e6, "t": True, "fa": False,
        "l": ["a", "b", None, 1], "el": [], "m": {"k": "v", "n": 1, "nest": {"x": "y"}}, "em": {}, "nil": None,
        "nums": [1, 2.5, 1e21, 1e-7, 123456789], "u": "é✓"}
FIELDS = [".s", ".e", ".n", ".f", ".z", ".neg", ".big", ".t", ".fa", ".l", ".el", ".m", ".em", ".nil", ".missing",
          ".m.k", ".m.nest.x", ".m.nope", ".nums", ".u", "$", ".", "$.s", ".nil.x", ".s.x", ".missing.x"]
CONSTS = ["1i", "1+2i", "0i", "0x1p-2", "1_000", "077", "0o17", "0b101", "'\\n'", "-0x10", "-0.0", "1e-7", "123456789.0", "0.000123", "255", "-255", "65", "9731", "1e100", "2.5e-10", "1", "0", "-2", "1.5", "3.0", "1e3", "0x10", "'a'", '"str"', '""', "true", "false", "nil", "`raw`", "1e21", "0.1"]
FUNCS1 = ["printf \"%08.3f\"", "printf \"%-8q|\"", "printf \"%+d\"", "printf \"%x\"", "printf \"%X\"", "printf \"%o\"", "printf \"%e\"", "printf \"%g\"", "printf \"%.3g\"", "printf \"%#v\"", "printf \"%t\"", "printf \"%c\"", "printf \"%U\"", "printf \"%5.1s\"", "printf \"% x\"", "printf \"%#x\"", "printf \"%.0f\"", "printf \"%*d\" 3", "printf \"%[2]v %[1]v\" 7", "printf \"%v %v %v\"", "printf \"%!\"", "printf \"%.2e\"", "printf \"%#g\"", "printf \"%b\"", "len", "not", "print", "println", "html", "js", "urlquery", "quote", "upper", "toString", "default \"d\"", "printf \"%v\"", "printf \"%d\"", "printf \"%s\"", "printf \"%q\"", "printf \"%T\"", "printf \"%5.2f\"", "printf \"%x\"", "printf \"%-4v|\"", "printf \"%+v\"", "printf \"%#v\""]
FUNCS2 = ["eq", "ne", "lt", "le", "gt", "ge", "and", "or", "index", "print", "printf \"%v %v\"", "printf \"%v\""]
def operand(d=0):
    r = random.random()
    if r < 0.5 or d > 2: return random.choice(FIELDS + CONSTS)
    if r < 0.8: return "(" + pipeline(d+1) + ")"
    return "(" + random.choice(FUNCS2) + " " + operand(d+1) + " " + operand(d+1) + ")"
def command(d=0):
    r = random.random()
    if r < 0.35: return operand(d)
    if r < 0.65: return random.choice(FUNCS1) + " " + operand(d)
    return random.choice(FUNCS2) + " " + operand(d) + " " + operand(d)
def pipeline(d=0):
    p = command(d)
    if random.random() < 0.25: p += " | " + random.choice(FUNCS1)
    return p
def action(d=0):
    r = random.random()
    if r < 0.5: return "{{ " + pipeline() + " }}"
    if r < 0.62: return "{{ if " + pipeline() + " }}Y" + body(d+1) + "{{ else }}N{{ end }}"
    if r < 0.72: return "{{ with " + pipeline() + " }}W{{ . }}{{ else }}E{{ end }}"
    if r < 0.84: return "{{ range $i, $v := " + pipeline() + " }}[{{ $i }}={{ $v }}]{{ else }}none{{ end }}"
    if r < 0.9: return "{{ $x := " + pipeline() + " }}{{ $x }}"
    return "{{- " + pipeline() + " -}}"
def body(d=0):
    if d > 2: return ""
    return "".join(random.choice([" ", "\n", "-", action(d)]) for _ in range(random.randint(0, 2)))
cases = [{"name": f"f{i}", "template": "a " + body() + action() + " b", "data": DATA} for i in range(N)]
json.dump(cases, sys.stdout)
