package extensions_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/securegen/securegen/internal/e2e/extensions"
	"github.com/securegen/securegen/internal/e2e/extensions/money"
	"github.com/securegen/securegen/runtime/httpapi"
)

type bank struct {
	extensions.Unimplemented
	got *extensions.Transfer
}

// Pay is the operation the spec names createPayment and x-go-name Pay.
func (b *bank) Pay(_ context.Context, req extensions.PayRequest) (extensions.PayResponse, error) {
	b.got = &req.Body
	return extensions.NewPay200JSONResponse(req.Body), nil
}

func post(t *testing.T, b *bank, body string) *httptest.ResponseRecorder {
	t.Helper()
	h, err := extensions.NewHandler(b, extensions.Security{}, httpapi.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("POST", "/payments", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestGoTypeDecodesWithTheCustomType: x-go-type and x-go-type-import
// replace the Go type; the validator still checks the JSON, and the value
// reaches the handler through the custom type's own UnmarshalJSON.
func TestGoTypeDecodesWithTheCustomType(t *testing.T) {
	b := &bank{}
	w := post(t, b, `{"amount":"12.34","fee":"0.50","reference":"abc","code":7}`)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if b.got.Amount.Cents != 1234 || b.got.Fee == nil || b.got.Fee.Cents != 50 {
		t.Fatalf("handler got %+v", b.got)
	}
	// The answer is written by the custom type's MarshalJSON.
	if !strings.Contains(w.Body.String(), `"amount":"12.34"`) {
		t.Fatalf("answer %s", w.Body)
	}
	// The schema's pattern is checked on the JSON, before the custom type
	// sees it.
	b = &bank{}
	w = post(t, b, `{"amount":"12.3","reference":"abc","code":1}`)
	if w.Code != http.StatusBadRequest || b.got != nil || !strings.Contains(w.Body.String(), `"/body/amount"`) {
		t.Fatalf("bad pattern: status %d, handler got %v: %s", w.Code, b.got, w.Body)
	}
}

// TestGoNameNamesOperationTypeAndField: x-go-name on the operation, the
// schema and a property.
func TestGoNameNamesOperationTypeAndField(t *testing.T) {
	if _, ok := reflect.TypeFor[extensions.Server]().MethodByName("Pay"); !ok {
		t.Error("Server has no Pay method")
	}
	f, ok := reflect.TypeFor[extensions.Transfer]().FieldByName("Ref")
	if !ok || f.Tag.Get("json") != "reference" {
		t.Errorf("Transfer.Ref: %v %q", ok, f.Tag)
	}
	if reflect.TypeFor[extensions.Money]() != reflect.TypeFor[money.Amount]() {
		t.Error("Money is not an alias of money.Amount")
	}
}

// TestOmitEmptyAndSkipOptionalPointer: x-omitempty forces omitempty on or
// off; x-go-type-skip-optional-pointer keeps an optional field a value.
func TestOmitEmptyAndSkipOptionalPointer(t *testing.T) {
	typ := reflect.TypeFor[extensions.Transfer]()
	for _, tc := range []struct{ field, tag, kind string }{
		{"Code", "code,omitempty", "int"},
		{"Memo", "memo", "ptr"},
		{"Note", "note,omitempty", "string"},
		{"Fee", "fee,omitempty", "ptr"},
	} {
		f, _ := typ.FieldByName(tc.field)
		if f.Tag.Get("json") != tc.tag || f.Type.Kind().String() != tc.kind {
			t.Errorf("%s: tag %q kind %s; want %q %s", tc.field, f.Tag.Get("json"), f.Type.Kind(), tc.tag, tc.kind)
		}
	}
	raw, _ := json.Marshal(extensions.Transfer{Ref: "abc"})
	if !strings.Contains(string(raw), `"memo":null`) || strings.Contains(string(raw), `"code"`) {
		t.Errorf("marshal %s", raw)
	}
}
