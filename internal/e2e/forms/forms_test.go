package forms_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/securegen/securegen/internal/e2e/forms"
	"github.com/securegen/securegen/runtime/auth"
	"github.com/securegen/securegen/runtime/httpapi"
)

// clerk records what reached each handler. Files are read inside the
// handler: a multipart body's temporary files live until it returns.
type clerk struct {
	forms.Unimplemented
	mu      sync.Mutex
	charges []forms.ChargeParams
	notes   []forms.PutNoteRequest
	uploads []upload
	// during runs inside Upload, before it returns.
	during func(req forms.UploadRequest)
}

// upload is what Upload received, with the files' names and contents.
type upload struct {
	body        forms.UploadRequestBody
	file        string
	fileName    string
	thumbnail   string
	attachments []string
}

func (c *clerk) CreateCharge(_ context.Context, req forms.CreateChargeRequest) (forms.CreateChargeResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.charges = append(c.charges, req.Body)
	return forms.NewCreateCharge204Response(), nil
}

func (c *clerk) PutNote(_ context.Context, req forms.PutNoteRequest) (forms.PutNoteResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if req.RawBody != nil {
		raw, err := io.ReadAll(req.RawBody)
		if err != nil {
			return nil, err
		}
		req.RawBody = io.NopCloser(bytes.NewReader(raw))
	}
	c.notes = append(c.notes, req)
	return forms.NewPutNote204Response(), nil
}

func (c *clerk) Upload(_ context.Context, req forms.UploadRequest) (forms.UploadResponse, error) {
	if c.during != nil {
		c.during(req)
	}
	read := func(b []byte, err error) string {
		if err != nil {
			return "error: " + err.Error()
		}
		return string(b)
	}
	u := upload{body: req.Body, file: read(req.Body.File.Bytes()), fileName: req.Body.File.Filename()}
	if req.Body.Thumbnail != nil {
		u.thumbnail = read(req.Body.Thumbnail.Bytes())
	}
	for _, a := range req.Body.Attachments {
		u.attachments = append(u.attachments, read(a.Bytes()))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.uploads = append(c.uploads, u)
	return forms.NewUpload204Response(), nil
}

func (c *clerk) reached() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.charges) + len(c.notes) + len(c.uploads)
}

