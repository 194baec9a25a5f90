package hostile_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/securegen/securegen/internal/e2e/hostile"
	"github.com/securegen/securegen/runtime/httpapi"
)

// docs records what reached each handler, so that a test can say the
// handler never saw an invalid value.
type docs struct {
	hostile.Unimplemented
	mu       sync.Mutex
	reached  int
	document *hostile.Document
	payment  *hostile.Payment
	blob     map[string]any
	list     *hostile.ListDocumentsRequest
}

func (s *docs) hit() {
	s.mu.Lock()
	s.reached++
	s.mu.Unlock()
}

func (s *docs) CreateDocument(_ context.Context, req hostile.CreateDocumentRequest) (hostile.CreateDocumentResponse, error) {
	s.hit()
	s.document = &req.Body
	return hostile.NewCreateDocument204Response(), nil
}

func (s *docs) ReplaceDocument(_ context.Context, req hostile.ReplaceDocumentRequest) (hostile.ReplaceDocumentResponse, error) {
	s.hit()
	s.document = &req.Body
	return hostile.NewReplaceDocument204Response(), nil
}

func (s *docs) CreatePayment(_ context.Context, req hostile.CreatePaymentRequest) (hostile.CreatePaymentResponse, error) {
	s.hit()
	s.payment = &req.Body
	return hostile.NewCreatePayment204Response(), nil
}

func (s *docs) StoreBlob(_ context.Context, req hostile.StoreBlobRequest) (hostile.StoreBlobResponse, error) {
	s.hit()
	s.blob = req.Body
	return hostile.NewStoreBlob204Response(), nil
}

func (s *docs) Evaluate(_ context.Context, req hostile.EvaluateRequest) (hostile.EvaluateResponse, error) {
	s.hit()
	return hostile.NewEvaluate204Response(), nil
}

func (s *docs) ListDocuments(_ context.Context, req hostile.ListDocumentsRequest) (hostile.ListDocumentsResponse, error) {
	s.hit()
	s.list = &req
	return hostile.NewListDocuments204Response(), nil
}

func newHandler(t testing.TB, s *docs, opts ...hostile.Option) http.Handler {
	t.Helper()
	opts = append([]hostile.Option{httpapi.WithLogger(slog.New(slog.DiscardHandler))}, opts...)
	h, err := hostile.NewHandler(s, hostile.Security{}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func send(h http.Handler, method, target, contentType, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

type violation struct{ Location, Rule, Detail string }

type problem struct {
	Status int
	Errors []violation
}

// refused checks that the answer has status and a violation of rule at
// location, and that no handler ran.
func refused(t *testing.T, s *docs, w *httptest.ResponseRecorder, status int, location, rule string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d: %s", w.Code, status, w.Body)
	}
	if s.reached != 0 {
		t.Fatalf("the handler was reached %d times with an invalid value", s.reached)
	}
	var p problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("answer is not a problem: %v: %s", err, w.Body)
	}
	for _, v := range p.Errors {
		if v.Location == location && v.Rule == rule {
			return
		}
	}
	t.Fatalf("no %s violation at %s in %+v", rule, location, p.Errors)
}

func accepted(t *testing.T, s *docs, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code != http.StatusNoContent || s.reached != 1 {
		t.Fatalf("status %d, handler reached %d times: %s", w.Code, s.reached, w.Body)
	}
}

func nested(open, close string, n int) string {
	return strings.Repeat(open, n) + strings.Repeat(close, n)
}

func TestDeepNestingInABodyIsRefused(t *testing.T) {
	for _, tc := range []struct{ name, body, location string }{
		{"arrays at the root", nested("[", "]", 10000), ""},
		{"unknown member", `{"title":"t","x":` + nested("[", "]", 10000) + `}`, "/body/x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &docs{}
			w := send(newHandler(t, s), "POST", "/documents", "application/json", tc.body)
			if w.Code != http.StatusBadRequest || s.reached != 0 {
				t.Fatalf("status %d, reached %d: %s", w.Code, s.reached, w.Body)
			}
		})
	}
	// At the root, a body of arrays is refused as the wrong type, and the
	// arrays skipped are held to the depth budget.
	s := &docs{}
	w := send(newHandler(t, s), "POST", "/documents", "application/json", `{"title":"t","x":`+nested("[", "]", 100)+`}`)
	refused(t, s, w, http.StatusBadRequest, "/body/x"+strings.Repeat("/0", 63), "maxDepth")
}

