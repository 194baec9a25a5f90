package model

import (
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

func TestRefNameTakesTheLastPointerTokenOrTheFileBase(t *testing.T) {
	tests := []struct{ ref, want string }{
		{"#/components/schemas/Pet", "Pet"},
		{"#/components/schemas/a~1b~0c", "a/b~c"},
		{"other.yaml#/definitions/Item", "Item"},
		{"pet.yaml", "pet"},
		{"models/pet.v1.yaml", "pet"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := refName(tt.ref); got != tt.want {
			t.Errorf("refName(%q) = %q, want %q", tt.ref, got, tt.want)
		}
	}
}

func TestSchemaDocPrefersDescriptionOverTitle(t *testing.T) {
	tests := []struct{ title, desc, want string }{
		{"Title", "", "Title"},
		{"Title", "Description", "Description"},
		{"", "Description", "Description"},
		{"", "", ""},
	}
	for _, tt := range tests {
		if got := schemaDoc(&openapi3.Schema{Title: tt.title, Description: tt.desc}); got != tt.want {
			t.Errorf("schemaDoc(title %q, description %q) = %q, want %q", tt.title, tt.desc, got, tt.want)
		}
	}
}

func TestMediaTypes(t *testing.T) {
	tests := []struct {
		ct   string
		json bool
		word string
	}{
		{"application/json", true, "JSON"},
		{"Application/JSON; charset=utf-8", true, "JSON"},
		{"application/problem+json", true, "ProblemJSON"},
		{"application/vnd.api+json", true, "VndAPIJSON"},
		{"text/json", false, "TextJSON"},
		{"application/jsonl", false, "Jsonl"},
		{"text/plain", false, "TextPlain"},
		{"*/*", false, "Any"},
		{"image/*", false, "ImageAny"},
		{"application/octet-stream", false, "OctetStream"},
	}
	for _, tt := range tests {
		if got := isJSONMediaType(tt.ct); got != tt.json {
			t.Errorf("isJSONMediaType(%q) = %v, want %v", tt.ct, got, tt.json)
		}
		if got := mediaWord(tt.ct); got != tt.word {
			t.Errorf("mediaWord(%q) = %q, want %q", tt.ct, got, tt.word)
		}
	}
}

func TestStatusRank(t *testing.T) {
	tests := []struct {
		key         string
		class, code int
	}{
		{"200", 0, 200},
		{"600", 0, 600}, // a number; Build refuses it later
		{"2XX", 1, 2},
		{"5xx", 1, 5},
		{"6XX", 2, 0},
		{"0XX", 2, 0},
		{"default", 2, 0},
		{"2X", 2, 0},
	}
	for _, tt := range tests {
		if c, n := statusRank(tt.key); c != tt.class || n != tt.code {
			t.Errorf("statusRank(%q) = %d, %d; want %d, %d", tt.key, c, n, tt.class, tt.code)
		}
	}
}

func TestLocalPath(t *testing.T) {
	tests := []struct {
		raw, want string
		ok        bool
	}{
		{"/token", "/token", true},
		{"token", "/token", true},
		{"/oauth/token?x=1", "/oauth/token", true},
		{"https://idp.example.com/token", "", false},
		{"//idp.example.com/token", "", false},
		{"/t/{tenant}/token", "", false},
		{"", "", false},
		{"?x=1", "", false},
	}
	for _, tt := range tests {
		got, ok := localPath(tt.raw)
		if got != tt.want || ok != tt.ok {
			t.Errorf("localPath(%q) = %q, %v; want %q, %v", tt.raw, got, ok, tt.want, tt.ok)
		}
	}
}