func newHandler(t testing.TB, c *clerk, opts ...forms.Option) http.Handler {
	t.Helper()
	keys := auth.VerifierFunc(func(_ context.Context, cr auth.Credential) (*auth.Principal, error) {
		if cr.Token != "key-1" {
			return nil, errors.New("unknown key")
		}
		return &auth.Principal{Subject: "shop"}, nil
	})
	opts = append([]forms.Option{httpapi.WithLogger(slog.New(slog.DiscardHandler))}, opts...)
	h, err := forms.NewHandler(c, forms.Security{APIKey: keys}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func send(h http.Handler, method, path, contentType string, body io.Reader) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, body)
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	r.Header.Set("X-API-Key", "key-1")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func postForm(h http.Handler, body string) *httptest.ResponseRecorder {
	return send(h, "POST", "/charges", "application/x-www-form-urlencoded", strings.NewReader(body))
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

// violation fails unless w is a 400 listing a violation of rule at loc.
func violation(t *testing.T, w *httptest.ResponseRecorder, loc, rule string) {
	t.Helper()
	if w.Code != http.StatusBadRequest {
		t.Fatalf("status %d, want 400: %s", w.Code, w.Body)
	}
	p := decode(t, w)
	for _, e := range p.Errors {
		if e.Location == loc && e.Rule == rule {
			return
		}
	}
	t.Fatalf("no %s violation at %s in %s", rule, loc, w.Body)
}

// stripeCharge is a charge as Stripe's clients send it: nested keys for
// objects and arrays, repeated keys, and delimited values.
const stripeCharge = "amount=2000&currency=eur&capture=true&rate=0.25&description=Order+%236735" +
	"&metadata[order_id]=6735&metadata[note]=gift%20wrap" +
	"&items[0][price]=price_1abc&items[0][quantity]=2&items[1][price]=price_2def" +
	"&expand[]=customer&expand[]=invoice" +
	"&tags=red&tags=blue" +
	"&codes=10|20|30&flags=true,false" +
	"&shipping[name]=Ada+Lovelace&shipping[address][line1]=12+Main+St&shipping[address][postal_code]=01234&shipping[address][floor]=3" +
	"&tax_rates[0]=txr_1&tax_rates[1]=txr_2"

func ptr[T any](v T) *T { return &v }

func TestURLEncodedChargeReachesTheHandlerTyped(t *testing.T) {
	c := &clerk{}
	h := newHandler(t, c)
	w := postForm(h, stripeCharge)
	if w.Code != http.StatusNoContent {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	got := c.charges[0]
	want := forms.ChargeParams{
		Amount: 2000, Currency: forms.ChargeParamsCurrencyEur, Capture: ptr(true), Rate: ptr(0.25),
		Description: ptr("Order #6735"),
		Metadata:    map[string]string{"order_id": "6735", "note": "gift wrap"},
		Items:       []forms.LineItem{{Price: "price_1abc", Quantity: ptr(2)}, {Price: "price_2def"}},
		Expand:      []string{"customer", "invoice"},
		Tags:        []string{"red", "blue"},
		Codes:       []int{10, 20, 30},
		Flags:       []bool{true, false},
		Shipping: &forms.ChargeParamsShipping{Name: "Ada Lovelace", Address: &forms.ChargeParamsShippingAddress{
			Line1: ptr("12 Main St"), PostalCode: ptr("01234"), Floor: ptr(3)}},
	}
	rates := got.TaxRates
	got.TaxRates = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("body\n got %+v\nwant %+v", got, want)
	}
	// A postal code of digits stays a string: its schema says string.
	if got.Shipping == nil || got.Shipping.Address == nil || *got.Shipping.Address.PostalCode != "01234" {
		t.Errorf("postal code %+v", got.Shipping)
	}
	if raw, err := json.Marshal(rates); err != nil || string(raw) != `["txr_1","txr_2"]` {
		t.Errorf("tax_rates %s, %v; want the array", raw, err)
	}
}

// TestURLEncodedWithParameters: the media type's parameters, such as a
// charset, do not change how the form is read.
func TestURLEncodedWithParameters(t *testing.T) {
	c := &clerk{}
	w := send(newHandler(t, c), "POST", "/charges", "application/x-www-form-urlencoded; charset=UTF-8", strings.NewReader("amount=5&currency=usd"))
	if w.Code != http.StatusNoContent || c.charges[0].Amount != 5 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
}

// TestJSONAndFormDecodeIntoTheSameBody sends one charge as JSON and as a
// form: the handler receives the same typed Body.
func TestJSONAndFormDecodeIntoTheSameBody(t *testing.T) {
	c := &clerk{}
	h := newHandler(t, c)
	if w := postForm(h, stripeCharge); w.Code != http.StatusNoContent {
		t.Fatalf("form: status %d: %s", w.Code, w.Body)
	}
	js := `{"amount": 2000, "currency": "eur", "capture": true, "rate": 0.25, "description": "Order #6735",
		"metadata": {"order_id": "6735", "note": "gift wrap"},
		"items": [{"price": "price_1abc", "quantity": 2}, {"price": "price_2def"}],
		"expand": ["customer", "invoice"], "tags": ["red", "blue"], "codes": [10, 20, 30], "flags": [true, false],
		"shipping": {"name": "Ada Lovelace", "address": {"line1": "12 Main St", "postal_code": "01234", "floor": 3}},
		"tax_rates": ["txr_1", "txr_2"]}`
	if w := send(h, "POST", "/charges", "application/json", strings.NewReader(js)); w.Code != http.StatusNoContent {
		t.Fatalf("JSON: status %d: %s", w.Code, w.Body)
	}
	if !reflect.DeepEqual(c.charges[0], c.charges[1]) {
		t.Errorf("form and JSON bodies differ:\nform %+v\nJSON %+v", c.charges[0], c.charges[1])
	}
	// The same violation, at the same location, from either media type.
	for _, w := range []*httptest.ResponseRecorder{
		postForm(h, "amount=0&currency=eur"),
		send(h, "POST", "/charges", "application/json", strings.NewReader(`{"amount": 0, "currency": "eur"}`)),
	} {
		violation(t, w, "/body/amount", "minimum")
	}
}

func TestURLEncodedViolationsAreLocated(t *testing.T) {
	tests := []struct {
		name, body, loc, rule string
	}{
		{"not a number", "amount=abc&currency=eur", "/body/amount", "type"},
		{"a fraction for an integer", "amount=1.5&currency=eur", "/body/amount", "type"},
		{"below the minimum", "amount=0&currency=eur", "/body/amount", "minimum"},
		{"not in the enum", "amount=1&currency=gbp", "/body/currency", "enum"},
		{"missing required", "amount=1", "/body/currency", "required"},
		{"not a boolean", "amount=1&currency=eur&capture=yes", "/body/capture", "type"},
		{"above the maximum", "amount=1&currency=eur&rate=2", "/body/rate", "maximum"},
		{"unknown property", "amount=1&currency=eur&coupon=X", "/body/coupon", "additionalProperties"},
		{"bracketed unknown property", "amount=1&currency=eur&coupon[code]=X", "/body/coupon[code]", "additionalProperties"},
		{"nested type", "amount=1&currency=eur&items[0][price]=price_1&items[0][quantity]=two", "/body/items/0/quantity", "type"},
		{"nested pattern", "amount=1&currency=eur&items[0][price]=sku-1", "/body/items/0/price", "pattern"},
		{"nested required", "amount=1&currency=eur&items[0][quantity]=1", "/body/items/0/price", "required"},
		{"nested unknown", "amount=1&currency=eur&shipping[name]=A&shipping[address][zip]=1", "/body/shipping/address/zip", "additionalProperties"},
		{"deep integer", "amount=1&currency=eur&shipping[name]=A&shipping[address][floor]=third", "/body/shipping/address/floor", "type"},
		{"map value too long", "amount=1&currency=eur&metadata[k]=" + strings.Repeat("x", 51), "/body/metadata/k", "maxLength"},
		{"too many map entries", "amount=1&currency=eur&metadata[a]=1&metadata[b]=1&metadata[c]=1&metadata[d]=1&metadata[e]=1&metadata[f]=1", "/body/metadata", "maxProperties"},
		{"object as text", "amount=1&currency=eur&metadata=x", "/body/metadata", "type"},
		{"pipe-delimited item", "amount=1&currency=eur&codes=1|x|3", "/body/codes/1", "type"},
		{"comma-delimited item", "amount=1&currency=eur&flags=true,maybe", "/body/flags/1", "type"},
		{"array index gap", "amount=1&currency=eur&items[0][price]=price_a&items[2][price]=price_b", "/body/items", "type"},
		{"array as object", "amount=1&currency=eur&items[first][price]=price_a", "/body/items", "type"},
		{"emptyable list with another text", "amount=1&currency=eur&tax_rates=all", "/body/tax_rates", "anyOf"},
		{"number past the budget", "amount=" + strings.Repeat("1", 200) + "&currency=eur", "/body/amount", "maxNumberLength"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &clerk{}
			violation(t, postForm(newHandler(t, c), tt.body), tt.loc, tt.rule)
			if c.reached() != 0 {
				t.Error("the handler was reached with an invalid body")
			}
		})
	}
}

func TestURLEncodedShapes(t *testing.T) {
	tests := []struct {
		name, body string
		check      func(b forms.ChargeParams) bool
	}{
		{"indices in any order", "amount=1&currency=eur&items[1][price]=price_b&items[0][price]=price_a",
			func(b forms.ChargeParams) bool {
				return len(b.Items) == 2 && b.Items[0].Price == "price_a" && b.Items[1].Price == "price_b"
			}},
		{"indexed list of strings", "amount=1&currency=eur&expand[0]=a&expand[1]=b",
			func(b forms.ChargeParams) bool { return reflect.DeepEqual(b.Expand, []string{"a", "b"}) }},
		{"one repeated-key item", "amount=1&currency=eur&tags=solo",
			func(b forms.ChargeParams) bool { return reflect.DeepEqual(b.Tags, []string{"solo"}) }},
		{"bracketed repeated-key array", "amount=1&currency=eur&tags[]=a&tags[]=b",
			func(b forms.ChargeParams) bool { return reflect.DeepEqual(b.Tags, []string{"a", "b"}) }},
		{"empty delimited array", "amount=1&currency=eur&codes=",
			func(b forms.ChargeParams) bool { return b.Codes != nil && len(b.Codes) == 0 }},
		{"emptyable list cleared", "amount=1&currency=eur&tax_rates=",
			func(b forms.ChargeParams) bool {
				raw, err := json.Marshal(b.TaxRates)
				return err == nil && string(raw) == `""`
			}},
		{"a number as text where the schema says string", "amount=1&currency=eur&description=42",
			func(b forms.ChargeParams) bool { return b.Description != nil && *b.Description == "42" }},
		{"invalid UTF-8 replaced as in JSON", "amount=1&currency=eur&description=a%FFb",
			func(b forms.ChargeParams) bool { return b.Description != nil && *b.Description == "a\uFFFDb" }},
		{"empty pairs skipped", "&&amount=1&&currency=eur&",
			func(b forms.ChargeParams) bool { return b.Amount == 1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &clerk{}
			w := postForm(newHandler(t, c), tt.body)
			if w.Code != http.StatusNoContent {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if !tt.check(c.charges[0]) {
				t.Errorf("body %+v", c.charges[0])
			}
		})
	}
}

func TestURLEncodedRepeatedKeys(t *testing.T) {
	tests := []struct{ name, body, loc string }{
		{"scalar", "amount=1&amount=2&currency=eur", "/body/amount"},
		{"deepObject member", "amount=1&currency=eur&metadata[a]=1&metadata[a]=2", "/body/metadata/a"},
		{"indexed item", "amount=1&currency=eur&items[0][price]=price_a&items[0][price]=price_b", "/body/items/0/price"},
		{"delimited array", "amount=1&currency=eur&codes=1|2&codes=3", "/body/codes"},
		{"value and object", "amount=1&currency=eur&shipping=x&shipping[name]=A", "/body/shipping"},
		{"undeclared", "amount=1&currency=eur&coupon=a&coupon=b", "/body/coupon"},
		{"[] then the same index", "amount=1&currency=eur&expand[]=a&expand[0]=b", "/body/expand/0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &clerk{}
			violation(t, postForm(newHandler(t, c), tt.body), tt.loc, "duplicateKey")
			if c.reached() != 0 {
				t.Error("the handler was reached with a repeated key")
			}
		})
	}
}

// deepKey returns shipping[address] followed by n more [x] segments.
func deepKey(n int) string {
	return "shipping[address]" + strings.Repeat("[x]", n)
}

func TestURLEncodedDepthBudget(t *testing.T) {
	c := &clerk{}
	h := newHandler(t, c, httpapi.WithMaxDepth(8))
	// The body, shipping, address and five objects named x nest eight
	// levels, the budget, as the same JSON would: the key is within it,
	// and the schema refuses the member.
	violation(t, postForm(h, "amount=1&currency=eur&shipping[name]=A&"+deepKey(6)+"=1"), "/body/shipping/address/x", "additionalProperties")
	// One more is past it, located as the JSON decoder locates it.
	w := postForm(h, "amount=1&currency=eur&shipping[name]=A&"+deepKey(7)+"=1")
	violation(t, w, "/body/shipping/address/x/x/x/x/x/x", "maxDepth")
	if p := decode(t, w); len(p.Errors) != 1 {
		t.Errorf("a budget stops reading: want one violation, got %s", w.Body)
	}
	// The same nesting in JSON meets the budget at the same place.
	js := `{"amount": 1, "currency": "eur", "shipping": {"name": "A", "address": ` + strings.Repeat(`{"x": `, 7) + `1` + strings.Repeat(`}`, 8) + `}}`
	violation(t, send(h, "POST", "/charges", "application/json", strings.NewReader(js)), "/body/shipping/address/x/x/x/x/x/x", "maxDepth")
	// The default budget, and a key far past it, read in time linear in
	// its length.
	w = postForm(newHandler(t, c), "amount=1&currency=eur&"+deepKey(100000)+"=1")
	violation(t, w, "/body/shipping/address"+strings.Repeat("/x", 62), "maxDepth")
	if c.reached() != 0 {
		t.Error("the handler was reached past the depth budget")
	}
}

func TestURLEncodedBudgetsAndSyntax(t *testing.T) {
	c := &clerk{}
	h := newHandler(t, c, httpapi.WithMaxBodyBytes(1<<16))
	tests := []struct {
		name, body string
		status     int
	}{
		{"past the body size limit", "amount=1&currency=eur&description=" + strings.Repeat("x", 1<<16), http.StatusRequestEntityTooLarge},
		{"more fields than net/url parses", strings.Repeat("a=1&", httpapi.MaxFormFields), http.StatusBadRequest},
		{"semicolon separator", "amount=1;currency=eur", http.StatusBadRequest},
		{"bad escape", "amount=1&currency=%zz", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := postForm(h, tt.body)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
		})
	}
	if c.reached() != 0 {
		t.Error("the handler was reached")
	}
}