func TestDeepNestingInAFreeFormMemberIsRefused(t *testing.T) {
	s := &docs{}
	body := `{"title":"t","attributes":{"a":` + nested("[", "]", 200) + `}}`
	w := send(newHandler(t, s), "POST", "/documents", "application/json", body)
	refused(t, s, w, http.StatusBadRequest, "/body/attributes/a"+strings.Repeat("/0", 62), "maxDepth")

	s = &docs{}
	body = strings.Repeat(`{"a":`, 500) + "1" + strings.Repeat("}", 500)
	w = send(newHandler(t, s), "POST", "/blobs", "application/json", body)
	refused(t, s, w, http.StatusBadRequest, "/body"+strings.Repeat("/a", 64), "maxDepth")
}

func TestDeepNestingInARecursiveSchemaIsRefused(t *testing.T) {
	tree := func(n int) string {
		return `{"title":"t","tree":` + strings.Repeat(`{"name":"n","children":[`, n) + `{"name":"leaf"}` + strings.Repeat("]}", n) + `}`
	}
	s := &docs{}
	accepted(t, s, send(newHandler(t, s), "POST", "/documents", "application/json", tree(20)))

	s = &docs{}
	w := send(newHandler(t, s), "POST", "/documents", "application/json", tree(1000))
	refused(t, s, w, http.StatusBadRequest, "/body/tree"+strings.Repeat("/children/0", 31)+"/children", "maxDepth")

	// The budget is an option.
	s = &docs{}
	w = send(newHandler(t, s, httpapi.WithMaxDepth(8)), "POST", "/documents", "application/json", tree(5))
	refused(t, s, w, http.StatusBadRequest, "/body/tree/children/0/children/0/children/0/children", "maxDepth")
}

// The crash: a 24 MiB body of '[' under a 32 MiB limit used to
// overflow the goroutine stack, which kills the process. The crash test
// that runs it in a child process lives in crash_test.go; this one
// checks the answer in-process.
func TestDeepNestingOfManyMegabytesIsAnsweredNotCrashed(t *testing.T) {
	s := &docs{}
	body := strings.Repeat("[", 24<<20)
	h := newHandler(t, s, httpapi.WithMaxBodyBytes(32<<20))
	for _, target := range []string{"/documents", "/blobs", "/payments"} {
		w := send(h, "POST", target, "application/json", body)
		if w.Code != http.StatusBadRequest || s.reached != 0 {
			t.Fatalf("%s: status %d, reached %d", target, w.Code, s.reached)
		}
	}
}

