package httpapi

import (
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/oapi-codegen/runtime"
)

// isPlainStruct reports whether dest points to a struct that is bound
// field by field: not one with its own text form, such as time.Time.
func isPlainStruct(dest any) (reflect.Value, bool) {
	v := reflect.ValueOf(dest)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return reflect.Value{}, false
	}
	v = v.Elem()
	if v.Kind() != reflect.Struct {
		return reflect.Value{}, false
	}
	if _, ok := v.Addr().Interface().(encoding.TextUnmarshaler); ok {
		return reflect.Value{}, false
	}
	return v, true
}

// bindObject binds an object parameter serialized in a path, header or
// cookie style (simple, label, matrix or form) into the struct v, field
// by field, so that non-string properties convert as their types say.
func bindObject(style string, explode bool, name, value string, v reflect.Value) error {
	sep := ","
	switch style {
	case "label":
		if !strings.HasPrefix(value, ".") {
			return errors.New("label style value must start with '.'")
		}
		value = value[1:]
		if explode {
			sep = "."
		}
	case "matrix":
		if !strings.HasPrefix(value, ";") {
			return errors.New("matrix style value must start with ';'")
		}
		value = value[1:]
		if explode {
			sep = ";"
		} else {
			prefix := name + "="
			if !strings.HasPrefix(value, prefix) {
				return fmt.Errorf("matrix style value must start with ';%s'", prefix)
			}
			value = value[len(prefix):]
		}
	case "form":
		if explode {
			sep = "&"
		}
	}
	props := map[string]string{}
	parts := strings.Split(value, sep)
	if explode {
		for _, p := range parts {
			k, val, ok := strings.Cut(p, "=")
			if !ok {
				return fmt.Errorf("property %q has no value", p)
			}
			props[k] = val
		}
	} else {
		if len(parts)%2 != 0 {
			return errors.New("object needs name,value pairs")
		}
		for i := 0; i < len(parts); i += 2 {
			props[parts[i]] = parts[i+1]
		}
	}
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		key, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if key == "" || key == "-" {
			continue
		}
		raw, ok := props[key]
		if !ok {
			continue
		}
		fv := v.Field(i)
		if fv.Kind() == reflect.Pointer {
			fv.Set(reflect.New(fv.Type().Elem()))
			fv = fv.Elem()
		}
		if err := runtime.BindStringToObject(raw, fv.Addr().Interface()); err != nil {
			return fmt.Errorf("property %q: %w", key, err)
		}
	}
	return nil
}

// bindStyled binds value into dest: objects field by field, everything
// else with oapi-codegen's runtime.
func bindStyled(style, name, value string, dest any, opts runtime.BindStyledParameterOptions) error {
	if v, ok := isPlainStruct(dest); ok {
		return bindObject(style, opts.Explode, name, value, v)
	}
	return runtime.BindStyledParameterWithOptions(style, name, value, dest, opts)
}
