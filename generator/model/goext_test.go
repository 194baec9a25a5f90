package model

import (
	"strings"
	"testing"
)

func TestGoTypeExtensionIsOnlyATypeExpression(t *testing.T) {
	for _, tc := range []struct {
		expr string
		ok   bool
	}{
		{"decimal.Decimal", true},
		{"*mypkg.Amount", true},
		{"[]mypkg.Item", true},
		{"map[string]mypkg.Item", true},
		{"[16]byte", true},
		{"MyType", true},
		{"int; func init() { panic(1) }", false},
		{"func()", false},
		{"struct{}", false},
		{"a.b.c", false},
		{"chan int", false},
		{"x /* */", false},
		{"", false},
	} {
		if got := isTypeExpr(tc.expr); got != tc.ok {
			t.Errorf("isTypeExpr(%q) = %v, want %v", tc.expr, got, tc.ok)
		}
	}
}

func TestBadGoExtensionsStopGeneration(t *testing.T) {
	for _, tc := range []struct{ name, prop, want string }{
		{"code in x-go-type", `{type: string, x-go-type: "int; var x = 1"}`, "x-go-type must be a Go type"},
		{"bad import path", `{type: string, x-go-type: m.T, x-go-type-import: {path: "a\"b"}}`, "x-go-type-import must be"},
		{"unexported x-go-name", `{type: string, x-go-name: lower}`, "x-go-name must be an exported Go identifier"},
		{"x-omitempty not a bool", `{type: string, x-omitempty: "yes"}`, "x-omitempty must be true or false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := `openapi: 3.0.3
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
    Thing:
      type: object
      properties:
        p: ` + tc.prop + "\n"
			_, _, err := buildSpec(t, spec, Options{Package: "api"})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "/components/schemas/Thing/properties/p/x-") {
				t.Fatalf("err = %v, want %q at the property", err, tc.want)
			}
		})
	}
}