func TestFormBesideARawMediaType(t *testing.T) {
	c := &clerk{}
	h := newHandler(t, c)
	if w := send(h, "PUT", "/notes", "application/x-www-form-urlencoded", strings.NewReader("text=hello&pinned=true")); w.Code != http.StatusNoContent {
		t.Fatalf("form: status %d: %s", w.Code, w.Body)
	}
	if w := send(h, "PUT", "/notes", "text/plain", strings.NewReader("plain words")); w.Code != http.StatusNoContent {
		t.Fatalf("text: status %d: %s", w.Code, w.Body)
	}
	if w := send(h, "PUT", "/notes", "", nil); w.Code != http.StatusNoContent {
		t.Fatalf("no body: status %d: %s", w.Code, w.Body)
	}
	form, text, none := c.notes[0], c.notes[1], c.notes[2]
	if form.Body == nil || form.Body.Text != "hello" || form.Body.Pinned == nil || !*form.Body.Pinned || form.RawBody != nil {
		t.Errorf("form note %+v, body %+v", form, form.Body)
	}
	if text.Body != nil || text.ContentType != "text/plain" {
		t.Errorf("text note %+v", text)
	}
	if raw, _ := io.ReadAll(text.RawBody); string(raw) != "plain words" {
		t.Errorf("text note body %q", raw)
	}
	if none.Body != nil || none.RawBody != nil {
		t.Errorf("absent body %+v", none)
	}
	violation(t, send(h, "PUT", "/notes", "application/x-www-form-urlencoded", strings.NewReader("pinned=maybe")), "/body/text", "required")
	if w := send(h, "PUT", "/notes", "application/json", strings.NewReader(`{"text":"x"}`)); w.Code != http.StatusUnsupportedMediaType {
		t.Errorf("JSON to a form-or-text operation: status %d, want 415", w.Code)
	}
}

