package params_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/securegen/securegen/internal/e2e/params"
	"github.com/securegen/securegen/runtime/httpapi"
)

// echo answers with the request it was given, as JSON, so tests see what
// the generated handler bound.
type echo struct{}

func asMap(v any) map[string]any {
	b, _ := json.Marshal(v)
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

func (echo) Root(_ context.Context, req params.RootRequest) (params.RootResponse, error) {
	return params.NewRoot200JSONResponse(map[string]any{"root": true}), nil
}
func (echo) PutOptionalBody(_ context.Context, req params.PutOptionalBodyRequest) (params.PutOptionalBodyResponse, error) {
	if req.Body == nil {
		return params.NewPutOptionalBody2XXTextPlainResponse(202, strings.NewReader("no body")), nil
	}
	return params.NewPutOptionalBody200JSONResponse(asMap(req)), nil
}
func (echo) PostBody(_ context.Context, req params.PostBodyRequest) (params.PostBodyResponse, error) {
	if req.RawBody != nil {
		b, err := io.ReadAll(req.RawBody)
		if err != nil {
			return nil, err
		}
		return params.NewPostBody200JSONResponse(map[string]any{"raw": string(b), "contentType": req.ContentType}), nil
	}
	return params.NewPostBody200JSONResponse(asMap(req)), nil
}
func (echo) GetFile(_ context.Context, req params.GetFileRequest) (params.GetFileResponse, error) {
	return params.NewGetFile200JSONResponse(asMap(req)), nil
}
func (echo) Headers(_ context.Context, req params.HeadersRequest) (params.HeadersResponse, error) {
	return params.NewHeaders200JSONResponse(asMap(req)), nil
}
func (echo) PathLabel(_ context.Context, req params.PathLabelRequest) (params.PathLabelResponse, error) {
	return params.NewPathLabel200JSONResponse(asMap(req)), nil
}
func (echo) PathMatrix(_ context.Context, req params.PathMatrixRequest) (params.PathMatrixResponse, error) {
	return params.NewPathMatrix200JSONResponse(asMap(req)), nil
}
func (echo) Query(_ context.Context, req params.QueryRequest) (params.QueryResponse, error) {
	return params.NewQuery200JSONResponse(asMap(req)), nil
}
func (echo) PathSimple(_ context.Context, req params.PathSimpleRequest) (params.PathSimpleResponse, error) {
	return params.NewPathSimple200JSONResponse(asMap(req)), nil
}

func newHandler(t *testing.T, opts ...params.Option) http.Handler {
	t.Helper()
	h, err := params.NewHandler(echo{}, params.Security{}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestParameterStyles(t *testing.T) {
	h := newHandler(t)
	tests := []struct {
		name   string
		target string
		header map[string]string
		want   string // the echoed request, as compact JSON
	}{
		{"path simple", "/simple/5/a,b/x=1,y=2", nil, `{"ID":5,"List":["a","b"],"Obj":{"x":1,"y":2}}`},
		{"path label", "/label/.abc/.1.2.3", nil, `{"ID":"abc","List":[1,2,3]}`},
		{"path matrix", "/matrix/;id=abc/;list=a,b", nil, `{"ID":"abc","List":["a","b"]}`},
		{"path with literal suffix", "/files/report.json", nil, `{"Name":"report"}`},
		{"path percent-encoded", "/files/a%2Fb.json", nil, `{"Name":"a/b"}`},
		{"query form explode", "/query?limit=3&tags=a&tags=b", nil, `{"Limit":3,"Tags":["a","b"]}`},
		{"query form no explode", "/query?limit=1&ids=1,2,3", nil, `{"Limit":1,"Ids":[1,2,3]}`},
		{"query spaceDelimited", "/query?limit=1&spaced=a%20b", nil, `{"Limit":1,"Spaced":["a","b"]}`},
		{"query pipeDelimited", "/query?limit=1&piped=a|b", nil, `{"Limit":1,"Piped":["a","b"]}`},
		{"query deepObject", "/query?limit=1&filter[x]=3&filter[y]=4", nil, `{"Limit":1,"Filter":{"x":3,"y":4}}`},
		{"query enum and date-time", "/query?limit=1&sort=desc&since=2024-01-02T03:04:05Z", nil, `{"Limit":1,"Sort":"desc","Since":"2024-01-02T03:04:05Z"}`},
		{"header and cookie", "/headers", map[string]string{
			"X-Request-ID": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "X-Tags": "a,b", "X-Point": "x=1,y=2",
			"Cookie": "session=s1; retries=3"},
			`{"XRequestID":"7c9e6679-7425-40de-944b-e07fc1f90ae7","XTags":["a","b"],"XPoint":{"x":1,"y":2},"Session":"s1","Retries":3}`},
		{"optional header and cookie absent", "/headers", map[string]string{
			"X-Request-ID": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "Cookie": "retries=0"},
			`{"XRequestID":"7c9e6679-7425-40de-944b-e07fc1f90ae7","XTags":null,"Retries":0}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tt.target, nil)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != 200 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			assertJSONSubset(t, w.Body.Bytes(), tt.want)
		})
	}
}

// assertJSONSubset checks that every key of want has the same value in got.
func assertJSONSubset(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, wnt map[string]any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("answer %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &wnt); err != nil {
		t.Fatal(err)
	}
	for k, v := range wnt {
		gv, _ := json.Marshal(g[k])
		wv, _ := json.Marshal(v)
		if string(gv) != string(wv) {
			t.Errorf("%s = %s, want %s (answer %s)", k, gv, wv, got)
		}
	}
}

func TestBadRequestsAreAnsweredWithProblems(t *testing.T) {
	h := newHandler(t, httpapi.WithMaxBodyBytes(64))
	tests := []struct {
		name, method, target, ctype, body string
		header                            map[string]string
		status                            int
		allow                             string
		location                          string
	}{
		{name: "bad path integer", method: "GET", target: "/simple/x/a/x,1", status: 400, location: "/path/id"},
		{name: "missing required query", method: "GET", target: "/query", status: 400, location: "/query/limit"},
		{name: "bad query integer", method: "GET", target: "/query?limit=many", status: 400, location: "/query/limit"},
		{name: "bad date-time", method: "GET", target: "/query?limit=1&since=yesterday", status: 400, location: "/query/since"},
		{name: "missing required header", method: "GET", target: "/headers", header: map[string]string{"Cookie": "retries=1"}, status: 400, location: "/header/X-Request-ID"},
		{name: "bad uuid header", method: "GET", target: "/headers", header: map[string]string{"X-Request-ID": "nope", "Cookie": "retries=1"}, status: 400, location: "/header/X-Request-ID"},
		{name: "missing required cookie", method: "GET", target: "/headers", header: map[string]string{"X-Request-ID": "7c9e6679-7425-40de-944b-e07fc1f90ae7"}, status: 400, location: "/cookie/retries"},
		{name: "unknown path", method: "GET", target: "/nowhere", status: 404},
		{name: "literal suffix mismatch", method: "GET", target: "/files/report.txt", status: 404},
		{name: "unknown method", method: "DELETE", target: "/bodies", status: 405, allow: "POST, PUT"},
		{name: "missing required body", method: "POST", target: "/bodies", status: 400},
		{name: "broken JSON body", method: "POST", target: "/bodies", ctype: "application/json", body: `{"x":`, status: 400},
		{name: "wrong JSON type", method: "POST", target: "/bodies", ctype: "application/json", body: `{"x":"one"}`, status: 400},
		{name: "trailing data", method: "POST", target: "/bodies", ctype: "application/json", body: `{"x":1} {}`, status: 400},
		{name: "unsupported media type", method: "POST", target: "/bodies", ctype: "application/xml", body: `<x/>`, status: 415},
		{name: "body too large", method: "POST", target: "/bodies", ctype: "application/json", body: `{"x":1,"y":` + strings.Repeat("1", 100) + `}`, status: 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			r := httptest.NewRequest(tt.method, tt.target, body)
			if tt.ctype != "" {
				r.Header.Set("Content-Type", tt.ctype)
			}
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("content type %q, want application/problem+json (body %s)", ct, w.Body)
			}
			var p httpapi.Problem
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Status != tt.status {
				t.Fatalf("not a problem document: %s (%v)", w.Body, err)
			}
			if tt.allow != "" && w.Header().Get("Allow") != tt.allow {
				t.Fatalf("Allow %q, want %q", w.Header().Get("Allow"), tt.allow)
			}
			if tt.location != "" && (len(p.Errors) == 0 || p.Errors[0].Location != tt.location) {
				t.Fatalf("violations %+v, want location %s", p.Errors, tt.location)
			}
		})
	}
}

func TestBodies(t *testing.T) {
	h := newHandler(t)
	do := func(method, ctype, body string) *httptest.ResponseRecorder {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		r := httptest.NewRequest(method, "/bodies", rd)
		if ctype != "" {
			r.Header.Set("Content-Type", ctype)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	w := do("POST", "application/json; charset=utf-8", `{"x":1,"y":2}`)
	if w.Code != 200 {
		t.Fatalf("JSON body: %d %s", w.Code, w.Body)
	}
	assertJSONSubset(t, w.Body.Bytes(), `{"Body":{"x":1,"y":2}}`)

	w = do("POST", "text/plain", "hello")
	if w.Code != 200 {
		t.Fatalf("text body: %d %s", w.Code, w.Body)
	}
	assertJSONSubset(t, w.Body.Bytes(), `{"raw":"hello","contentType":"text/plain"}`)

	w = do("PUT", "", "")
	if w.Code != 202 || w.Body.String() != "no body" || w.Header().Get("Content-Type") != "text/plain" {
		t.Fatalf("optional body absent: %d %q %q", w.Code, w.Body, w.Header().Get("Content-Type"))
	}
	w = do("PUT", "application/json", `{"x":5}`)
	assertJSONSubset(t, w.Body.Bytes(), `{"Body":{"x":5}}`)
}

func TestRootPathMatchesOnlyItself(t *testing.T) {
	h := newHandler(t)
	for target, status := range map[string]int{"/": 200, "/anything": 404} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", target, nil))
		if w.Code != status {
			t.Errorf("GET %s: %d, want %d", target, w.Code, status)
		}
	}
}

func TestUnimplementedAnswers501(t *testing.T) {
	h, err := params.NewHandler(params.Unimplemented{}, params.Security{})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != 501 || w.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("got %d %q", w.Code, w.Header().Get("Content-Type"))
	}
}

// undeclared answers 2XX with 500, which the spec does not allow.
type undeclared struct{ echo }

func (undeclared) PutOptionalBody(context.Context, params.PutOptionalBodyRequest) (params.PutOptionalBodyResponse, error) {
	return params.NewPutOptionalBody2XXTextPlainResponse(500, strings.NewReader("x")), nil
}

func TestAnswerWithUndeclaredStatusIs500(t *testing.T) {
	h, err := params.NewHandler(undeclared{}, params.Security{})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("PUT", "/bodies", nil))
	if w.Code != 500 || w.Body.String() == "x" {
		t.Fatalf("got %d %q", w.Code, w.Body)
	}
}
