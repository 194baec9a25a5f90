package validation31_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/securegen/securegen/internal/e2e/validation31"
)

type store struct{ validation31.Unimplemented }

func (store) AddMeasurement(context.Context, validation31.AddMeasurementRequest) (validation31.AddMeasurementResponse, error) {
	return validation31.NewAddMeasurement204Response(), nil
}

// TestTypeArraysAndNumericExclusiveBounds checks OpenAPI 3.1 type arrays
// (null allowed, two types allowed), numeric exclusive bounds, and const.
func TestTypeArraysAndNumericExclusiveBounds(t *testing.T) {
	h, err := validation31.NewHandler(store{}, validation31.Security{})
	if err != nil {
		t.Fatal(err)
	}
	for body, want := range map[string]string{
		`{"value": 5, "label": "a"}`:                   "204",
		`{"value": null, "label": 7}`:                  "204",
		`{"value": 5, "label": true}`:                  `"rule":"type"`,
		`{"value": 0, "label": "a"}`:                   `"rule":"exclusiveMinimum"`,
		`{"value": 100, "label": "a"}`:                 `"rule":"exclusiveMaximum"`,
		`{"value": 5, "label": "a", "unit": "kelvin"}`: `"rule":"const"`,
		`{"label": "a"}`:                               `"rule":"required"`,
	} {
		r := httptest.NewRequest("POST", "/measurements", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		got := w.Body.String()
		if want == "204" {
			if w.Code != 204 {
				t.Errorf("%s: %d %s", body, w.Code, got)
			}
			continue
		}
		if w.Code != 400 || !strings.Contains(got, want) {
			t.Errorf("%s: %d %s, want %s", body, w.Code, got, want)
		}
	}
}