// part is one part of a multipart body: a text field, or a file when
// filename is set.
type part struct {
	name, filename, contentType, content string
}

func multipartBody(t testing.TB, parts ...part) (contentType string, body *bytes.Buffer) {
	t.Helper()
	body = &bytes.Buffer{}
	mw := multipart.NewWriter(body)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		disposition := fmt.Sprintf(`form-data; name=%q`, p.name)
		if p.filename != "" {
			disposition += fmt.Sprintf(`; filename=%q`, p.filename)
		}
		h.Set("Content-Disposition", disposition)
		if p.contentType != "" {
			h.Set("Content-Type", p.contentType)
		}
		pw, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(pw, p.content)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), body
}

func postUpload(t testing.TB, h http.Handler, parts ...part) *httptest.ResponseRecorder {
	t.Helper()
	ct, body := multipartBody(t, parts...)
	return send(h, "POST", "/uploads", ct, body)
}

// validUpload is every field of the upload, valid.
func validUpload() []part {
	return []part{
		{name: "title", content: "Annual report"},
		{name: "pages", content: "12"},
		{name: "public", content: "true"},
		{name: "file", filename: "report.pdf", contentType: "application/pdf", content: "%PDF-1.7 the report"},
		{name: "thumbnail", filename: "thumb.png", contentType: "image/png", content: "\x89PNG small"},
		{name: "attachments", filename: "a.txt", content: "first"},
		{name: "attachments", filename: "b.txt", content: "second"},
		{name: "labels", content: "finance"},
		{name: "labels", content: "2026"},
		{name: "meta", contentType: "application/json", content: `{"source": "scanner", "version": 2}`},
		{name: "options[dpi]", content: "300"},
		{name: "options[color]", content: "false"},
	}
}