func TestCaseVariantMembersAreNotDelivered(t *testing.T) {
	t.Run("struct", func(t *testing.T) {
		s := &docs{}
		w := send(newHandler(t, s), "POST", "/documents", "application/json",
			`{"title":"t","card":{"method":"card","last4":"1234","LAST4":"evil"}}`)
		accepted(t, s, w)
		if got := s.document.Card.Last4; got != "1234" {
			t.Fatalf("Last4 = %q, want the validated 1234", got)
		}
	})
	t.Run("union", func(t *testing.T) {
		s := &docs{}
		w := send(newHandler(t, s), "POST", "/documents", "application/json",
			`{"title":"t","payment":{"method":"card","last4":"1234","LAST4":"evil!"}}`)
		accepted(t, s, w)
		c, err := s.document.Payment.AsCard()
		if err != nil || c.Last4 != "1234" {
			t.Fatalf("AsCard = %+v, %v; want the validated last4", c, err)
		}
	})
	t.Run("union body", func(t *testing.T) {
		s := &docs{}
		w := send(newHandler(t, s), "POST", "/payments", "application/json",
			`{"method":"card","LAST4":"evil!","last4":"1234"}`)
		accepted(t, s, w)
		c, err := s.payment.AsCard()
		if err != nil || c.Last4 != "1234" {
			t.Fatalf("AsCard = %+v, %v; want the validated last4", c, err)
		}
	})
	t.Run("union member missing but a case variant present", func(t *testing.T) {
		s := &docs{}
		w := send(newHandler(t, s), "POST", "/payments", "application/json", `{"method":"card","LAST4":"evil!"}`)
		refused(t, s, w, http.StatusBadRequest, "/body/last4", "required")
	})
	t.Run("discriminator", func(t *testing.T) {
		// The validator reads "method" and checks a transfer; a decoder
		// matching names by case would read "METHOD" and see a card.
		s := &docs{}
		w := send(newHandler(t, s), "POST", "/payments", "application/json",
			`{"method":"transfer","iban":"DE89370400440532013000","METHOD":"card","last4":"no!"}`)
		accepted(t, s, w)
		if d, err := s.payment.Discriminator(); err != nil || d != "transfer" {
			t.Fatalf("Discriminator = %q, %v; want transfer", d, err)
		}
		v, err := s.payment.Value()
		if _, ok := v.(hostile.Transfer); !ok || err != nil {
			t.Fatalf("Value = %#v, %v; want the Transfer that was checked", v, err)
		}
	})
	t.Run("content parameter", func(t *testing.T) {
		s := &docs{}
		q := url.Values{"filter": {`{"owner":"ann","OWNER":"` + strings.Repeat("x", 50) + `"}`}}
		w := send(newHandler(t, s), "GET", "/documents?"+q.Encode(), "", "")
		accepted(t, s, w)
		if s.list.Filter == nil || s.list.Filter.Owner == nil || *s.list.Filter.Owner != "ann" {
			t.Fatalf("Filter = %+v", s.list.Filter)
		}
	})
	t.Run("body of several media types", func(t *testing.T) {
		s := &docs{}
		w := send(newHandler(t, s), "PUT", "/documents/1", "application/json",
			`{"title":"t","card":{"method":"card","last4":"1234","Last4":"evil"}}`)
		accepted(t, s, w)
		if s.document.Card.Last4 != "1234" {
			t.Fatalf("Last4 = %q", s.document.Card.Last4)
		}
	})
}

func TestRepeatedMembersAreRefused(t *testing.T) {
	for _, tc := range []struct{ name, method, target, body, location string }{
		{"struct", "POST", "/documents", `{"title":"a","title":"b"}`, "/body/title"},
		{"nested struct", "POST", "/documents", `{"title":"t","card":{"method":"card","last4":"1234","last4":"9999"}}`, "/body/card/last4"},
		{"union", "POST", "/documents", `{"title":"t","payment":{"method":"card","last4":"1234","last4":"nope"}}`, "/body/payment/last4"},
		{"discriminator", "POST", "/payments", `{"method":"transfer","iban":"DE89370400440532013000","method":"card","last4":"1234"}`, "/body/method"},
		{"free-form", "POST", "/blobs", `{"a":{"b":1,"b":2}}`, "/body/a/b"},
		{"map", "POST", "/documents", `{"title":"t","labels":{"k":"v","k":"w"}}`, "/body/labels/k"},
		{"unknown member", "POST", "/documents", `{"title":"t","x":1,"x":2}`, "/body/x"},
		{"several media types", "PUT", "/documents/1", `{"title":"a","title":"b"}`, "/body/title"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &docs{}
			w := send(newHandler(t, s), tc.method, tc.target, "application/json", tc.body)
			refused(t, s, w, http.StatusBadRequest, tc.location, "duplicateKey")
		})
	}
	t.Run("content parameter", func(t *testing.T) {
		s := &docs{}
		q := url.Values{"filter": {`{"owner":"ann","owner":"bob"}`}}
		w := send(newHandler(t, s), "GET", "/documents?"+q.Encode(), "", "")
		if w.Code != http.StatusBadRequest || s.reached != 0 {
			t.Fatalf("status %d, reached %d: %s", w.Code, s.reached, w.Body)
		}
	})
}

