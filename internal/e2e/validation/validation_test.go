package validation_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/securegen/securegen/internal/e2e/validation"
	"github.com/securegen/securegen/runtime/httpapi"
)

// ValidOrder is a realistic order of about 2 KB that satisfies every rule.
const ValidOrder = `{
  "reference": "ORD-004217",
  "status": "paid",
  "createdAt": "2026-11-26T10:15:00Z",
  "deliveryDate": "2026-12-01",
  "customer": {"name": "Ada Lovelace", "email": "ada@example.com", "website": "https://example.com/ada",
    "ip": "192.0.2.10", "ip6": "2001:db8::1", "host": "shop.example.com", "avatar": "aGVsbG8=", "since": "2020-02-29", "account": 42},
  "items": [
    {"sku": "ABC-0001", "quantity": 2, "price": 19.99, "weight": 1200},
    {"sku": "DEF-0002", "quantity": 1, "price": 5.5},
    {"sku": "GHI-0003", "quantity": 10, "price": 0.99, "weight": 50},
    {"sku": "JKL-0004", "quantity": 3, "price": 120, "weight": 9007199254740993},
    {"sku": "MNO-0005", "quantity": 7, "price": 3.25},
    {"sku": "PQR-0006", "quantity": 1, "price": 999.99, "weight": 15000},
    {"sku": "STU-0007", "quantity": 4, "price": 12.5},
    {"sku": "VWX-0008", "quantity": 2, "price": 45.45, "weight": 800},
    {"sku": "YZA-0009", "quantity": 6, "price": 7.77, "weight": 300},
    {"sku": "BCD-0010", "quantity": 1, "price": 1499, "weight": 22000},
    {"sku": "EFG-0011", "quantity": 12, "price": 0.25},
    {"sku": "HIJ-0012", "quantity": 5, "price": 18.9, "weight": 450},
    {"sku": "KLM-0013", "quantity": 2, "price": 64, "weight": 2100},
    {"sku": "NOP-0014", "quantity": 9, "price": 2.99},
    {"sku": "QRS-0015", "quantity": 3, "price": 33.33, "weight": 700},
    {"sku": "TUV-0016", "quantity": 1, "price": 250, "weight": 5000}
  ],
  "tags": ["gift", "express", "fragile", "wrapped"],
  "metadata": {"channel": "web", "campaign": "black-friday", "referrer": "newsletter-2026-11"},
  "discount": 0.15,
  "payment": {"method": "card", "last4": "4242"},
  "note": "Please leave the parcel with the neighbour at number 12 if nobody answers the door; the dog is friendly, do not worry.",
  "contact": "+4915112345678"
}`

type shop struct {
	validation.Unimplemented
	calls atomic.Int32
	// answer, when set, replaces the order the handler returns.
	answer *validation.Order
}

func (s *shop) CreateOrder(_ context.Context, req validation.CreateOrderRequest) (validation.CreateOrderResponse, error) {
	s.calls.Add(1)
	if s.answer != nil {
		return validation.NewCreateOrder201JSONResponse(*s.answer), nil
	}
	return validation.NewCreateOrder201JSONResponse(req.Body), nil
}

func (s *shop) ListOrders(_ context.Context, req validation.ListOrdersRequest) (validation.ListOrdersResponse, error) {
	s.calls.Add(1)
	return validation.NewListOrders200JSONResponse(nil), nil
}