func TestMultipartUploadReachesTheHandlerTyped(t *testing.T) {
	c := &clerk{}
	w := postUpload(t, newHandler(t, c), validUpload()...)
	if w.Code != http.StatusNoContent {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	u := c.uploads[0]
	b := u.body
	if b.Title != "Annual report" || b.Pages == nil || *b.Pages != 12 || b.Public == nil || !*b.Public {
		t.Errorf("text fields %+v", b)
	}
	if !reflect.DeepEqual(b.Labels, []string{"finance", "2026"}) {
		t.Errorf("labels %q", b.Labels)
	}
	if b.Meta == nil || *b.Meta.Source != "scanner" || *b.Meta.Version != 2 {
		t.Errorf("JSON part %+v", b.Meta)
	}
	if b.Options == nil || *b.Options.Dpi != 300 || *b.Options.Color {
		t.Errorf("deepObject part %+v", b.Options)
	}
	if u.file != "%PDF-1.7 the report" || u.fileName != "report.pdf" || b.File.FileSize() != int64(len(u.file)) {
		t.Errorf("file %q named %q", u.file, u.fileName)
	}
	if u.thumbnail != "\x89PNG small" {
		t.Errorf("thumbnail %q", u.thumbnail)
	}
	if !reflect.DeepEqual(u.attachments, []string{"first", "second"}) {
		t.Errorf("attachments %q", u.attachments)
	}
}

func TestMultipartViolationsAreLocated(t *testing.T) {
	// with returns the valid upload with the parts named name replaced
	// by ps.
	with := func(name string, ps ...part) []part {
		var out []part
		for _, p := range validUpload() {
			if p.name != name {
				out = append(out, p)
			}
		}
		return append(out, ps...)
	}
	tests := []struct {
		name      string
		parts     []part
		loc, rule string
	}{
		{"not an integer", with("pages", part{name: "pages", content: "twelve"}), "/body/pages", "type"},
		{"below the minimum", with("pages", part{name: "pages", content: "0"}), "/body/pages", "minimum"},
		{"not a boolean", with("public", part{name: "public", content: "yes"}), "/body/public", "type"},
		{"missing text", with("title"), "/body/title", "required"},
		{"text too long", with("title", part{name: "title", content: strings.Repeat("t", 81)}), "/body/title", "maxLength"},
		{"missing file", with("file"), "/body/file", "required"},
		{"unknown part", with("x", part{name: "x", content: "1"}), "/body/x", "additionalProperties"},
		{"unknown file part", with("x", part{name: "x", filename: "x.bin", content: "1"}), "/body/x", "additionalProperties"},
		{"repeated text", with("title", part{name: "title", content: "a"}, part{name: "title", content: "b"}), "/body/title", "duplicateKey"},
		{"repeated file", with("file", part{name: "file", filename: "a", content: "a"}, part{name: "file", filename: "b", content: "b"}), "/body/file", "duplicateKey"},
		{"array item too long", with("labels", part{name: "labels", content: strings.Repeat("l", 21)}), "/body/labels/0", "maxLength"},
		{"too many files", with("attachments", part{name: "attachments", filename: "1", content: "1"}, part{name: "attachments", filename: "2", content: "2"},
			part{name: "attachments", filename: "3", content: "3"}, part{name: "attachments", filename: "4", content: "4"}), "/body/attachments", "maxItems"},
		{"file past its schema's maxLength", with("thumbnail", part{name: "thumbnail", filename: "big.png", content: strings.Repeat("p", 1025)}), "/body/thumbnail", "maxLength"},
		{"JSON part breaking its schema", with("meta", part{name: "meta", content: `{"version": "two"}`}), "/body/meta/version", "type"},
		{"JSON part with an unknown member", with("meta", part{name: "meta", content: `{"author": "x"}`}), "/body/meta/author", "additionalProperties"},
		{"JSON part that is not JSON", with("meta", part{name: "meta", content: `{version: 2}`}), "/body/meta", "type"},
		{"deepObject part", with("options[dpi]", part{name: "options[dpi]", content: "5000"}), "/body/options/dpi", "maximum"},
		{"file with a member", with("file", part{name: "file[x]", filename: "a", content: "a"}), "/body/file", "type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &clerk{}
			violation(t, postUpload(t, newHandler(t, c), tt.parts...), tt.loc, tt.rule)
			if c.reached() != 0 {
				t.Error("the handler was reached with an invalid body")
			}
		})
	}
}