func TestHugeExponentsCostLittle(t *testing.T) {
	for _, tc := range []struct{ body string }{
		{`{"title":"t","amount":1e-999999}`},
		{`{"title":"t","amount":1e999999999999999999999}`},
		{`{"title":"t","amount":` + strings.Repeat("1", 200) + `}`},
	} {
		s := &docs{}
		w := send(newHandler(t, s), "POST", "/documents", "application/json", tc.body)
		if w.Code != http.StatusBadRequest || s.reached != 0 {
			t.Fatalf("%.40s: status %d, reached %d: %s", tc.body, w.Code, s.reached, w.Body)
		}
	}
	// multipleOf is decided exactly on the decimal text.
	for _, tc := range []struct {
		amount string
		ok     bool
	}{{"0.3", true}, {"12.34", true}, {"1.005", false}, {"5e2", true}, {"1234567890123456789.01", true}, {"1e-3", false}, {"100e-4", true}} {
		s := &docs{}
		w := send(newHandler(t, s), "POST", "/documents", "application/json", `{"title":"t","amount":`+tc.amount+`}`)
		if (w.Code == http.StatusNoContent) != tc.ok {
			t.Errorf("amount %s: status %d: %s", tc.amount, w.Code, w.Body)
		}
	}
	s := &docs{}
	w := send(newHandler(t, s), "POST", "/documents", "application/json", `{"title":"t","amount":`+strings.Repeat("1", 200)+`}`)
	refused(t, s, w, http.StatusBadRequest, "/body/amount", "maxNumberLength")
	s = &docs{}
	w = send(newHandler(t, s), "POST", "/blobs", "application/json", `{"n":`+strings.Repeat("9", 200)+`}`)
	refused(t, s, w, http.StatusBadRequest, "/body/n", "maxNumberLength")
}

func TestUniqueItemsPastMaxItems(t *testing.T) {
	t.Run("body", func(t *testing.T) {
		s := &docs{}
		tags := strings.Repeat(`"a",`, 200000) + `"a"`
		w := send(newHandler(t, s), "POST", "/documents", "application/json", `{"title":"t","tags":[`+tags+`]}`)
		refused(t, s, w, http.StatusBadRequest, "/body/tags", "maxItems")
	})
	t.Run("body within maxItems", func(t *testing.T) {
		s := &docs{}
		w := send(newHandler(t, s), "POST", "/documents", "application/json", `{"title":"t","tags":["a","b","a"]}`)
		refused(t, s, w, http.StatusBadRequest, "/body/tags/2", "uniqueItems")
	})
	t.Run("long unique array", func(t *testing.T) {
		var b strings.Builder
		for i := range 50000 {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strings.TrimSpace(jsonNumber(i)))
		}
		s := &docs{}
		accepted(t, s, send(newHandler(t, s), "POST", "/documents", "application/json", `{"title":"t","scores":[`+b.String()+`]}`))
		s = &docs{}
		w := send(newHandler(t, s), "POST", "/documents", "application/json", `{"title":"t","scores":[`+b.String()+`,49999.0]}`)
		refused(t, s, w, http.StatusBadRequest, "/body/scores/50000", "uniqueItems")
	})
	t.Run("query", func(t *testing.T) {
		s := &docs{}
		ids := strings.Repeat("1,", 100000) + "1"
		w := send(newHandler(t, s), "GET", "/documents?ids="+ids, "", "")
		refused(t, s, w, http.StatusBadRequest, "/query/ids", "maxItems")
		s = &docs{}
		w = send(newHandler(t, s), "GET", "/documents?ids=1,2,1", "", "")
		refused(t, s, w, http.StatusBadRequest, "/query/ids/2", "uniqueItems")
	})
	t.Run("maxProperties", func(t *testing.T) {
		var b strings.Builder
		for i := range 10000 {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`"k` + jsonNumber(i) + `":"v"`)
		}
		s := &docs{}
		w := send(newHandler(t, s), "POST", "/documents", "application/json", `{"title":"t","labels":{`+b.String()+`}}`)
		refused(t, s, w, http.StatusBadRequest, "/body/labels", "maxProperties")
	})
}

