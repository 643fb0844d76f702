package main

// Helm 3.21's own template functions (pkg/engine/funcs.go and engine.go), rebuilt from
// the Debian packages the oracle can use offline:
//   - sigs.k8s.io/yaml is not packaged: its Marshal (encoding/json, then yaml.v2
//     Unmarshal of the JSON and yaml.v2 Marshal) and Unmarshal (yaml.v2 to a JSON-able
//     value, encoding/json, then json.Decoder into the target) are reproduced here.
//   - toYamlPretty uses gopkg.in/yaml.v3 (Helm: the sigs.k8s.io/yaml/goyaml.v3 fork).
//   - BurntSushi/toml is not packaged: toToml/fromToml report that, and their corpus
//     cases carry goDiffers.
// Error texts are Helm's (errors.Wrapf(err, msg) prints "msg: err").

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"text/template"

	yaml "gopkg.in/yaml.v2"
	yaml3 "gopkg.in/yaml.v3"
)

const recursionMaxNums = 1000

func warnWrap(warn string) string {
	return "HELM_ERR_START" + warn + "HELM_ERR_END"
}

// yamlMarshal is sigs.k8s.io/yaml.Marshal.
func yamlMarshal(o interface{}) ([]byte, error) {
	j, err := json.Marshal(o)
	if err != nil {
		return nil, fmt.Errorf("error marshaling into JSON: %v", err)
	}
	var jsonObj interface{}
	if err := yaml.Unmarshal(j, &jsonObj); err != nil {
		return nil, err
	}
	return yaml.Marshal(jsonObj)
}

// convertToJSONable is sigs.k8s.io/yaml's convertToJSONableObject for an interface{} target.
func convertToJSONable(yamlObj interface{}) (interface{}, error) {
	switch typed := yamlObj.(type) {
	case map[interface{}]interface{}:
		strMap := make(map[string]interface{})
		for k, v := range typed {
			var keyString string
			switch typedKey := k.(type) {
			case string:
				keyString = typedKey
			case int:
				keyString = strconv.Itoa(typedKey)
			case int64:
				keyString = strconv.FormatInt(typedKey, 10)
			case float64:
				s := strconv.FormatFloat(typedKey, 'g', -1, 32)
				switch s {
				case "+Inf":
					s = ".inf"
				case "-Inf":
					s = "-.inf"
				case "NaN":
					s = ".nan"
				}
				keyString = s
			case bool:
				if typedKey {
					keyString = "true"
				} else {
					keyString = "false"
				}
			default:
				return nil, fmt.Errorf("unsupported map key of type: %s, key: %+#v, value: %+#v", reflect.TypeOf(k), k, v)
			}
			c, err := convertToJSONable(v)
			if err != nil {
				return nil, err
			}
			strMap[keyString] = c
		}
		return strMap, nil
	case []interface{}:
		arr := make([]interface{}, len(typed))
		for i, v := range typed {
			c, err := convertToJSONable(v)
			if err != nil {
				return nil, err
			}
			arr[i] = c
		}
		return arr, nil
	default:
		return yamlObj, nil
	}
}

// yamlUnmarshal is sigs.k8s.io/yaml.Unmarshal.
func yamlUnmarshal(y []byte, o interface{}) error {
	var yamlObj interface{}
	if err := yaml.Unmarshal(y, &yamlObj); err != nil {
		return fmt.Errorf("error converting YAML to JSON: %w", err)
	}
	jsonable, err := convertToJSONable(yamlObj)
	if err != nil {
		return fmt.Errorf("error converting YAML to JSON: %w", err)
	}
	j, err := json.Marshal(jsonable)
	if err != nil {
		return fmt.Errorf("error converting YAML to JSON: %w", err)
	}
	d := json.NewDecoder(bytes.NewReader(j))
	if err := d.Decode(&o); err != nil {
		return fmt.Errorf("error unmarshaling JSON: %w", fmt.Errorf("while decoding JSON: %v", err))
	}
	return nil
}