func TestMultipartFileShapes(t *testing.T) {
	c := &clerk{}
	h := newHandler(t, c)
	var parts []part
	for _, p := range validUpload() {
		switch p.name {
		case "attachments":
			// The name HTML gives a multiple file input.
			p.name = "attachments[]"
		case "title":
			// Text sent as a file part, as curl -F title=@file does.
			p.filename = "title.txt"
		}
		parts = append(parts, p)
	}
	if w := postUpload(t, h, parts...); w.Code != http.StatusNoContent {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	u := c.uploads[0]
	if u.body.Title != "Annual report" || !reflect.DeepEqual(u.attachments, []string{"first", "second"}) {
		t.Errorf("title %q, attachments %q", u.body.Title, u.attachments)
	}
}

func TestMultipartFilePastTheBodyLimit(t *testing.T) {
	c := &clerk{}
	h := newHandler(t, c, httpapi.WithMaxBodyBytes(4096))
	parts := append(validUpload()[:3], part{name: "file", filename: "big.bin", content: strings.Repeat("b", 8192)})
	w := postUpload(t, h, parts...)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413: %s", w.Code, w.Body)
	}
	// Content-Length is not needed to refuse it: a streamed body is cut
	// at the limit.
	ct, body := multipartBody(t, parts...)
	r := httptest.NewRequest("POST", "/uploads", io.MultiReader(body))
	r.ContentLength = -1
	r.Header.Set("Content-Type", ct)
	r.Header.Set("X-API-Key", "key-1")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("streamed: status %d, want 413: %s", rec.Code, rec.Body)
	}
	if c.reached() != 0 {
		t.Error("the handler was reached past the body limit")
	}
}