func jsonNumber(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func TestContentLengthLieCommitsNoMemory(t *testing.T) {
	s := &docs{}
	srv := httptest.NewServer(newHandler(t, s, httpapi.WithMaxBodyBytes(512<<20)))
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	// 500 MiB announced, 13 bytes sent, then the client stops writing.
	fmt.Fprintf(conn, "POST /documents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{\"title\":\"t\"}", 500<<20)
	conn.(*net.TCPConn).CloseWrite()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	runtime.ReadMemStats(&after)
	if resp.StatusCode != http.StatusBadRequest || s.reached != 0 {
		t.Fatalf("status %d, reached %d", resp.StatusCode, s.reached)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 4<<20 {
		t.Fatalf("a 13-byte body announcing 500 MiB allocated %d bytes", grew)
	}
}

// newHandlerNoT builds a handler outside a test, for the child process
// of the crash test.
func newHandlerNoT(s *docs, opts ...hostile.Option) (http.Handler, error) {
	opts = append([]hostile.Option{httpapi.WithLogger(slog.New(slog.DiscardHandler))}, opts...)
	return hostile.NewHandler(s, hostile.Security{}, opts...)
}

func TestAlternativesOfARecursiveSchemaAreBounded(t *testing.T) {
	// Every level matches only the second alternative, after the first was
	// tried all the way down: 2^depth probes without a budget.
	expr := func(depth int) string {
		return strings.Repeat(`{"fn":"f","args":[`, depth) + `{"fn":"leaf"}` + strings.Repeat(`]}`, depth)
	}
	s := &docs{}
	accepted(t, s, send(newHandler(t, s), "POST", "/expressions", "application/json", expr(10)))

	s = &docs{}
	w := send(newHandler(t, s), "POST", "/expressions", "application/json", expr(30))
	refused(t, s, w, http.StatusBadRequest, "/body"+strings.Repeat("/args/0", 30), "maxWork")

	s = &docs{}
	w = send(newHandler(t, s, httpapi.WithMaxProbes(100)), "POST", "/expressions", "application/json", expr(10))
	if w.Code != http.StatusBadRequest || s.reached != 0 {
		t.Fatalf("status %d, reached %d", w.Code, s.reached)
	}
}

// TestEnumsTheGoTypeDoesNotHold: an enum on a date is checked by the
// one-pass decoder too, and an enum none of whose values fits the type
// allows nothing (fail closed).
func TestEnumsTheGoTypeDoesNotHold(t *testing.T) {
	s := &docs{}
	accepted(t, s, send(newHandler(t, s), "POST", "/documents", "application/json", `{"title":"t","day":"2026-11-30"}`))
	s = &docs{}
	w := send(newHandler(t, s), "POST", "/documents", "application/json", `{"title":"t","day":"2026-11-29"}`)
	refused(t, s, w, http.StatusBadRequest, "/body/day", "enum")
	s = &docs{}
	w = send(newHandler(t, s), "POST", "/documents", "application/json", `{"title":"t","never":"x"}`)
	refused(t, s, w, http.StatusBadRequest, "/body/never", "enum")
}
