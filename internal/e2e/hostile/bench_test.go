package hostile_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/securegen/securegen/runtime/httpapi"
)

// hostileShapes build bodies of about n bytes in the shapes attackers
// use to buy CPU with bandwidth.
var hostileShapes = []struct {
	name string
	body func(n int) string
}{
	{"deep", func(n int) string {
		// Nesting far past the budget, inside a free-form member.
		d := (n - 40) / 2
		return `{"title":"t","attributes":{"a":` + strings.Repeat("[", d) + strings.Repeat("]", d) + `}}`
	}},
	{"keys", func(n int) string {
		// A free-form object with as many distinct members as fit.
		var b strings.Builder
		b.WriteString(`{"title":"t","attributes":{`)
		for i := 0; b.Len() < n-4; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`"k` + strconv.Itoa(i) + `":0`)
		}
		b.WriteString(`}}`)
		return b.String()
	}},
	{"uniqueItems", func(n int) string {
		// A long array of distinct numbers that must be checked unique.
		var b strings.Builder
		b.WriteString(`{"title":"t","scores":[`)
		for i := 0; b.Len() < n-4; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(i) + ".5")
		}
		b.WriteString(`]}`)
		return b.String()
	}},
	{"numbers", func(n int) string {
		// Number literals as long as the budget allows, with huge
		// exponents, in a member checked for multipleOf and in free-form
		// values.
		lit := "1." + strings.Repeat("1", 100) + "e-999999999"
		var b strings.Builder
		b.WriteString(`{"title":"t","amount":` + lit + `,"attributes":{"n":[`)
		for i := 0; b.Len() < n-len(lit)-4; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(lit)
		}
		b.WriteString(`]}}`)
		return b.String()
	}},
}

// BenchmarkHostileShapes measures one request per hostile shape at 1 KiB,
// 64 KiB and 1 MiB: time per request must grow linearly with size.
func BenchmarkHostileShapes(b *testing.B) {
	for _, shape := range hostileShapes {
		for _, size := range []struct {
			name string
			n    int
		}{{"1KiB", 1 << 10}, {"64KiB", 64 << 10}, {"1MiB", 1 << 20}} {
			body := shape.body(size.n)
			b.Run(fmt.Sprintf("%s/%s", shape.name, size.name), func(b *testing.B) {
				s := &docs{}
				h := newHandler(b, s, httpapi.WithMaxBodyBytes(2<<20))
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				for b.Loop() {
					r := httptest.NewRequest("POST", "/documents", strings.NewReader(body))
					r.Header.Set("Content-Type", "application/json")
					w := httptest.NewRecorder()
					h.ServeHTTP(w, r)
					if w.Code != http.StatusNoContent && w.Code != http.StatusBadRequest {
						b.Fatalf("status %d: %s", w.Code, w.Body)
					}
				}
			})
		}
	}
}
