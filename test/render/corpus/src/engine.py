#!/usr/bin/env python3
"""Generates ../engine-*.json: the template engine's differential-test cases.

Each case: name, template, optional data (JSON, numbers are float64 as in Helm
values), templates (extra named files), goDiffers+expect/expectError (where the
Debian Go 1.19 oracle is not what Helm's Go does), expectError (substring both
engines' errors must contain).
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
groups = {}


def case(group, name, template, data=None, **kw):
    c = {"name": name, "template": template}
    if data is not None:
        c["data"] = data
    for k in ("templates", "goDiffers", "expect", "expectError"):
        if k in kw:
            c[k] = kw[k]
    groups.setdefault(group, []).append(c)


V = {
    "name": "world",
    "n": 3,
    "f": 2.5,
    "big": 1000000,
    "small": 0.0000001,
    "zero": 0,
    "neg": -7,
    "t": True,
    "fa": False,
    "empty": "",
    "list": ["a", "b", "c"],
    "nums": [3, 1, 2],
    "emptyList": [],
    "map": {"b": 2, "a": 1, "c": "x"},
    "emptyMap": {},
    "nested": {"inner": {"deep": "value", "n": 10}, "list": [{"k": "v1"}, {"k": "v2"}]},
    "nil": None,
    "mixed": [1, "two", None, True, 2.5, {"a": 1}, [1, 2]],
    "unicode": "héllo wörld ✓",
    "html": "<a href=\"x\">'&'</a>",
}

# ---------------------------------------------------------------- syntax
g = "syntax"
case(g, "plain text", "just text\nwith lines\n")
case(g, "empty template", "")
case(g, "field", "{{ .name }}", V)
case(g, "nested field", "{{ .nested.inner.deep }}", V)
case(g, "dot", "{{ . }}", "scalar")
case(g, "dot map", "{{ . }}", {"b": 1, "a": "x"})
case(g, "variable dollar", "{{ $.name }}", V)
case(g, "variable declare", "{{ $x := .name }}{{ $x }}", V)
case(g, "variable assign", "{{ $x := 1 }}{{ $x = 2 }}{{ $x }}", V)
case(g, "variable assign in if persists", "{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}")
case(g, "variable declare in if scoped", "{{ $x := 1 }}{{ if true }}{{ $x := 2 }}{{ $x }}{{ end }}{{ $x }}")
case(g, "variable field chain", "{{ $n := .nested }}{{ $n.inner.deep }}", V)
case(g, "pipeline", "{{ .name | printf \"%s!\" }}", V)
case(g, "pipeline chain", "{{ \"a\" | printf \"%s-%s\" \"b\" | printf \"[%s]\" }}")
case(g, "parenthesized", "{{ printf \"%s-%s\" (printf \"%d\" 1) (print 2) }}")
case(g, "parenthesized field chain", "{{ (.nested).inner.deep }}", V)
case(g, "parenthesized index chain", "{{ (index .nested.list 1).k }}", V)
case(g, "comment", "a{{/* comment */}}b")
case(g, "comment trim", "a  {{- /* comment */ -}}  b")
case(g, "multiline comment", "a{{/* line1\nline2 */}}b")
case(g, "raw string", "{{ `raw \\n string` }}")
case(g, "string escapes", "{{ \"tab\\tnl\\nq\\\"x\\x41\\u00e9\\101\" }}")
case(g, "char constant", "{{ 'a' }} {{ '\\n' }} {{ 'é' }}")
case(g, "char constant printf c", "{{ printf \"%c%c\" 'h' 'i' }}")
case(g, "bool literals", "{{ true }} {{ false }}")
case(g, "if true", "{{ if true }}yes{{ end }}")
case(g, "if else", "{{ if .fa }}yes{{ else }}no{{ end }}", V)
case(g, "else if chain", "{{ if eq .n 1.0 }}one{{ else if eq .n 3.0 }}three{{ else }}other{{ end }}", V)
case(g, "else if chain last", "{{ if .fa }}a{{ else if .zero }}b{{ else if .empty }}c{{ else }}d{{ end }}", V)
case(g, "if with declaration", "{{ if $x := .name }}{{ $x }}{{ end }}", V)
case(g, "with", "{{ with .nested.inner }}{{ .deep }}{{ end }}", V)
case(g, "with else", "{{ with .missing }}yes{{ else }}no{{ end }}", V)
case(g, "with else dot unchanged", "{{ with .missing }}yes{{ else }}{{ .name }}{{ end }}", V)
case(g, "with declaration", "{{ with $v := .nested.inner.n }}{{ $v }}/{{ . }}{{ end }}", V)
case(g, "else with", "{{ with .missing }}a{{ else with .name }}{{ . }}{{ end }}", V,
     goDiffers="{{else with}} is Go 1.23", expect="world")
case(g, "else with fallthrough", "{{ with .missing }}a{{ else with .zero }}b{{ else }}c{{ end }}", V,
     goDiffers="{{else with}} is Go 1.23", expect="c")
case(g, "range list", "{{ range .list }}[{{ . }}]{{ end }}", V)
case(g, "range list index", "{{ range $i, $e := .list }}{{ $i }}:{{ $e }} {{ end }}", V)
case(g, "range list elem only", "{{ range $e := .list }}{{ $e }}{{ end }}", V)
case(g, "range map sorted", "{{ range $k, $v := .map }}{{ $k }}={{ $v }};{{ end }}", V)
case(g, "range map values", "{{ range .map }}{{ . }},{{ end }}", V)
case(g, "range empty else", "{{ range .emptyList }}x{{ else }}empty{{ end }}", V)
case(g, "range empty map else", "{{ range .emptyMap }}x{{ else }}empty{{ end }}", V)
case(g, "range missing else", "{{ range .missing }}x{{ else }}none{{ end }}", V)
case(g, "range nil", "{{ range .nil }}x{{ end }}ok", V)
case(g, "range break", "{{ range .nums }}{{ if eq . 1.0 }}{{ break }}{{ end }}{{ . }}{{ end }}", V)
case(g, "range continue", "{{ range .nums }}{{ if eq . 1.0 }}{{ continue }}{{ end }}{{ . }}{{ end }}", V)
case(g, "range nested break", "{{ range .list }}{{ range $.nums }}{{ if eq . 1.0 }}{{ break }}{{ end }}{{ . }}{{ end }}|{{ end }}", V)
case(g, "range dollar inside", "{{ range .list }}{{ $.name }}{{ end }}", V)
case(g, "range variable scope", "{{ $x := 0 }}{{ range .list }}{{ $x = . }}{{ end }}{{ $x }}", V)
case(g, "range over int", "{{ range 3 }}{{ . }}{{ end }}",
     goDiffers="range over an integer is Go 1.22", expect="012")
case(g, "range over int var", "{{ range $i := 4 }}{{ $i }},{{ end }}",
     goDiffers="range over an integer is Go 1.22", expect="0,1,2,3,")
case(g, "range over zero int else", "{{ range 0 }}x{{ else }}none{{ end }}",
     goDiffers="range over an integer is Go 1.22", expect="none")
case(g, "range over int two vars", "{{ range $i, $e := 3 }}{{ $i }}{{ end }}",
     goDiffers="range over an integer is Go 1.22", expectError="can't use 3 to iterate over more than one variable")
case(g, "range over float", "{{ range .f }}x{{ end }}", V)
case(g, "range over string", "{{ range .name }}x{{ end }}", V)
case(g, "range nested maps", "{{ range .nested.list }}{{ .k }}{{ end }}", V)
case(g, "range mixed elems", "{{ range .mixed }}({{ . }}){{ end }}", V)
case(g, "range elem nil field", "{{ range .mixed }}{{ .x }}{{ end }}", V)
case(g, "define and template", "{{ define \"a\" }}A{{ . }}{{ end }}{{ template \"a\" .name }}", V)
case(g, "template no pipeline", "{{ define \"a\" }}[{{ . }}]{{ end }}{{ template \"a\" }}", V)
case(g, "template from other file", "{{ template \"helper\" .n }}", V, templates={"helpers.tpl": "{{ define \"helper\" }}h{{ . }}{{ end }}"})
case(g, "template dollar reset", "{{ define \"a\" }}{{ $ }}{{ end }}{{ template \"a\" 5 }}", V)
case(g, "block", "{{ block \"b\" .name }}default {{ . }}{{ end }}", V)
case(g, "block overridden", "{{ block \"b\" .name }}default {{ . }}{{ end }}", V, templates={"a": "{{ define \"b\" }}override{{ end }}"})
case(g, "define later overrides", "{{ template \"x\" }}", templates={"a1": "{{ define \"x\" }}one{{ end }}", "a2": "{{ define \"x\" }}two{{ end }}"})
case(g, "empty define does not override", "{{ template \"x\" }}", templates={"a1": "{{ define \"x\" }}one{{ end }}", "a2": "{{ define \"x\" }}  {{ end }}"})
case(g, "recursive template", "{{ define \"r\" }}{{ if gt . 0.0 }}{{ . }}{{ template \"r\" (sub . 1 | float64) }}{{ end }}{{ end }}{{ template \"r\" 3.0 }}")
case(g, "include", "{{ define \"a\" }}A{{ . }}{{ end }}{{ include \"a\" 1 | upper }}")
case(g, "define only file renders empty", "{{ define \"a\" }}x{{ end }}")
case(g, "and short circuit", "{{ and .fa (index .list 99) }}", V)
case(g, "or short circuit", "{{ or .t (index .list 99) }}", V)
case(g, "and returns last", "{{ and 1 \"x\" .name }}", V)
case(g, "and returns first falsy", "{{ and 1 0 \"x\" }}")
case(g, "or returns first truthy", "{{ or 0 \"\" \"x\" \"y\" }}")
case(g, "or returns last", "{{ or 0 \"\" }}|{{ or .fa .zero }}", V)
case(g, "and pipeline final", "{{ \"z\" | and 1 }}")
case(g, "not", "{{ not .t }} {{ not .empty }} {{ not .list }}", V)
case(g, "len", "{{ len .list }} {{ len .map }} {{ len .name }} {{ len .unicode }}", V)
case(g, "index list", "{{ index .list 1 }}", V)
case(g, "index map", "{{ index .map \"c\" }}", V)
case(g, "index map missing", "[{{ index .map \"zz\" }}]", V)
case(g, "index nested", "{{ index .nested \"list\" 0 \"k\" }}", V)
case(g, "index string byte", "{{ index .name 0 }}", V)
case(g, "index no indexes", "{{ index .name }}", V)
case(g, "slice list", "{{ slice .list 1 }} {{ slice .list 0 2 }} {{ slice .list }}", V)
case(g, "slice string", "{{ slice .name 1 3 }}", V)
case(g, "slice three index", "{{ slice .list 0 1 2 }}", V)
case(g, "print", "{{ print 1 2 \"a\" \"b\" 3 .nil }}", V)
case(g, "println", "{{ println 1 \"a\" }}")
case(g, "html", "{{ html .html }}", V)
case(g, "html multiple args", "{{ html 1 \"<\" .missing }}", V)
case(g, "js", "{{ js .html }}", V)
case(g, "js unicode", "{{ js \"é\\u2028x=1\" }}")
case(g, "js backquote", "{{ js \"`\" }}")
case(g, "urlquery", "{{ urlquery \"a b&c=d/é\" }}")
case(g, "call nil", "{{ call .missing }}", V, expectError="call of nil")
case(g, "function pipe final arg", "{{ \"abc\" | upper | repeat 2 }}")
case(g, "method-less field on map with args", "{{ .map.a 1 }}", V, expectError="a is not a method but has arguments")
case(g, "newlines inside action", "{{ printf\n  \"%s\"\n  .name }}", V)
case(g, "unicode text", "héllo {{ .unicode }} ✓", V)
case(g, "dollar variable alone", "{{ $ }}", {"a": 1})
case(g, "variable reuse after range", "{{ range $i, $v := .list }}{{ end }}{{ $i := 5 }}{{ $i }}", V)
case(g, "range assign existing vars", "{{ $i := 0 }}{{ $e := \"\" }}{{ range $i, $e = .list }}{{ end }}{{ $i }}{{ $e }}", V,
     goDiffers="range with = assignment is Go 1.22", expect="2c")
case(g, "range assign one var", "{{ $e := 0 }}{{ range $e = .list }}{{ end }}{{ $e }}", V,
     goDiffers="range with = assignment is Go 1.22", expect="c")
case(g, "deep parentheses", "{{ " + "(" * 50 + "1" + ")" * 50 + " }}")
case(g, "break not keyword outside range", "{{ range .list }}{{ break }}{{ end }}done", V)

# ---------------------------------------------------------------- trim
g = "trim"
case(g, "left trim", "a  \n\t{{- \"b\" }}")
case(g, "right trim", "{{ \"a\" -}} \n\n  b")
case(g, "both trim", "x  {{- \"y\" -}}  z")
case(g, "trim keeps non space", "x.{{- \"y\" -}}.z")
case(g, "dash number not trim", "{{ -3 }}")
case(g, "dash without space is number", "{{-3}}")
case(g, "trim in range", "list:\n{{- range .list }}\n  - {{ . }}\n{{- end }}\n", V)
case(g, "trim yaml block", "a:\n  {{- if .t }}\n  b: 1\n  {{- end }}\nc: 2\n", V)
case(g, "trim comment both", "a \n {{- /* c */ -}} \n b")
case(g, "trim only newline before", "a\n{{- .name }}", V)
case(g, "trim carriage return", "a\r\n{{- .name -}}\r\nb", V)
case(g, "no trim", "a {{ .name }} b", V)
case(g, "trim empty action text", "{{- \"\" -}}")

# ---------------------------------------------------------------- values and printing
g = "values"
case(g, "float integer prints plain", "{{ .n }}", V)
case(g, "float fraction", "{{ .f }}", V)
case(g, "float million", "{{ .big }}", V)
case(g, "float small", "{{ .small }}", V)
case(g, "float zero", "{{ .zero }}", V)
case(g, "float negative", "{{ .neg }}", V)
case(g, "float 100000", "{{ . }}", 100000)
case(g, "float 123456", "{{ . }}", 123456)
case(g, "float 1234567", "{{ . }}", 1234567)
case(g, "float 0.1", "{{ . }}", 0.1)
case(g, "float 0.0001", "{{ . }}", 0.0001)
case(g, "float 0.00001", "{{ . }}", 0.00001)
case(g, "float 1e21", "{{ . }}", 1e21)
case(g, "float 1e20", "{{ . }}", 1e20)
case(g, "float 123456789.5", "{{ . }}", 123456789.5)
case(g, "float max", "{{ . }}", 1.7976931348623157e308)
case(g, "float min subnormal", "{{ . }}", 5e-324)
case(g, "float third", "{{ . }}", 0.3333333333333333)
case(g, "float 2^53", "{{ . }}", 9007199254740992)
case(g, "float 2^53+1 loses", "{{ . }}", 9007199254740993)
case(g, "float big int 20 digits", "{{ . }}", 12345678901234567890)
case(g, "float port", "{{ . }}", 8080)
case(g, "float replicas in string", "replicas: {{ .n }}\nport: {{ .big }}", V)
case(g, "int constant", "{{ 42 }}")
case(g, "int negative constant", "{{ -42 }}")
case(g, "float constant", "{{ 1.5 }}")
case(g, "float constant integral", "{{ 3.0 }}")
case(g, "exp constant is float", "{{ 1e3 }}")
case(g, "exp constant big", "{{ 1e6 }}")
case(g, "hex constant", "{{ 0x1F }}")
case(g, "octal constant", "{{ 017 }}")
case(g, "octal 0o constant", "{{ 0o17 }}")
case(g, "binary constant", "{{ 0b101 }}")
case(g, "underscore constant", "{{ 1_000_000 }}")
case(g, "hex float constant", "{{ 0x1p4 }}")
case(g, "max int64", "{{ 9223372036854775807 }}")
case(g, "min int64", "{{ -9223372036854775808 }}")
case(g, "imaginary constant", "{{ 1i }} {{ 2.5i }} {{ -1e3i }} {{ 0x10i }}")
case(g, "complex constant", "{{ 1+2i }} {{ 1.5-2.5i }} {{ 1e2+3e-1i }} {{ -0-0i }}")
case(g, "complex hex float parts", "{{ 0x1p1+2i }} {{ 1+0x1p2i }}")
case(g, "complex binary part", "{{ 0b1+1i }}", expectError="syntax error scanning complex number")
case(g, "complex field", "{{ (1i).x }}", expectError="can't evaluate field x in type complex128")
case(g, "zero imaginary stays complex", "{{ 0i }} {{ 3+0i }}")
case(g, "complex printf", "{{ printf \"%T %v %.2f %+v %e %g\" 1i 2i 1+2i 3i 1-1i 0.5i }}")
case(g, "complex width", "[{{ printf \"%8.1f\" 1+2i }}] [{{ printf \"%d\" 1i }}]")
case(g, "complex truth", "{{ if 0i }}t{{ else }}f{{ end }} {{ if 1i }}t{{ else }}f{{ end }} {{ not 0+0i }}")
case(g, "complex eq", "{{ eq 1i 1i }} {{ eq 1i 2i }} {{ ne 1+2i 1+2i }}")
case(g, "complex lt", "{{ lt 1i 2i }}", expectError="invalid type for comparison")
case(g, "complex print spacing", "{{ print 1i 2 \"s\" 3i }}")
case(g, "uint64 overflows int", "{{ 18446744073709551615 }}", expectError="overflows int")
case(g, "integer overflow", "{{ 99999999999999999999 }}", expectError="integer overflow")
case(g, "negative zero float", "{{ -0.0 }}")
case(g, "negative zero int", "{{ -0 }}")
case(g, "leading dot float", "{{ .5 }}")
case(g, "plus sign", "{{ +5 }}")
case(g, "bool value", "{{ .t }} {{ .fa }}", V)
case(g, "string value", "{{ .name }}", V)
case(g, "empty string", "[{{ .empty }}]", V)
case(g, "list value", "{{ .list }}", V)
case(g, "nums value", "{{ .nums }}", V)
case(g, "empty list value", "{{ .emptyList }}", V)
case(g, "map value", "{{ .map }}", V)
case(g, "empty map value", "{{ .emptyMap }}", V)
case(g, "nested map value", "{{ .nested }}", V)
case(g, "mixed list value", "{{ .mixed }}", V)
case(g, "nil value", "[{{ .nil }}]", V)
case(g, "missing key", "[{{ .missing }}]", V)
case(g, "missing nested key errors", "{{ .missing.x }}", V, expectError="nil pointer evaluating interface {}.x")
case(g, "missing in nested map", "[{{ .nested.nope }}]", V)
case(g, "nil data", "[{{ .x }}]")
case(g, "nil data chain", "[{{ .x.y }}]")
case(g, "variable nil chain", "{{ $x := .missing }}[{{ $x.y }}]", V)
case(g, "paren nil chain", "[{{ (.missing).y }}]", V)
case(g, "field on string", "{{ .name.x }}", V, expectError="can't evaluate field x in type interface {}")
case(g, "field on string var", "{{ $s := .name }}{{ $s.x }}", V, expectError="can't evaluate field x in type string")
case(g, "field on list", "{{ .list.x }}", V, expectError="can't evaluate field x in type interface {}")
case(g, "field on dot string", "{{ with .name }}{{ .x }}{{ end }}", V, expectError="can't evaluate field x in type string")
case(g, "field on top number", "{{ .x }}", 5, expectError="can't evaluate field x in type float64")
case(g, "print missing", "{{ print .missing }}", V)
case(g, "printf missing", "{{ printf \"%v|%s|%d\" .missing .missing .missing }}", V)
case(g, "no value erased", "a{{ .missing }}b{{ \"<no value>\" }}c", V)
case(g, "unicode len bytes", "{{ len \"é✓\" }}")
case(g, "unicode slice bytes", "{{ slice \"héllo\" 0 3 }}")
case(g, "unicode index byte", "{{ index \"é\" 0 }}")
case(g, "unicode printf x", "{{ printf \"%x\" \"é\" }}")
case(g, "unicode printf q", "{{ printf \"%q\" \"é\\x01\" }}")
case(g, "unicode printf plus q", "{{ printf \"%+q\" \"é✓\" }}")
case(g, "unicode width", "[{{ printf \"%5s\" \"é\" }}]")
case(g, "map keys sort as utf-8 bytes", "{{ range $k, $v := . }}{{ $k }}={{ $v }} {{ end }}{{ . }}", {"\ufffd": 1, "\U0001F600": 2, "a": 3, "Z": 4, "é": 5, "": 6})
case(g, "list of maps", "{{ .nested.list }}", V)
case(g, "int from sprig", "{{ add 1 2 }} {{ len .list | add 1 }}", V)
case(g, "int64 vs float in printf", "{{ printf \"%d %v\" (add 1 2) (add1 .n) }}", V)

# ---------------------------------------------------------------- compare
g = "compare"
case(g, "eq strings", "{{ eq .name \"world\" }} {{ eq \"a\" \"b\" }}", V)
case(g, "eq floats", "{{ eq .n 3.0 }} {{ eq .f 2.5 }}", V)
case(g, "eq int const vs float value", "{{ eq .n 3 }}", V, goDiffers="Go 1.25 names the types in this error (Go 1.19: no types)", expectError="error calling eq: incompatible types for comparison: float64 and int")
case(g, "eq ints", "{{ eq 1 1 }} {{ eq 1 2 }}")
case(g, "eq many args", "{{ eq .name \"a\" \"b\" \"world\" }} {{ eq 1 2 3 }}", V)
case(g, "eq bools", "{{ eq true .t }} {{ eq .fa true }}", V)
case(g, "eq nil missing", "{{ eq .missing nil }}", V)
case(g, "eq missing string", "{{ eq .missing \"x\" }}", V)
case(g, "eq string missing", "{{ eq \"x\" .missing }}", V)
case(g, "eq missing missing", "{{ eq .missing .other }}", V)
case(g, "eq string int", "{{ eq \"1\" 1 }}", goDiffers="Go 1.25 names the types in this error (Go 1.19: no types)", expectError="error calling eq: incompatible types for comparison: string and int")
case(g, "eq maps", "{{ eq .map .map }}", V, expectError="non-comparable type")
case(g, "eq lists", "{{ eq .list .list }}", V, expectError="non-comparable type")
case(g, "eq map list", "{{ eq .map .list }}", V, expectError="non-comparable types")
case(g, "eq missing arg", "{{ eq 1 }}", expectError="missing argument for comparison")
case(g, "eq no arg", "{{ eq }}", expectError="wrong number of args for eq: want at least 1 got 0")
case(g, "eq int from len", "{{ eq (len .list) 3 }}", V)
case(g, "eq int64 from sprig", "{{ eq (add 1 2) 3 }}", V)
case(g, "ne", "{{ ne 1 2 }} {{ ne \"a\" \"a\" }}")
case(g, "ne mixed", "{{ ne 1 1.0 }}", goDiffers="Go 1.25 names the types in this error (Go 1.19: no types)", expectError="error calling ne: incompatible types for comparison: int and float64")
case(g, "lt ints", "{{ lt 1 2 }} {{ lt 2 1 }} {{ lt 1 1 }}")
case(g, "lt floats", "{{ lt .f 3.0 }} {{ lt .n .f }}", V)
case(g, "lt strings", "{{ lt \"a\" \"b\" }} {{ lt \"b\" \"a\" }} {{ lt \"B\" \"a\" }}")
case(g, "lt int float", "{{ lt 1 2.5 }}", goDiffers="Go 1.25 names the types in this error (Go 1.19: no types)", expectError="error calling lt: incompatible types for comparison: int and float64")
case(g, "lt value int const", "{{ lt .n 5 }}", V, goDiffers="Go 1.25 names the types in this error (Go 1.19: no types)", expectError="error calling lt: incompatible types for comparison: float64 and int")
case(g, "lt bools", "{{ lt true false }}", expectError="invalid type for comparison")
case(g, "lt nil", "{{ lt .missing 1 }}", V, expectError="invalid type for comparison")
case(g, "lt maps", "{{ lt .map .map }}", V, expectError="invalid type for comparison")
case(g, "le", "{{ le 1 1 }} {{ le 2 1 }} {{ le 1.5 2.5 }}")
case(g, "gt", "{{ gt 2 1 }} {{ gt 1 1 }} {{ gt \"b\" \"a\" }}")
case(g, "ge", "{{ ge 1 1 }} {{ ge 0 1 }} {{ ge .n 3.0 }}", V)
case(g, "gt mixed", "{{ gt .n 2 }}", V, goDiffers="Go 1.25 names the types in this error (Go 1.19: no types)", expectError="error calling gt: incompatible types for comparison: float64 and int")
case(g, "lt too many args", "{{ lt 1 2 3 }}", expectError="wrong number of args for lt: want 2 got 3")
case(g, "lt pipeline final", "{{ 1 | lt 0 }}")
case(g, "truth zero float", "{{ if .zero }}t{{ else }}f{{ end }}", V)
case(g, "truth negative", "{{ if .neg }}t{{ else }}f{{ end }}", V)
case(g, "truth empty string", "{{ if .empty }}t{{ else }}f{{ end }}", V)
case(g, "truth space string", "{{ if \" \" }}t{{ else }}f{{ end }}")
case(g, "truth empty list", "{{ if .emptyList }}t{{ else }}f{{ end }}", V)
case(g, "truth empty map", "{{ if .emptyMap }}t{{ else }}f{{ end }}", V)
case(g, "truth nil", "{{ if .nil }}t{{ else }}f{{ end }}", V)
case(g, "truth missing", "{{ if .missing }}t{{ else }}f{{ end }}", V)
case(g, "truth int zero", "{{ if 0 }}t{{ else }}f{{ end }}")
case(g, "truth false string", "{{ if \"false\" }}t{{ else }}f{{ end }}")
case(g, "truth map", "{{ if .map }}t{{ else }}f{{ end }}", V)
case(g, "not missing", "{{ not .missing }}", V)
case(g, "and with eq", "{{ if and (eq .name \"world\") (gt .n 1.0) }}ok{{ end }}", V)
case(g, "or default", "{{ or .missing \"default\" }}", V)

# ---------------------------------------------------------------- fmt
g = "fmt"
case(g, "printf s", "{{ printf \"%s\" \"x\" }}")
case(g, "printf d int", "{{ printf \"%d\" 42 }}")
case(g, "printf d float", "{{ printf \"%d\" .n }}", V)
case(g, "printf d string", "{{ printf \"%d\" \"x\" }}")
case(g, "printf s int", "{{ printf \"%s\" 5 }}")
case(g, "printf s float", "{{ printf \"%s\" .f }}", V)
case(g, "printf s bool", "{{ printf \"%s\" true }}")
case(g, "printf s list", "{{ printf \"%s\" .list }}", V)
case(g, "printf s mixed list", "{{ printf \"%s\" .mixed }}", V)
case(g, "printf d list", "{{ printf \"%d\" .nums }}", V)
case(g, "printf v map", "{{ printf \"%v\" .map }}", V)
case(g, "printf plus v map", "{{ printf \"%+v\" .map }}", V)
case(g, "printf sharp v", "{{ printf \"%#v\" \"x\" }} {{ printf \"%#v\" 3 }}")
case(g, "printf v nil", "{{ printf \"%v\" nil }}")
case(g, "printf s nil", "{{ printf \"%s\" nil }}")
case(g, "printf d nil", "{{ printf \"%d\" nil }}")
case(g, "printf t", "{{ printf \"%t %t\" true .fa }}", V)
case(g, "printf t int", "{{ printf \"%t\" 1 }}")
case(g, "printf q", "{{ printf \"%q\" \"a\\\"b\\n\" }}")
case(g, "printf q int", "{{ printf \"%q\" 65 }}")
case(g, "printf sharp q", "{{ printf \"%#q\" \"a\\\"b\" }}")
case(g, "printf x int", "{{ printf \"%x %X %#x\" 255 255 255 }}")
case(g, "printf x string", "{{ printf \"%x %X\" \"hi\" \"hi\" }}")
case(g, "printf space x string", "{{ printf \"% x\" \"abc\" }}")
case(g, "printf x negative", "{{ printf \"%x\" -255 }}")
case(g, "printf o", "{{ printf \"%o %#o %O\" 8 8 8 }}")
case(g, "printf b", "{{ printf \"%b\" 5 }}")
case(g, "printf c", "{{ printf \"%c\" 9731 }}")
case(g, "printf U", "{{ printf \"%U %#U\" 9731 65 }}")
case(g, "printf f", "{{ printf \"%f\" .f }}", V)
case(g, "printf f precision", "{{ printf \"%.2f\" 3.14159 }}")
case(g, "printf f zero precision", "{{ printf \"%.0f\" 2.5 }} {{ printf \"%.0f\" 3.5 }} {{ printf \"%.0f\" 0.5 }}")
case(g, "printf f rounding half even", "{{ printf \"%.1f\" 0.25 }} {{ printf \"%.1f\" 0.35 }} {{ printf \"%.2f\" 1.005 }}")
case(g, "printf f big", "{{ printf \"%f\" 1e21 }}")
case(g, "printf f tiny", "{{ printf \"%.3f\" 0.0004 }} {{ printf \"%.3f\" 0.0005 }} {{ printf \"%.3f\" 0.0006 }}")
case(g, "printf e", "{{ printf \"%e\" 123456.789 }}")
case(g, "printf E precision", "{{ printf \"%.2E\" 0.000123 }}")
case(g, "printf e zero", "{{ printf \"%e\" 0.0 }}")
case(g, "printf g", "{{ printf \"%g\" 1000000.0 }} {{ printf \"%g\" 0.00001 }} {{ printf \"%g\" 123.456 }}")
case(g, "printf g precision", "{{ printf \"%.3g\" 123456.0 }} {{ printf \"%.3g\" 0.0001234 }} {{ printf \"%.10g\" 1.5 }}")
case(g, "printf G", "{{ printf \"%G\" 1e-10 }}")
case(g, "printf sharp g", "{{ printf \"%#g\" 1.0 }} {{ printf \"%#.3g\" 2.0 }}")
case(g, "printf f int", "{{ printf \"%f\" 3 }}")
case(g, "printf width int", "[{{ printf \"%5d\" 42 }}] [{{ printf \"%-5d\" 42 }}] [{{ printf \"%05d\" 42 }}]")
case(g, "printf zero pad negative", "[{{ printf \"%05d\" -42 }}] [{{ printf \"%+05d\" 42 }}]")
case(g, "printf plus int", "{{ printf \"%+d %+d\" 5 -5 }}")
case(g, "printf space int", "[{{ printf \"% d\" 5 }}]")
case(g, "printf precision int", "[{{ printf \"%.3d\" 7 }}] [{{ printf \"%8.3d\" 7 }}] [{{ printf \"%.0d\" 0 }}]")
case(g, "printf width string", "[{{ printf \"%8s\" \"abc\" }}] [{{ printf \"%-8s\" \"abc\" }}] [{{ printf \"%08s\" \"abc\" }}]")
case(g, "printf precision string", "[{{ printf \"%.2s\" \"abcdef\" }}] [{{ printf \"%5.1s\" \"xyz\" }}]")
case(g, "printf width float", "[{{ printf \"%8.3f\" 3.14159 }}] [{{ printf \"%-8.2f\" 2.5 }}] [{{ printf \"%08.2f\" -2.5 }}]")
case(g, "printf plus float", "{{ printf \"%+.1f\" 2.0 }} {{ printf \"%+v\" 2.5 }}")
case(g, "printf star width", "[{{ printf \"%*d\" 5 42 }}] [{{ printf \"%-*d\" 4 1 }}]")
case(g, "printf star precision", "[{{ printf \"%.*f\" 2 3.14159 }}]")
case(g, "printf star bad width", "{{ printf \"%*d\" \"x\" 1 }}")
case(g, "printf star float width", "{{ printf \"%*d\" .n 1 }}", V)
case(g, "printf arg index", "{{ printf \"%[2]s %[1]s\" \"a\" \"b\" }}")
case(g, "printf arg index reuse", "{{ printf \"%[1]s %[1]s %s\" \"a\" \"b\" }}")
case(g, "printf bad index", "{{ printf \"%[3]s\" \"a\" }}")
case(g, "printf missing", "{{ printf \"%s %s\" \"a\" }}")
case(g, "printf extra", "{{ printf \"%s\" \"a\" \"b\" 3 }}")
case(g, "printf extra nil", "{{ printf \"x\" nil 1.5 }}")
case(g, "printf no verb", "{{ printf \"%\" }}")
case(g, "printf percent", "{{ printf \"100%%\" }}")
case(g, "printf unknown verb", "{{ printf \"%z\" 1 }}")
case(g, "printf T", "{{ printf \"%T %T %T %T %T %T\" 1 1.5 \"s\" true .list .map }}", V)
case(g, "printf T nil", "{{ printf \"%T\" nil }}")
case(g, "printf v float", "{{ printf \"%v %v %v\" 1e6 1e-5 100.0 }}")
case(g, "printf v negative zero", "{{ printf \"%v\" -0.0 }}")
case(g, "printf width list", "{{ printf \"%3v\" .nums }}", V)
case(g, "printf width map", "{{ printf \"%4v\" .map }}", V)
case(g, "printf b float", "{{ printf \"%b\" 2.5 }} {{ printf \"%b\" 0.1 }} {{ printf \"%b\" -0.0 }}")
case(g, "printf x float", "{{ printf \"%x\" 1.0 }} {{ printf \"%X\" 3.0 }} {{ printf \"%x\" 0.1 }} {{ printf \"%.2x\" 1.999 }} {{ printf \"%#x\" 2.5 }}")
case(g, "printf x float tiny", "{{ printf \"%x\" 5e-324 }} {{ printf \"%x\" 0.0 }}")
case(g, "printf needs string format", "{{ printf 3 }}", expectError="expected string; found 3")
case(g, "printf format from value", "{{ printf .fmt 1 }}", {"fmt": "%03d"})
case(g, "printf format wrong type", "{{ printf .n }}", V, expectError="wrong type for value; expected string; got float64")
case(g, "printf format missing", "{{ printf .missing }}", V, expectError="wrong type for value; expected string; got interface {}")
case(g, "print spacing", "{{ print \"a\" 1 2 \"b\" \"c\" 3.5 true }}")
case(g, "print nil", "{{ print nil }}")
case(g, "print list map", "{{ print .list .map }}", V)
case(g, "println spacing", "{{ println \"a\" \"b\" 1 }}")
case(g, "print empty", "[{{ print }}]")
case(g, "quote func", "{{ quote .name }} {{ squote .n }}", V)

# ---------------------------------------------------------------- errors
g = "errors"
case(g, "parse unclosed action", "{{ .name ", expectError="unclosed action")
case(g, "parse unclosed action multiline", "a\n{{ .name\n\n", expectError="unclosed action")
case(g, "parse unexpected end", "{{ end }}", expectError="unexpected {{end}}")
case(g, "parse unexpected else", "{{ else }}", expectError="unexpected {{else}}")
case(g, "parse missing end", "{{ if true }}x", expectError="unexpected EOF")
case(g, "parse missing end line", "a\nb\n{{ range .x }}\nc", expectError="unexpected EOF")
case(g, "parse undefined function", "{{ nosuch 1 }}", expectError="function \"nosuch\" not defined")
case(g, "parse undefined function line", "line1\nline2 {{ nosuch }}", expectError="function \"nosuch\" not defined")
case(g, "parse undefined variable", "{{ $x }}", expectError="undefined variable \"$x\"")
case(g, "parse variable out of scope", "{{ if true }}{{ $x := 1 }}{{ end }}{{ $x }}", expectError="undefined variable \"$x\"")
case(g, "parse unclosed paren", "{{ (print 1 }}", expectError="unclosed left paren")
case(g, "parse unexpected right paren", "{{ print 1) }}", expectError="unexpected \")\" in command")
case(g, "parse bad number", "{{ 1x }}", expectError="bad number syntax")
case(g, "parse bad number 08", "{{ 08 }}", expectError="integer overflow")
case(g, "parse unterminated string", "{{ \"abc }}", expectError="unterminated quoted string")
case(g, "parse unterminated raw", "{{ `abc }}", expectError="unterminated raw quoted string")
case(g, "parse unterminated char", "{{ 'a }}", expectError="unterminated character constant")
case(g, "parse bad char constant", "{{ 'ab' }}", expectError="malformed character constant")
case(g, "parse bad escape", "{{ \"\\q\" }}", expectError="invalid syntax")
case(g, "parse unclosed comment", "{{/* abc }}", expectError="unclosed comment")
case(g, "parse comment no delim", "{{/* abc */ x }}", expectError="comment ends before closing delimiter")
case(g, "parse empty action", "{{ }}", expectError="missing value for command")
case(g, "parse empty pipeline stage", "{{ 1 | }}")
case(g, "parse non executable stage", "{{ .name | 3 }}", expectError="non executable command in pipeline stage 2")
case(g, "parse break outside range", "{{ break }}", expectError="{{break}} outside {{range}}")
case(g, "parse continue outside range", "{{ continue }}", expectError="{{continue}} outside {{range}}")
case(g, "parse break in define in range", "{{ range .x }}{{ end }}{{ define \"a\" }}{{ break }}{{ end }}", expectError="{{break}} outside {{range}}")
case(g, "parse define nested", "{{ if true }}{{ define \"a\" }}{{ end }}{{ end }}", expectError="unexpected <define> in command")
case(g, "parse define no name", "{{ define }}x{{ end }}", expectError="unexpected \"}}\" in define clause")
case(g, "parse define bad name", "{{ define a }}x{{ end }}", expectError="in define clause")
case(g, "parse template no name", "{{ template }}", expectError="in template clause")
case(g, "parse multiple definition", "{{ define \"a\" }}1{{ end }}{{ define \"a\" }}2{{ end }}", expectError="multiple definition of template")
case(g, "parse bad character", "{{ .a# }}", expectError="bad character U+0023 '#'")
case(g, "parse unrecognized character", "{{ \x01 }}", expectError="unrecognized character in action")
case(g, "parse dot after string", "{{ \"a\".b }}", expectError="unexpected . after term")
case(g, "parse colon without eq", "{{ $x : 1 }}", expectError="undefined variable")
case(g, "parse colon without eq declared", "{{ $x := 0 }}{{ $x : 1 }}", expectError="expected :=")
case(g, "parse too many declarations", "{{ $a, $b := 1 }}", expectError="too many declarations in command")
case(g, "parse range three vars", "{{ range $a, $b, $c := .x }}{{ end }}", expectError="too many declarations in range")
case(g, "parse range bad decl", "{{ range $a, 1 }}{{ end }}", expectError="range can only initialize variables")
case(g, "parse else after else", "{{ if true }}a{{ else }}b{{ else }}c{{ end }}", expectError="expected end; found {{else}}")
case(g, "parse unexpected in operand", "{{ print 1= }}", expectError="unexpected \"=\" in operand")
case(g, "parse long unexpected token", "{{ if 1 \"abcdefghijklmnop\" := }}{{ end }}", expectError="unexpected \":=\" in operand")
case(g, "parse error line counts", "a\nb\nc\n{{ if }}", expectError="missing value for if")
case(g, "parse nil dot chain", "{{ nil.a }}", expectError="unexpected . after term")
case(g, "exec field on nil", "{{ .nil.x }}", V, expectError="nil pointer evaluating interface {}.x")
case(g, "exec nil is not a command", "{{ nil }}", expectError="nil is not a command")
case(g, "exec nil pipeline first", "{{ nil | print }}", expectError="nil is not a command")
case(g, "exec argument to non function", "{{ .name 1 }}", V, expectError="is not a method but has arguments")
case(g, "exec args to non function dot", "{{ . 1 }}", V, expectError="can't give argument to non-function .")
case(g, "exec args to variable", "{{ $x := 1 }}{{ $x 2 }}", expectError="can't give argument to non-function $x")
case(g, "exec pipe into constant var", "{{ $x := 1 }}{{ 2 | $x }}", expectError="can't give argument to non-function $x")
case(g, "exec template not defined", "{{ template \"nope\" }}", expectError="template \"nope\" not defined")
case(g, "exec wrong arg count", "{{ len 1 2 }}", expectError="wrong number of args for len: want 1 got 2")
case(g, "exec wrong arg count sprig", "{{ upper \"a\" \"b\" }}", expectError="wrong number of args for upper: want 1 got 2")
case(g, "exec index out of range", "{{ index .list 5 }}", V, expectError="index out of range: 5")
case(g, "exec index negative", "{{ index .list -1 }}", V, expectError="index out of range: -1")
case(g, "exec index float", "{{ index .list 1.0 }}", V, expectError="cannot index slice/array with type float64")
case(g, "exec index float value", "{{ index .list .n }}", V, expectError="cannot index slice/array with type float64")
case(g, "exec index nil", "{{ index .missing 1 }}", V, expectError="index of untyped nil")
case(g, "exec index map int key", "{{ index .map 1 }}", V, expectError="value has type int; should be string")
case(g, "exec index bool", "{{ index true 1 }}", expectError="can't index item of type bool")
case(g, "exec slice out of range", "{{ slice .list 1 9 }}", V, expectError="slice index out of bounds")
case(g, "exec slice inverted", "{{ slice .list 2 1 }}", V, expectError="slice index out of bounds")
case(g, "exec slice string 3", "{{ slice .name 0 1 2 }}", V, expectError="list should be type of slice or array but string")
case(g, "exec slice map", "{{ slice .map 0 }}", V, expectError="list should be type of slice or array but map")
case(g, "exec len of number", "{{ len 3 }}", expectError="len of type int")
case(g, "exec len of float value", "{{ len .n }}", V, expectError="len of type float64")
case(g, "exec len of missing", "{{ len .missing }}", V, expectError="len of nil pointer")
case(g, "exec range over number", "{{ range .n }}{{ end }}", V, expectError="range can't iterate over 3")
case(g, "exec range over bool", "{{ range true }}{{ end }}", expectError="range can't iterate over true")
case(g, "exec error position line col", "a\n  b {{ .name }} {{ .nil.y }}", V, expectError="template: t:2:")
case(g, "exec error in define", "{{ define \"d\" }}\n x {{ .a.b }}{{ end }}{{ template \"d\" .nested }}", V, expectError="executing \"d\" at <.a.b>")
case(g, "exec error in other file", "{{ template \"h\" . }}", V, templates={"lib.tpl": "{{ define \"h\" }}\n\n{{ .nil.q }}{{ end }}"}, expectError="template: lib.tpl:3:")
case(g, "exec error calling func", "{{ fail \"boom\" }}", expectError="boom")
case(g, "exec error in include", "{{ define \"i\" }}{{ .x.y }}{{ end }}{{ include \"i\" .nested }}", V, expectError="error calling include:")
case(g, "exec wrong type for string param", "{{ upper .n }}", V, expectError="wrong type for value; expected string; got float64")
case(g, "exec expected string const", "{{ upper 3 }}", expectError="expected string; found 3")
case(g, "exec expected integer const", "{{ repeat 1.5 \"x\" }}", expectError="expected integer; found 1.5")
case(g, "exec int param from float value", "{{ repeat .n \"x\" }}", V, expectError="wrong type for value; expected int; got float64")
case(g, "exec nil to string param", "{{ upper nil }}", expectError="cannot assign nil to string")
case(g, "exec missing to string param", "{{ upper .missing }}", V, expectError="wrong type for value; expected string; got interface {}")
case(g, "exec paren missing to string param", "{{ upper (.missing) }}", V, expectError="invalid value; expected string")
case(g, "exec recursion limit", "{{ define \"r\" }}{{ template \"r\" . }}{{ end }}{{ template \"r\" . }}", expectError="exceeded maximum template depth (100000)")
case(g, "exec include recursion", "{{ define \"r\" }}{{ include \"r\" . }}{{ end }}{{ include \"r\" . }}",
     goDiffers="Node's default stack ends the recursion at ~450 includes, before Helm's limit of 1000, and the engine reports its depth error (render.ts turns it into Helm's line; with node --stack-size=4000 the text is Go's exactly)",
     expectError="exceeded maximum template depth (100000)")
case(g, "exec chain on nil literal", "{{ (nil).x }}", expectError="nil is not a command")
case(g, "exec field with args on map", "{{ .nested.inner 1 }}", V, expectError="inner is not a method but has arguments")
case(g, "exec partial output discarded", "abc{{ .nil.x }}", V, expectError="nil pointer evaluating")
case(g, "exec error message with percent", "{{ fail \"100% %d\" }}", expectError="100% %d")
case(g, "exec unicode column bytes", "é✓ {{ .nil.x }}", V, expectError="template: t:1:13:")

# ---------------------------------------------------------------- helm (chart-shaped templates)
g = "helm"
HELPERS = """{{/*
Expand the name of the chart.
*/}}
{{- define "mychart.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Create a default fully qualified app name.
*/}}
{{- define "mychart.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "mychart.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "mychart.labels" -}}
helm.sh/chart: {{ include "mychart.chart" . }}
{{ include "mychart.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "mychart.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mychart.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "mychart.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "mychart.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}
"""

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "mychart.fullname" . }}
  labels:
    {{- include "mychart.labels" . | nindent 4 }}
spec:
  {{- if not .Values.autoscaling.enabled }}
  replicas: {{ .Values.replicaCount }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "mychart.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      {{- with .Values.podAnnotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      labels:
        {{- include "mychart.labels" . | nindent 8 }}
        {{- with .Values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      {{- with .Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      serviceAccountName: {{ include "mychart.serviceAccountName" . }}
      securityContext:
        {{- toYaml .Values.podSecurityContext | nindent 8 }}
      containers:
        - name: {{ .Chart.Name }}
          securityContext:
            {{- toYaml .Values.securityContext | nindent 12 }}
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          ports:
            - name: http
              containerPort: {{ .Values.service.port }}
              protocol: TCP
          {{- with .Values.env }}
          env:
            {{- range $k, $v := . }}
            - name: {{ $k }}
              value: {{ $v | quote }}
            {{- end }}
          {{- end }}
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
      {{- with .Values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
"""

def top(values, chart=None, release=None):
    return {
        "Chart": chart or {"Name": "mychart", "Version": "0.1.0+build.7", "AppVersion": "1.16.0"},
        "Release": release or {"Name": "rel", "Namespace": "default", "Service": "Helm", "IsInstall": True},
        "Values": values,
        "Template": {"Name": "mychart/templates/deployment.yaml", "BasePath": "mychart/templates"},
    }

VALUES = {
    "replicaCount": 1,
    "image": {"repository": "nginx", "pullPolicy": "IfNotPresent", "tag": ""},
    "imagePullSecrets": [],
    "nameOverride": "",
    "fullnameOverride": "",
    "serviceAccount": {"create": True, "annotations": {}, "name": ""},
    "podAnnotations": {},
    "podLabels": {},
    "podSecurityContext": {},
    "securityContext": {},
    "service": {"type": "ClusterIP", "port": 80},
    "resources": {},
    "autoscaling": {"enabled": False, "minReplicas": 1, "maxReplicas": 100, "targetCPUUtilizationPercentage": 80},
    "nodeSelector": {},
    "tolerations": [],
}
import copy
V2 = copy.deepcopy(VALUES)
V2.update({
    "replicaCount": 3,
    "image": {"repository": "registry.local:5000/team/app", "pullPolicy": "Always", "tag": "2.0.1"},
    "imagePullSecrets": [{"name": "regcred"}],
    "fullnameOverride": "a-very-long-release-name-that-goes-on-and-on-and-on-past-the-limit-of-63",
    "serviceAccount": {"create": False, "name": ""},
    "podAnnotations": {"prometheus.io/scrape": "true", "checksum/config": "abc123"},
    "podLabels": {"tier": "web"},
    "podSecurityContext": {"fsGroup": 2000, "runAsNonRoot": True},
    "securityContext": {"capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": True, "runAsUser": 1000},
    "service": {"port": 8080},
    "env": {"LOG_LEVEL": "debug", "WORKERS": 4, "RATIO": 0.75, "ENABLED": True},
    "resources": {"limits": {"cpu": "100m", "memory": "128Mi"}, "requests": {"cpu": 0.5, "memory": 1000000}},
    "nodeSelector": {"kubernetes.io/os": "linux"},
    "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"}],
})
V3 = copy.deepcopy(VALUES)
V3.update({"nameOverride": "web", "autoscaling": {"enabled": True}, "serviceAccount": {"create": True, "name": "custom-sa"}})