// TestMultipartLargeFileIsStreamedToDisk sends a file larger than the
// memory a multipart body may hold: it reaches the handler as a
// temporary file, which is gone once the request is served.
func TestMultipartLargeFileIsStreamedToDisk(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	content := strings.Repeat("0123456789abcdef", 3<<16) // 3 MiB
	var onDisk int
	c := &clerk{during: func(forms.UploadRequest) {
		entries, _ := os.ReadDir(tmp)
		onDisk = len(entries)
	}}
	h := newHandler(t, c, httpapi.WithMaxBodyBytes(8<<20))
	parts := append(validUpload()[:3], part{name: "file", filename: "big.bin", content: content})
	if w := postUpload(t, h, parts...); w.Code != http.StatusNoContent {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if c.uploads[0].file != content {
		t.Errorf("file of %d bytes arrived as %d", len(content), len(c.uploads[0].file))
	}
	if onDisk != 1 {
		t.Errorf("%d temporary files while the handler ran, want 1", onDisk)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("temporary files left after the request: %v", entries)
	}
}

func TestMultipartBudgetsAndSyntax(t *testing.T) {
	c := &clerk{}
	h := newHandler(t, c)
	many := validUpload()
	for i := 0; i < 1000; i++ {
		many = append(many, part{name: "labels", content: "x"})
	}
	if w := postUpload(t, h, many...); w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("more parts than mime/multipart reads: status %d, want 413: %s", w.Code, w.Body)
	}
	if w := send(h, "POST", "/uploads", "multipart/form-data", strings.NewReader("--x\r\n")); w.Code != http.StatusBadRequest {
		t.Errorf("no boundary: status %d, want 400: %s", w.Code, w.Body)
	}
	if w := send(h, "POST", "/uploads", "multipart/form-data; boundary=x", strings.NewReader("--x\r\nbroken")); w.Code != http.StatusBadRequest {
		t.Errorf("truncated: status %d, want 400: %s", w.Code, w.Body)
	}
	deep := append(validUpload(), part{name: "options" + strings.Repeat("[x]", 100), content: "1"})
	violation(t, postUpload(t, h, deep...), "/body/options"+strings.Repeat("/x", 63), "maxDepth")
	if c.reached() != 0 {
		t.Error("the handler was reached")
	}
}

// TestSecurityComesBeforeTheForm: a caller without a key is refused
// before the body is read.
func TestSecurityComesBeforeTheForm(t *testing.T) {
	c := &clerk{}
	h := newHandler(t, c)
	r := httptest.NewRequest("POST", "/charges", strings.NewReader(url.Values{"amount": {"x"}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", w.Code)
	}
}