func newHandler(t testing.TB, s *shop, opts ...validation.Option) http.Handler {
	t.Helper()
	opts = append([]validation.Option{httpapi.WithLogger(slog.New(slog.DiscardHandler))}, opts...)
	h, err := validation.NewHandler(s, validation.Security{}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// mutate applies edit to the valid order and returns the JSON.
func mutate(t *testing.T, edit func(o map[string]any)) string {
	t.Helper()
	var o map[string]any
	if err := json.Unmarshal([]byte(ValidOrder), &o); err != nil {
		t.Fatal(err)
	}
	edit(o)
	b, _ := json.Marshal(o)
	return string(b)
}

func post(h http.Handler, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "/orders", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

type problem struct {
	Status int
	Detail string
	Errors []struct{ Location, Rule, Detail string }
}

func decode(t *testing.T, w *httptest.ResponseRecorder) problem {
	t.Helper()
	var p problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("answer %d is not a problem document: %s", w.Code, w.Body)
	}
	return p
}

func TestValidOrderReachesTheHandlerTyped(t *testing.T) {
	s := &shop{}
	w := post(newHandler(t, s), ValidOrder)
	if w.Code != 201 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var back validation.Order
	if err := json.Unmarshal(w.Body.Bytes(), &back); err != nil || back.Items[3].Weight == nil || *back.Items[3].Weight != 9007199254740993 {
		t.Fatalf("typed order lost data: %v %+v", err, back.Items)
	}
}

func item(o map[string]any, i int) map[string]any { return o["items"].([]any)[i].(map[string]any) }

func customer(o map[string]any) map[string]any { return o["customer"].(map[string]any) }

// TestEveryRuleIsEnforced breaks one rule at a time and expects exactly
// that violation, located by JSON pointer.
func TestEveryRuleIsEnforced(t *testing.T) {
	tests := []struct {
		rule, location string
		edit           func(o map[string]any)
	}{
		{"required", "/body/status", func(o map[string]any) { delete(o, "status") }},
		{"required", "/body/customer/email", func(o map[string]any) { delete(customer(o), "email") }},
		{"enum", "/body/status", func(o map[string]any) { o["status"] = "lost" }},
		{"minimum", "/body/items/1/quantity", func(o map[string]any) { item(o, 1)["quantity"] = 0 }},
		{"maximum", "/body/items/1/quantity", func(o map[string]any) { item(o, 1)["quantity"] = 1001 }},
		{"exclusiveMinimum", "/body/items/2/price", func(o map[string]any) { item(o, 2)["price"] = 0 }},
		{"exclusiveMaximum", "/body/discount", func(o map[string]any) { o["discount"] = 1 }},
		{"multipleOf", "/body/discount", func(o map[string]any) { o["discount"] = 0.155 }},
		{"minLength", "/body/customer/name", func(o map[string]any) { customer(o)["name"] = "" }},
		{"maxLength", "/body/tags/0", func(o map[string]any) { o["tags"].([]any)[0] = strings.Repeat("x", 21) }},
		{"pattern", "/body/items/0/sku", func(o map[string]any) { item(o, 0)["sku"] = "abc-1" }},
		{"format", "/body/createdAt", func(o map[string]any) { o["createdAt"] = "yesterday" }},
		{"format", "/body/deliveryDate", func(o map[string]any) { o["deliveryDate"] = "2026-13-01" }},
		{"format", "/body/customer/email", func(o map[string]any) { customer(o)["email"] = "ada at example" }},
		{"format", "/body/customer/website", func(o map[string]any) { customer(o)["website"] = "no-scheme" }},
		{"format", "/body/customer/ip", func(o map[string]any) { customer(o)["ip"] = "300.1.1.1" }},
		{"format", "/body/customer/ip6", func(o map[string]any) { customer(o)["ip6"] = "192.0.2.1" }},
		{"format", "/body/customer/host", func(o map[string]any) { customer(o)["host"] = "-bad-.example" }},
		{"format", "/body/customer/avatar", func(o map[string]any) { customer(o)["avatar"] = "%%%" }},
		{"format", "/body/customer/account", func(o map[string]any) { customer(o)["account"] = 1 << 40 }},
		{"format", "/body/items/0/weight", func(o map[string]any) { item(o, 0)["weight"] = json.Number("99999999999999999999") }},
		{"minItems", "/body/items", func(o map[string]any) { o["items"] = []any{} }},
		{"maxItems", "/body/tags", func(o map[string]any) { o["tags"] = []any{"a", "b", "c", "d", "e", "f"} }},
		{"uniqueItems", "/body/tags/2", func(o map[string]any) { o["tags"] = []any{"a", "b", "a"} }},
		{"minProperties", "/body/metadata", func(o map[string]any) { o["metadata"] = map[string]any{} }},
		{"maxProperties", "/body/metadata", func(o map[string]any) { o["metadata"] = map[string]any{"a": "", "b": "", "c": "", "d": ""} }},
		{"additionalProperties", "/body/coupon", func(o map[string]any) { o["coupon"] = "FREE" }},
		{"readOnly", "/body/id", func(o map[string]any) { o["id"] = "7c9e6679-7425-40de-944b-e07fc1f90ae7" }},
		{"type", "/body/note", func(o map[string]any) { o["note"] = 5 }},
		{"type", "/body/metadata/channel", func(o map[string]any) { o["metadata"].(map[string]any)["channel"] = 1 }},
		{"anyOf", "/body/contact", func(o map[string]any) { o["contact"] = "call me" }},
		{"discriminator", "/body/payment/method", func(o map[string]any) { o["payment"] = map[string]any{"method": "cash"} }},
		{"required", "/body/payment/iban", func(o map[string]any) { o["payment"] = map[string]any{"method": "transfer"} }},
		{"pattern", "/body/payment/last4", func(o map[string]any) { o["payment"] = map[string]any{"method": "card", "last4": "42"} }},
	}
	for _, tt := range tests {
		t.Run(tt.rule+" "+tt.location, func(t *testing.T) {
			s := &shop{}
			w := post(newHandler(t, s), mutate(t, tt.edit))
			if w.Code != 400 {
				t.Fatalf("status %d, want 400: %s", w.Code, w.Body)
			}
			p := decode(t, w)
			if len(p.Errors) != 1 || p.Errors[0].Rule != tt.rule || p.Errors[0].Location != tt.location {
				t.Fatalf("violations %+v, want exactly %s at %s", p.Errors, tt.rule, tt.location)
			}
			if s.calls.Load() != 0 {
				t.Fatal("the handler ran with an invalid order")
			}
		})
	}
}

func TestNullableAcceptsNull(t *testing.T) {
	w := post(newHandler(t, &shop{}), mutate(t, func(o map[string]any) { o["note"] = nil }))
	if w.Code != 201 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
}

func TestEveryViolationIsListedUpToTheCap(t *testing.T) {
	bad := mutate(t, func(o map[string]any) {
		o["status"] = "lost"
		o["discount"] = 2
		for i := range o["items"].([]any) {
			item(o, i)["quantity"] = 0
		}
	})
	p := decode(t, post(newHandler(t, &shop{}), bad))
	if len(p.Errors) != 18 {
		t.Fatalf("%d violations, want 18: %+v", len(p.Errors), p.Errors)
	}
	p = decode(t, post(newHandler(t, &shop{}, httpapi.WithMaxViolations(3)), bad))
	if len(p.Errors) != 3 || !strings.Contains(p.Detail, "15 more") {
		t.Fatalf("capped list: %d violations, detail %q", len(p.Errors), p.Detail)
	}
}

func TestValidationStatusOption(t *testing.T) {
	w := post(newHandler(t, &shop{}, httpapi.WithValidationStatus(422)), mutate(t, func(o map[string]any) { o["status"] = "lost" }))
	if w.Code != 422 {
		t.Fatalf("status %d, want 422", w.Code)
	}
}

func TestDetailsNeverEchoMoreThanAPrefix(t *testing.T) {
	long := strings.Repeat("secret", 100)
	w := post(newHandler(t, &shop{}), mutate(t, func(o map[string]any) { item(o, 0)["sku"] = long }))
	if strings.Contains(w.Body.String(), strings.Repeat("secret", 6)) {
		t.Fatalf("answer echoes the value: %s", w.Body)
	}
}

func TestUnknownFieldsRejectedOnlyWhereClosedUnlessStrict(t *testing.T) {
	extra := mutate(t, func(o map[string]any) { customer(o)["nickname"] = "Countess" })
	if w := post(newHandler(t, &shop{}), extra); w.Code != 201 {
		t.Fatalf("open object rejected an unknown field: %d %s", w.Code, w.Body)
	}
	w := post(newHandler(t, &shop{}, httpapi.WithStrictFields()), extra)
	p := decode(t, w)
	if w.Code != 400 || len(p.Errors) != 1 || p.Errors[0].Location != "/body/customer/nickname" {
		t.Fatalf("strict mode: %d %+v", w.Code, p.Errors)
	}
	// Declared additional properties are never unknown.
	if w := post(newHandler(t, &shop{}, httpapi.WithStrictFields()), ValidOrder); w.Code != 201 {
		t.Fatalf("strict mode rejected declared additional properties: %d %s", w.Code, w.Body)
	}
}

func TestCustomFormat(t *testing.T) {
	transfer := func(iban string) string {
		return mutate(t, func(o map[string]any) { o["payment"] = map[string]any{"method": "transfer", "iban": iban} })
	}
	iban := func(s string) error {
		if !strings.HasPrefix(s, "DE") || len(s) != 22 {
			return errors.New("not a German IBAN")
		}
		return nil
	}
	h := newHandler(t, &shop{}, httpapi.WithFormat("iban", iban))
	if w := post(h, transfer("DE89370400440532013000")); w.Code != 201 {
		t.Fatalf("valid IBAN: %d %s", w.Code, w.Body)
	}
	w := post(h, transfer("XX00"))
	if p := decode(t, w); w.Code != 400 || p.Errors[0].Rule != "format" || p.Errors[0].Location != "/body/payment/iban" {
		t.Fatalf("invalid IBAN: %d %+v", w.Code, p.Errors)
	}
	// Without a checker, an unknown format is an annotation.
	if w := post(newHandler(t, &shop{}), transfer("XX00")); w.Code != 201 {
		t.Fatalf("unregistered format: %d", w.Code)
	}
}

func TestParametersAreValidated(t *testing.T) {
	h := newHandler(t, &shop{})
	for target, want := range map[string]string{
		"/orders?limit=0":        "minimum /query/limit",
		"/orders?limit=101":      "maximum /query/limit",
		"/orders?status=lost":    "enum /query/status",
		"/orders?ids=1,2,1":      "uniqueItems /query/ids/2",
		"/orders?ids=1,2,3,4":    "maxItems /query/ids",
		"/orders?limit=5&ids=1,": "",
	} {
		r := httptest.NewRequest("GET", target, nil)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if want == "" {
			if w.Code != 400 {
				t.Errorf("%s: %d", target, w.Code)
			}
			continue
		}
		p := decode(t, w)
		if w.Code != 400 || len(p.Errors) != 1 || p.Errors[0].Rule+" "+p.Errors[0].Location != want {
			t.Errorf("%s: %d %+v, want %s", target, w.Code, p.Errors, want)
		}
	}
	r := httptest.NewRequest("GET", "/orders?limit=5", nil)
	r.Header.Set("X-Trace", "not-hex!")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if p := decode(t, w); w.Code != 400 || p.Errors[0].Location != "/header/X-Trace" || p.Errors[0].Rule != "pattern" {
		t.Errorf("header: %d %+v", w.Code, p.Errors)
	}
}

func TestParametersAndBodyViolationsAreListedTogether(t *testing.T) {
	// Only createOrder has a body; use a bad body and check one 400 lists all.
	bad := mutate(t, func(o map[string]any) { o["status"] = "lost"; customer(o)["email"] = "x" })
	p := decode(t, post(newHandler(t, &shop{}), bad))
	if len(p.Errors) != 2 {
		t.Fatalf("%+v", p.Errors)
	}
}

// tripwire fails the test when read past the limit.
type tripwire struct {
	r     io.Reader
	read  int
	limit int
	t     *testing.T
}

func (tw *tripwire) Read(p []byte) (int, error) {
	n, err := tw.r.Read(p)
	tw.read += n
	if tw.read > tw.limit+4096 {
		tw.t.Errorf("read %d bytes of a body limited to %d", tw.read, tw.limit)
		return n, errors.New("tripwire")
	}
	return n, err
}

func TestOversizedBodyIs413WithoutReadingPastTheLimit(t *testing.T) {
	h := newHandler(t, &shop{}, httpapi.WithMaxBodyBytes(1024))
	body := &tripwire{r: strings.NewReader(`{"items":[` + strings.Repeat(`{"sku":"ABC-0001"},`, 1<<16) + `{}]}`), limit: 1024, t: t}
	r := httptest.NewRequest("POST", "/orders", body)
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 413 {
		t.Fatalf("status %d, want 413", w.Code)
	}
}

func TestWrongContentTypeIs415(t *testing.T) {
	r := httptest.NewRequest("POST", "/orders", strings.NewReader(ValidOrder))
	r.Header.Set("Content-Type", "text/plain")
	w := httptest.NewRecorder()
	newHandler(t, &shop{}).ServeHTTP(w, r)
	if w.Code != 415 {
		t.Fatalf("status %d, want 415", w.Code)
	}
}

func TestResponseValidationOption(t *testing.T) {
	bad := validation.Order{Status: "lost"} // no items, no customer email: breaks the spec
	s := &shop{answer: &bad}
	if w := post(newHandler(t, s), ValidOrder); w.Code != 201 {
		t.Fatalf("without the option the answer goes out: %d", w.Code)
	}
	w := post(newHandler(t, s, httpapi.WithResponseValidation()), ValidOrder)
	if w.Code != 500 || strings.Contains(w.Body.String(), "lost") {
		t.Fatalf("with the option: %d %s, want 500 without the answer", w.Code, w.Body)
	}
	s.answer = nil
	if w := post(newHandler(t, s, httpapi.WithResponseValidation()), ValidOrder); w.Code != 201 {
		t.Fatalf("a valid answer was refused: %d %s", w.Code, w.Body)
	}
}

// FuzzCreateOrder feeds random JSON to the generated handler. It never
// panics, and the handler is never called with an order that breaks the
// schema: what reaches it is re-checked by encoding it and sending it
// through validation again.
func FuzzCreateOrder(f *testing.F) {
	f.Add(ValidOrder)
	f.Add(`{}`)
	f.Add(`{"status":"new","createdAt":"2026-01-01T00:00:00Z","customer":{"name":"a","email":"a@b.co"},"items":[{"sku":"ABC-0001","quantity":1,"price":1}]}`)
	f.Add(`[1,2,3]`)
	f.Add(`{"payment":{"method":"card"}}`)
	f.Fuzz(func(t *testing.T, body string) {
		var reached []validation.Order
		s := &recordingShop{reached: &reached}
		h, err := validation.NewHandler(s, validation.Security{}, httpapi.WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			t.Fatal(err)
		}
		w := post(h, body)
		if w.Code == 201 && len(reached) != 1 {
			t.Fatalf("201 without the handler")
		}
		for _, o := range reached {
			// What reached the handler must pass validation itself.
			b, err := json.Marshal(o)
			if err != nil {
				t.Fatal(err)
			}
			var again []validation.Order
			h2, _ := validation.NewHandler(&recordingShop{reached: &again}, validation.Security{}, httpapi.WithLogger(slog.New(slog.DiscardHandler)))
			// readOnly id may come back from the typed value; drop it.
			var m map[string]any
			json.Unmarshal(b, &m)
			delete(m, "id")
			b, _ = json.Marshal(m)
			if w2 := post(h2, string(b)); w2.Code != 201 {
				t.Fatalf("handler got an order that breaks the schema:\ninput %s\ntyped %s\n%s", body, b, w2.Body)
			}
		}
	})
}

type recordingShop struct {
	validation.Unimplemented
	reached *[]validation.Order
}

func (s *recordingShop) CreateOrder(_ context.Context, req validation.CreateOrderRequest) (validation.CreateOrderResponse, error) {
	*s.reached = append(*s.reached, req.Body)
	return validation.NewCreateOrder201JSONResponse(req.Body), nil
}

var _ = fmt.Sprint