case(g, "helm create deployment defaults", DEPLOYMENT, top(VALUES), templates={"mychart/templates/_helpers.tpl": HELPERS})
case(g, "helm create deployment configured", DEPLOYMENT, top(V2), templates={"mychart/templates/_helpers.tpl": HELPERS})
case(g, "helm create deployment autoscaling", DEPLOYMENT, top(V3, release={"Name": "myrel-mychart", "Service": "Helm"}), templates={"mychart/templates/_helpers.tpl": HELPERS})
case(g, "helm service", """apiVersion: v1
kind: Service
metadata:
  name: {{ include "mychart.fullname" . }}
  labels:
    {{- include "mychart.labels" . | nindent 4 }}
spec:
  type: {{ .Values.service.type }}
  ports:
    - port: {{ .Values.service.port }}
      targetPort: http
      protocol: TCP
      name: http
  selector:
    {{- include "mychart.selectorLabels" . | nindent 4 }}
""", top(VALUES), templates={"mychart/templates/_helpers.tpl": HELPERS})
case(g, "helm notes", """1. Get the application URL by running these commands:
{{- if contains "NodePort" .Values.service.type }}
  export NODE_PORT=$(kubectl get --namespace {{ .Release.Namespace }} -o jsonpath="{.spec.ports[0].nodePort}" services {{ include "mychart.fullname" . }})
{{- else if contains "ClusterIP" .Values.service.type }}
  export POD_NAME=$(kubectl get pods --namespace {{ .Release.Namespace }} -l "app.kubernetes.io/name={{ include "mychart.name" . }},app.kubernetes.io/instance={{ .Release.Name }}" -o jsonpath="{.items[0].metadata.name}")
  echo "Visit http://127.0.0.1:8080 to use your application"
{{- end }}
""", top(VALUES), templates={"mychart/templates/_helpers.tpl": HELPERS})
case(g, "helm configmap range and quote", """apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-config
data:
  {{- range $key, $val := .Values.config }}
  {{ $key }}: {{ $val | quote }}
  {{- end }}
  count: {{ len .Values.config | quote }}
  replicas: "{{ .Values.replicas }}"
  big: {{ .Values.big }}
  ratio: {{ .Values.ratio }}
""", top({"config": {"b": "two", "a": 1, "c": True, "d": None, "e": 1.5}, "replicas": 3, "big": 2000000, "ratio": 0.25}))
case(g, "helm tpl value", "{{ tpl .Values.tmpl . }}", top({"tmpl": "{{ .Release.Name }}-{{ .Values.x }}", "x": "y"}))
case(g, "helm required present", "{{ required \"need x\" .Values.x }}", top({"x": "here"}))
case(g, "helm required missing", "{{ required \"need x\" .Values.x }}", top({}), expectError="need x")
case(g, "helm if and eq on values", "{{ if and .Values.ingress.enabled (eq .Values.ingress.className \"nginx\") }}nginx{{ else }}other{{ end }}", top({"ingress": {"enabled": True, "className": "nginx"}}))
case(g, "helm range hosts", """{{- range .Values.ingress.hosts }}
- host: {{ .host | quote }}
  paths:
    {{- range .paths }}
    - path: {{ .path }}
      pathType: {{ .pathType }}
    {{- end }}
{{- end }}""", top({"ingress": {"hosts": [{"host": "a.local", "paths": [{"path": "/", "pathType": "Prefix"}]}, {"host": "b.local", "paths": [{"path": "/x", "pathType": "Exact"}, {"path": "/y", "pathType": "Prefix"}]}]}}))
case(g, "helm dollar in range", "{{- range .Values.list }}{{ $.Release.Name }}-{{ . }} {{ end }}", top({"list": ["a", "b"]}))
case(g, "helm missing values chain", "{{ .Values.a.b.c }}", top({}), expectError="nil pointer evaluating interface {}.b")
case(g, "helm default chain", "{{ .Values.a | default \"x\" }} {{ default 5 .Values.n }} {{ default 5 .Values.z }}", top({"n": 0}))
case(g, "helm printf float value d", "{{ printf \"%d\" .Values.port }}", top({"port": 8080}))
case(g, "helm int conversion", "{{ int .Values.port }} {{ .Values.port | int64 }} {{ printf \"%d\" (int .Values.port) }}", top({"port": 8080}))
case(g, "helm toString number", "{{ toString .Values.n }} {{ .Values.big | toString }}", top({"n": 1.5, "big": 1000000}))
case(g, "helm nested define with vars", """{{- define "x.list" -}}
{{- $root := . -}}
{{- range $i, $e := .Values.items }}
{{ $i }}: {{ $e }} ({{ $root.Release.Name }})
{{- end }}
{{- end -}}
{{ include "x.list" . }}""", top({"items": ["p", "q"]}))
case(g, "helm hasKey and index", "{{ if hasKey .Values \"a\" }}{{ index .Values \"a\" \"b\" }}{{ end }}", top({"a": {"b": "deep"}}))
case(g, "helm with else", "{{ with .Values.x }}x={{ . }}{{ else }}no x{{ end }}", top({"x": 0}))
case(g, "helm semver-like compare strings", "{{ if ge .Values.v \"1.20\" }}new{{ else }}old{{ end }}", top({"v": "1.21"}))
case(g, "helm block in file", "{{ block \"mychart.extra\" . }}default-extra{{ end }}", top({}))
case(g, "helm template vs include", "{{ define \"t1\" }}[{{ .Release.Name }}]{{ end }}{{ template \"t1\" . }}{{ include \"t1\" . | upper }}", top({}))

