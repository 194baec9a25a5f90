package validation_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/securegen/securegen/internal/e2e/validation"
	"github.com/securegen/securegen/runtime/httpapi"
)

type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *nopWriter) WriteHeader(int)             {}

// emptyShop answers 201 without echoing, so the benchmark measures the
// request side: validation and decoding.
type emptyShop struct{ validation.Unimplemented }

func (emptyShop) CreateOrder(context.Context, validation.CreateOrderRequest) (validation.CreateOrderResponse, error) {
	return validation.CreateOrder201JSONResponse{}, nil
}

// BenchmarkValidateOrder validates the same 2 KB order, in the same run,
// with the generated handler (validation, then decoding into the typed
// Order, then the handler) and with kin-openapi's
// openapi3filter.ValidateRequest (validation only).
func BenchmarkValidateOrder(b *testing.B) {
	body := []byte(ValidOrder)
	b.Run("securegen", func(b *testing.B) {
		h, err := validation.NewHandler(emptyShop{}, validation.Security{}, httpapi.WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			b.Fatal(err)
		}
		r := httptest.NewRequest("POST", "/orders", nil)
		r.Header.Set("Content-Type", "application/json")
		rd := bytes.NewReader(body)
		w := &nopWriter{h: http.Header{}}
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			rd.Reset(body)
			r.Body = io.NopCloser(rd)
			r.ContentLength = int64(len(body))
			h.ServeHTTP(w, r)
		}
	})
	b.Run("openapi3filter", func(b *testing.B) {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromFile("../../../testdata/specs/validation.yaml")
		if err != nil {
			b.Fatal(err)
		}
		router, err := gorillamux.NewRouter(doc)
		if err != nil {
			b.Fatal(err)
		}
		r := httptest.NewRequest("POST", "/orders", nil)
		r.Header.Set("Content-Type", "application/json")
		route, params, err := router.FindRoute(r)
		if err != nil {
			b.Fatal(err)
		}
		rd := bytes.NewReader(body)
		ctx := context.Background()
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			rd.Reset(body)
			r.Body = io.NopCloser(rd)
			r.ContentLength = int64(len(body))
			in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route}
			if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestBenchmarkOrderIsValidForBoth(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile("../../../testdata/specs/validation.yaml")
	if err != nil {
		t.Fatal(err)
	}
	router, _ := gorillamux.NewRouter(doc)
	r := httptest.NewRequest("POST", "/orders", bytes.NewReader([]byte(ValidOrder)))
	r.Header.Set("Content-Type", "application/json")
	route, params, err := router.FindRoute(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route}); err != nil {
		t.Fatalf("openapi3filter rejects the benchmark order: %v", err)
	}
	if len(ValidOrder) < 1800 || len(ValidOrder) > 2300 {
		t.Fatalf("benchmark order is %d bytes, want about 2 KB", len(ValidOrder))
	}
}