func toYAML(v interface{}) string {
	data, err := yamlMarshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(data), "\n")
}

func toYAMLPretty(v interface{}) string {
	var data bytes.Buffer
	encoder := yaml3.NewEncoder(&data)
	encoder.SetIndent(2)
	if err := encoder.Encode(v); err != nil {
		return ""
	}
	return strings.TrimSuffix(data.String(), "\n")
}

func fromYAML(str string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := yamlUnmarshal([]byte(str), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromYAMLArray(str string) []interface{} {
	a := []interface{}{}
	if err := yamlUnmarshal([]byte(str), &a); err != nil {
		a = []interface{}{err.Error()}
	}
	return a
}

func toJSON(v interface{}) string {
	data, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(data)
}

func fromJSON(str string) map[string]interface{} {
	m := make(map[string]interface{})
	if err := json.Unmarshal([]byte(str), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromJSONArray(str string) []interface{} {
	a := []interface{}{}
	if err := json.Unmarshal([]byte(str), &a); err != nil {
		a = []interface{}{err.Error()}
	}
	return a
}

var errNoToml = errors.New("toml: BurntSushi/toml is not available to the Debian oracle")

func includeFun(t *template.Template, includedNames map[string]int) func(string, interface{}) (string, error) {
	return func(name string, data interface{}) (string, error) {
		var buf strings.Builder
		if v, ok := includedNames[name]; ok {
			if v > recursionMaxNums {
				return "", fmt.Errorf("rendering template has a nested reference name: %s: %w", name, errors.New("unable to execute template"))
			}
			includedNames[name]++
		} else {
			includedNames[name] = 1
		}
		err := t.ExecuteTemplate(&buf, name, data)
		includedNames[name]--
		return buf.String(), err
	}
}

func tplFun(parent *template.Template, includedNames map[string]int) func(string, interface{}) (string, error) {
	return func(tpl string, vals interface{}) (string, error) {
		t, err := parent.Clone()
		if err != nil {
			return "", fmt.Errorf("cannot clone template: %w", err)
		}
		t.Option("missingkey=zero")
		t.Funcs(template.FuncMap{
			"include": includeFun(t, includedNames),
			"tpl":     tplFun(t, includedNames),
		})
		t, err = t.New(parent.Name()).Parse(tpl)
		if err != nil {
			return "", fmt.Errorf("cannot parse template %q: %w", tpl, err)
		}
		var buf strings.Builder
		if err := t.Execute(&buf, vals); err != nil {
			return "", fmt.Errorf("error during tpl function execution for %q: %w", tpl, err)
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
}

func helmFuncs(t *template.Template) template.FuncMap {
	includedNames := map[string]int{}
	return template.FuncMap{
		"toToml":        func(v interface{}) string { return errNoToml.Error() },
		"fromToml":      func(s string) map[string]interface{} { return map[string]interface{}{"Error": errNoToml.Error()} },
		"toYaml":        toYAML,
		"toYamlPretty":  toYAMLPretty,
		"fromYaml":      fromYAML,
		"fromYamlArray": fromYAMLArray,
		"toJson":        toJSON,
		"fromJson":      fromJSON,
		"fromJsonArray": fromJSONArray,
		"include":       includeFun(t, includedNames),
		"tpl":           tplFun(t, includedNames),
		"required": func(warn string, val interface{}) (interface{}, error) {
			if val == nil {
				return val, errors.New(warnWrap(warn))
			} else if _, ok := val.(string); ok {
				if val == "" {
					return val, errors.New(warnWrap(warn))
				}
			}
			return val, nil
		},
		"fail": func(msg string) (string, error) {
			return "", errors.New(warnWrap(msg))
		},
		"lookup": func(string, string, string, string) (map[string]interface{}, error) {
			return map[string]interface{}{}, nil
		},
		"getHostByName": func(_ string) string { return "" },
	}
}