# ---------------------------------------------------------------- lexer corners
g = "lex"
case(g, "dash alone", "{{-}}", expectError="illegal number syntax")
case(g, "trim both no body", "a {{- -}} b", expectError="illegal number syntax: \"-\"")
case(g, "field then trim", "{{ .name -}} !", V)
case(g, "field dash no space", "{{ .name-}}", V, expectError="bad character")
case(g, "number then trim", "{{ 3 -}}  x")
case(g, "left trim number", "x  {{- 3 }}")
case(g, "negative number trim", "x {{- -3 -}} y")
case(g, "exponent missing digits", "{{ 1e }}", expectError="illegal number syntax")
case(g, "hex missing digits", "{{ 0x }}", expectError="illegal number syntax")
case(g, "two dots", "{{ 1.2.3 }}", expectError="unexpected \".3\" in operand")
case(g, "hex float", "{{ 0x1.8p1 }}")
case(g, "trailing underscore", "{{ 1_ }}", expectError="illegal number syntax")
case(g, "underscore after zero", "{{ 0_1 }}")
case(g, "double zero", "{{ 00 }}")
case(g, "octal big", "{{ 0777 }}")
case(g, "binary upper", "{{ 0B11 }}")
case(g, "exp negative", "{{ 1e-3 }} {{ 2.5E+2 }}")
case(g, "float leading zero", "{{ 0.000001 }} {{ 0.0000001 }}")
case(g, "huge float", "{{ 1e300 }} {{ 1e308 }}")
case(g, "float overflow", "{{ 1e400 }}", expectError="illegal number syntax")
case(g, "char escapes", "{{ '\\\\' }} {{ '\\'' }} {{ '\\x41' }} {{ '\\u00e9' }} {{ '\\101' }}")
case(g, "char bad escape", "{{ '\\q' }}", expectError="invalid syntax")
case(g, "string with delims", "{{ \"}}\" }}{{ `{{` }}")
case(g, "raw string newline", "{{ `a\nb` }}")
case(g, "raw string carriage return dropped", "{{ `a\r\nb` }}")
case(g, "comment with stars", "{{/* ** */}}x{{/**/}}")
case(g, "comment needs delim", "{{ /* c */ }}", expectError="unexpected \"/\" in command")
case(g, "comment trim left only", "a  {{- /* c */}}  b")
case(g, "comment trim right only", "a  {{/* c */ -}}  b")
case(g, "unicode identifier field", "{{ .héllo }}", {"héllo": "ok"})
case(g, "non-letter rune in field", "{{ .a✓ }}", {"a": 1}, expectError="bad character U+2713 '✓'")
case(g, "non-letter rune in action", "{{ ✓ }}", expectError="unrecognized character in action: U+2713 '✓'")
case(g, "unicode digits in identifier", "{{ .x٣ }}", {"x٣": "arabic-indic digit"})
case(g, "unicode letter function name", "{{ ünknown }}", expectError="function \"ünknown\" not defined")
case(g, "number followed by unicode letter", "{{ 3é }}", expectError="bad number syntax: \"3é\"")
case(g, "unicode in text and action", "ü{{ \"ß\" }}ü")
case(g, "tab and newline spacing", "{{\t.name\n}}", V)
case(g, "action spanning lines error line", "{{ .name\n|\nnosuch }}", V, expectError="template: t:3: function \"nosuch\" not defined")
case(g, "unclosed action newline", "{{ .name\nrest", V, expectError="unclosed action")
case(g, "keyword as field", "{{ .if }} {{ .range }} {{ .end }}", {"if": 1, "range": 2, "end": 3})
case(g, "variable named like keyword", "{{ $if := 1 }}{{ $if }}")
case(g, "dollar field", "{{ $.name }}{{ with .nested }}{{ $.name }}{{ end }}", V)
case(g, "pipe into field method arg", "{{ .name | printf \"%s-%s\" \"x\" }}", V)
case(g, "parenthesized pipe chain field", "{{ (dict \"a\" (dict \"b\" 7)).a.b }}")
case(g, "nil literal argument", "{{ default \"d\" nil }} {{ print nil 1 }}")
case(g, "true false identifiers", "{{ if true }}{{ not false }}{{ end }}")
case(g, "empty text between actions", "{{ 1 }}{{ 2 }}")
case(g, "whitespace only template", "  \n\t ")
case(g, "define whitespace only body ok", "{{ define \"w\" }} \n {{ end }}[{{ template \"w\" }}]")
case(g, "define redefined when first empty", "{{ define \"w\" }} {{ end }}{{ define \"w\" }}full{{ end }}{{ template \"w\" }}")
case(g, "define nbsp body counts as empty", "{{ define \"w\" }}\u00a0{{ end }}{{ define \"w\" }}x{{ end }}{{ template \"w\" }}")
case(g, "else if else with spacing", "{{if false}}a{{else   if true}}b{{end}}")
case(g, "else with trim", "{{ if false -}} a {{- else -}} b {{- end }}")
case(g, "end with trim", "{{ range .list -}} {{ . }} {{- end }}", V)


for name, cases in groups.items():
    path = os.path.join(HERE, "..", f"engine-{name}.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(cases, f, indent=1, ensure_ascii=False)
        f.write("\n")
print(sum(len(c) for c in groups.values()), "cases")
