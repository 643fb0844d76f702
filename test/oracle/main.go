// Command oracle renders differential-test cases with Go's own text/template plus
// sprig, as Helm does, and prints one JSON result per case. The TypeScript engine's
// output is compared against it byte for byte (test/render-diff.test.ts).
//
// Usage: oracle CORPUS.json... ; each file is a JSON array of cases
// {name, template, data?, templates?}. Output: one JSON object per line,
// {"file","name","output"} or {"file","name","error"}.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/template"

	sprig "github.com/Masterminds/sprig/v3"
)

type testCase struct {
	Name      string            `json:"name"`
	Template  string            `json:"template"`
	Data      interface{}       `json:"data"`
	Templates map[string]string `json:"templates"`
}

type result struct {
	File   string  `json:"file"`
	Name   string  `json:"name"`
	Output *string `json:"output,omitempty"`
	Error  *string `json:"error,omitempty"`
}

// mainName is the name the case's own template is parsed under.
const mainName = "t"

// funcMap is Helm's: sprig's text functions without env/expandenv, plus Helm's own.
func funcMap(t *template.Template) template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	for k, v := range helmFuncs(t) {
		f[k] = v
	}
	return f
}

func render(c testCase) (out string, err error) {
	defer func() {
		// A panic in a function outside Go's safeCall must not kill the whole run.
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	t := template.New("gotpl")
	t.Funcs(funcMap(t)).Option("missingkey=zero")
	names := make([]string, 0, len(c.Templates))
	for n := range c.Templates {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if _, err := t.New(n).Parse(c.Templates[n]); err != nil {
			return "", err
		}
	}
	if _, err := t.New(mainName).Parse(c.Template); err != nil {
		return "", err
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, mainName, c.Data); err != nil {
		return "", err
	}
	// Helm erases what missing values printed.
	return strings.ReplaceAll(b.String(), "<no value>", ""), nil
}

func main() {
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, path := range os.Args[1:] {
		raw, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		var cases []testCase
		if err := json.Unmarshal(raw, &cases); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
			os.Exit(2)
		}
		for _, c := range cases {
			r := result{File: path, Name: c.Name}
			out, err := render(c)
			if err != nil {
				msg := err.Error()
				r.Error = &msg
			} else {
				r.Output = &out
			}
			if err := enc.Encode(r); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
		}
	}
}
