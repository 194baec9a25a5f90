package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/securegen/securegen/runtime/validate"
)

type point struct {
	X int  `json:"x"`
	Y *int `json:"y,omitempty"`
}

type pair struct {
	A string `json:"a"`
	B string `json:"b"`
}

type color string

// minimum returns a check that reports integers below min, and counts
// its calls in calls.
func minimum(min int64, calls *int) validate.Func {
	return func(r *validate.Report, p *validate.Path, v any) {
		*calls++
		n, ok := v.(json.Number)
		if !ok {
			r.Add(p, "type", "got %T", v)
			return
		}
		if i, err := n.Int64(); err != nil || i < min {
			r.Add(p, "minimum", "must be at least %d", min)
		}
	}
}

// seen returns a check that records the value it is given.
func seen(got *any) validate.Func {
	return func(_ *validate.Report, _ *validate.Path, v any) { *got = v }
}

func TestBind(t *testing.T) {
	type want struct {
		value string // the bound field, as JSON
		err   string // "", "required", "param", "notfound" or "other"
	}
	tests := []struct {
		name   string
		target string
		path   map[string]string   // path values, as ServeMux gives them: unescaped
		header map[string][]string // header lines
		p      Param
		dest   func() any
		want
	}{
		// path, every style
		{name: "path simple int", target: "/", path: map[string]string{"id": "5"},
			p: Param{In: InPath, Name: "id", Required: true}, dest: func() any { return new(int) }, want: want{value: `5`}},
		{name: "path simple array", target: "/", path: map[string]string{"list": "a,b"},
			p: Param{In: InPath, Name: "list", Style: StyleSimple, Required: true}, dest: func() any { return new([]string) }, want: want{value: `["a","b"]`}},
		{name: "path simple object", target: "/", path: map[string]string{"obj": "x,1,y,2"},
			p: Param{In: InPath, Name: "obj", Required: true}, dest: func() any { return new(point) }, want: want{value: `{"x":1,"y":2}`}},
		{name: "path simple object explode", target: "/", path: map[string]string{"obj": "x=1,y=2"},
			p: Param{In: InPath, Name: "obj", Explode: true, Required: true}, dest: func() any { return new(point) }, want: want{value: `{"x":1,"y":2}`}},
		{name: "path label", target: "/", path: map[string]string{"id": ".abc"},
			p: Param{In: InPath, Name: "id", Style: StyleLabel, Required: true}, dest: func() any { return new(string) }, want: want{value: `"abc"`}},
		{name: "path label array", target: "/", path: map[string]string{"list": ".1,2,3"},
			p: Param{In: InPath, Name: "list", Style: StyleLabel, Required: true}, dest: func() any { return new([]int) }, want: want{value: `[1,2,3]`}},
		{name: "path label array explode", target: "/", path: map[string]string{"list": ".1.2.3"},
			p: Param{In: InPath, Name: "list", Style: StyleLabel, Explode: true, Required: true}, dest: func() any { return new([]int) }, want: want{value: `[1,2,3]`}},
		{name: "path label object explode", target: "/", path: map[string]string{"obj": ".x=1.y=2"},
			p: Param{In: InPath, Name: "obj", Style: StyleLabel, Explode: true, Required: true}, dest: func() any { return new(point) }, want: want{value: `{"x":1,"y":2}`}},
		{name: "path label without dot", target: "/", path: map[string]string{"id": "abc"},
			p: Param{In: InPath, Name: "id", Style: StyleLabel, Required: true}, dest: func() any { return new(string) }, want: want{err: "param"}},
		{name: "path matrix", target: "/", path: map[string]string{"id": ";id=abc"},
			p: Param{In: InPath, Name: "id", Style: StyleMatrix, Required: true}, dest: func() any { return new(string) }, want: want{value: `"abc"`}},
		{name: "path matrix array", target: "/", path: map[string]string{"list": ";list=a,b"},
			p: Param{In: InPath, Name: "list", Style: StyleMatrix, Required: true}, dest: func() any { return new([]string) }, want: want{value: `["a","b"]`}},
		{name: "path matrix array explode", target: "/", path: map[string]string{"list": ";list=a;list=b"},
			p: Param{In: InPath, Name: "list", Style: StyleMatrix, Explode: true, Required: true}, dest: func() any { return new([]string) }, want: want{value: `["a","b"]`}},
		{name: "path matrix object", target: "/", path: map[string]string{"obj": ";obj=x,1,y,2"},
			p: Param{In: InPath, Name: "obj", Style: StyleMatrix, Required: true}, dest: func() any { return new(point) }, want: want{value: `{"x":1,"y":2}`}},
		{name: "path matrix object explode", target: "/", path: map[string]string{"obj": ";x=1;y=2"},
			p: Param{In: InPath, Name: "obj", Style: StyleMatrix, Explode: true, Required: true}, dest: func() any { return new(point) }, want: want{value: `{"x":1,"y":2}`}},
		{name: "path matrix without name", target: "/", path: map[string]string{"id": ";abc"},
			p: Param{In: InPath, Name: "id", Style: StyleMatrix, Required: true}, dest: func() any { return new(string) }, want: want{err: "param"}},
		{name: "path wildcard other than name", target: "/", path: map[string]string{"file_id": "7"},
			p: Param{In: InPath, Name: "file-id", Wildcard: "file_id", Required: true}, dest: func() any { return new(int) }, want: want{value: `7`}},
		{name: "path suffix", target: "/", path: map[string]string{"name": "report.json"},
			p: Param{In: InPath, Name: "name", Suffix: ".json", Required: true}, dest: func() any { return new(string) }, want: want{value: `"report"`}},
		{name: "path prefix and suffix", target: "/", path: map[string]string{"v": "v2.json"},
			p: Param{In: InPath, Name: "v", Prefix: "v", Suffix: ".json", Required: true}, dest: func() any { return new(int) }, want: want{value: `2`}},
		{name: "path suffix mismatch", target: "/", path: map[string]string{"name": "report.txt"},
			p: Param{In: InPath, Name: "name", Suffix: ".json", Required: true}, dest: func() any { return new(string) }, want: want{err: "notfound"}},
		{name: "path prefix and suffix overlap", target: "/", path: map[string]string{"v": ".json"},
			p: Param{In: InPath, Name: "v", Prefix: ".js", Suffix: "json", Required: true}, dest: func() any { return new(string) }, want: want{err: "notfound"}},
		{name: "path only the suffix", target: "/", path: map[string]string{"name": ".json"},
			p: Param{In: InPath, Name: "name", Suffix: ".json", Required: true}, dest: func() any { return new(string) }, want: want{err: "required"}},
		{name: "path empty", target: "/", p: Param{In: InPath, Name: "id", Required: true}, dest: func() any { return new(int) }, want: want{err: "required"}},
		{name: "path empty, Required unset", target: "/", p: Param{In: InPath, Name: "id"}, dest: func() any { return new(int) }, want: want{err: "required"}},
		{name: "path bad integer", target: "/", path: map[string]string{"id": "x"},
			p: Param{In: InPath, Name: "id", Required: true}, dest: func() any { return new(int) }, want: want{err: "param"}},
		{name: "path pointer field", target: "/", path: map[string]string{"id": "5"},
			p: Param{In: InPath, Name: "id", Required: true}, dest: func() any { return new(*int) }, want: want{value: `5`}},
		{name: "path JSON", target: "/", path: map[string]string{"obj": `{"x":1}`},
			p: Param{In: InPath, Name: "obj", JSON: true, Required: true}, dest: func() any { return new(point) }, want: want{value: `{"x":1}`}},
		{name: "path JSON repeated member", target: "/", path: map[string]string{"obj": `{"x":1,"x":2}`},
			p: Param{In: InPath, Name: "obj", JSON: true, Required: true}, dest: func() any { return new(point) }, want: want{err: "param"}},

		// query, every style
		{name: "query form int", target: "/?limit=3", p: Param{In: InQuery, Name: "limit", Explode: true, Required: true},
			dest: func() any { return new(int) }, want: want{value: `3`}},
		{name: "query form int missing", target: "/?other=3", p: Param{In: InQuery, Name: "limit", Explode: true, Required: true},
			dest: func() any { return new(int) }, want: want{err: "required"}},
		{name: "query form int empty query", target: "/", p: Param{In: InQuery, Name: "limit", Explode: true, Required: true},
			dest: func() any { return new(int) }, want: want{err: "required"}},
		{name: "query form int bad", target: "/?limit=many", p: Param{In: InQuery, Name: "limit", Explode: true, Required: true},
			dest: func() any { return new(int) }, want: want{err: "param"}},
		{name: "query form int repeated", target: "/?limit=1&limit=2", p: Param{In: InQuery, Name: "limit", Explode: true, Required: true},
			dest: func() any { return new(int) }, want: want{err: "param"}},
		{name: "query malformed elsewhere", target: "/?limit=1&a=%zz", p: Param{In: InQuery, Name: "limit", Explode: true, Required: true},
			dest: func() any { return new(int) }, want: want{err: "param"}},
		{name: "query semicolon", target: "/?limit=1;a=2", p: Param{In: InQuery, Name: "limit", Explode: true, Required: true},
			dest: func() any { return new(int) }, want: want{err: "param"}},
		{name: "query escaped name and value", target: "/?li%6Dit=%34&name=a+b%2Bc", p: Param{In: InQuery, Name: "limit", Explode: true, Required: true},
			dest: func() any { return new(int) }, want: want{value: `4`}},
		{name: "query plus is space", target: "/?name=a+b%2Bc", p: Param{In: InQuery, Name: "name", Explode: true},
			dest: func() any { return new(*string) }, want: want{value: `"a b+c"`}},
		{name: "query optional absent", target: "/?other=1", p: Param{In: InQuery, Name: "limit", Explode: true},
			dest: func() any { return new(*int) }, want: want{value: `null`}},
		{name: "query optional present", target: "/?limit=3", p: Param{In: InQuery, Name: "limit", Explode: true},
			dest: func() any { return new(*int) }, want: want{value: `3`}},
		{name: "query optional empty", target: "/?name=", p: Param{In: InQuery, Name: "name", Explode: true},
			dest: func() any { return new(*string) }, want: want{value: `""`}},
		{name: "query optional bool", target: "/?dry=true", p: Param{In: InQuery, Name: "dry", Explode: true},
			dest: func() any { return new(*bool) }, want: want{value: `true`}},
		{name: "query optional float", target: "/?f=1.5", p: Param{In: InQuery, Name: "f", Explode: true},
			dest: func() any { return new(*float64) }, want: want{value: `1.5`}},
		{name: "query optional enum", target: "/?sort=desc", p: Param{In: InQuery, Name: "sort", Explode: true},
			dest: func() any { return new(*color) }, want: want{value: `"desc"`}},
		{name: "query optional date-time", target: "/?since=2024-01-02T03:04:05Z", p: Param{In: InQuery, Name: "since", Explode: true},
			dest: func() any { return new(*time.Time) }, want: want{value: `"2024-01-02T03:04:05Z"`}},
		{name: "query optional date-time absent", target: "/", p: Param{In: InQuery, Name: "since", Explode: true},
			dest: func() any { return new(*time.Time) }, want: want{value: `null`}},
		{name: "query optional not a pointer, absent", target: "/", p: Param{In: InQuery, Name: "n", Explode: true},
			dest: func() any { return new(int) }, want: want{value: `0`}},
		{name: "query optional not a pointer, present", target: "/?n=4", p: Param{In: InQuery, Name: "n", Explode: true},
			dest: func() any { return new(int) }, want: want{value: `4`}},
		{name: "query form array explode", target: "/?tags=a&tags=b", p: Param{In: InQuery, Name: "tags", Style: StyleForm, Explode: true},
			dest: func() any { return new([]string) }, want: want{value: `["a","b"]`}},
		{name: "query form array absent", target: "/?limit=1", p: Param{In: InQuery, Name: "tags", Explode: true},
			dest: func() any { return new([]string) }, want: want{value: `null`}},
		{name: "query form array required absent", target: "/?limit=1", p: Param{In: InQuery, Name: "tags", Explode: true, Required: true},
			dest: func() any { return new([]string) }, want: want{err: "required"}},
		{name: "query form array", target: "/?ids=1,2,3", p: Param{In: InQuery, Name: "ids"},
			dest: func() any { return new([]int) }, want: want{value: `[1,2,3]`}},
		{name: "query form array escaped comma", target: "/?ids=a%2Cb,c", p: Param{In: InQuery, Name: "ids"},
			dest: func() any { return new([]string) }, want: want{value: `["a,b","c"]`}},
		{name: "query form scalar", target: "/?limit=7", p: Param{In: InQuery, Name: "limit", Required: true},
			dest: func() any { return new(int) }, want: want{value: `7`}},
		{name: "query form scalar optional absent", target: "/", p: Param{In: InQuery, Name: "limit"},
			dest: func() any { return new(*int) }, want: want{value: `null`}},
		// The runtime binds the properties of a non-exploded query object
		// as strings only, as BindQuery did.
		{name: "query form object", target: "/?p=a,1,b,2", p: Param{In: InQuery, Name: "p"},
			dest: func() any { return new(*pair) }, want: want{value: `{"a":"1","b":"2"}`}},
		{name: "query form object explode", target: "/?x=1&y=2", p: Param{In: InQuery, Name: "p", Explode: true},
			dest: func() any { return new(*point) }, want: want{value: `{"x":1,"y":2}`}},
		{name: "query form object explode absent", target: "/?z=1", p: Param{In: InQuery, Name: "p", Explode: true},
			dest: func() any { return new(*point) }, want: want{value: `null`}},
		{name: "query spaceDelimited", target: "/?spaced=a%20b", p: Param{In: InQuery, Name: "spaced", Style: StyleSpaceDelimited},
			dest: func() any { return new([]string) }, want: want{value: `["a","b"]`}},
		{name: "query spaceDelimited explode", target: "/?spaced=a&spaced=b", p: Param{In: InQuery, Name: "spaced", Style: StyleSpaceDelimited, Explode: true},
			dest: func() any { return new([]string) }, want: want{value: `["a","b"]`}},
		{name: "query pipeDelimited", target: "/?piped=a|b", p: Param{In: InQuery, Name: "piped", Style: StylePipeDelimited},
			dest: func() any { return new([]string) }, want: want{value: `["a","b"]`}},
		{name: "query pipeDelimited explode", target: "/?piped=1&piped=2", p: Param{In: InQuery, Name: "piped", Style: StylePipeDelimited, Explode: true},
			dest: func() any { return new([]int) }, want: want{value: `[1,2]`}},
		{name: "query deepObject", target: "/?filter[x]=3&filter[y]=4", p: Param{In: InQuery, Name: "filter", Style: StyleDeepObject, Explode: true},
			dest: func() any { return new(*point) }, want: want{value: `{"x":3,"y":4}`}},
		{name: "query deepObject absent", target: "/?x=3", p: Param{In: InQuery, Name: "filter", Style: StyleDeepObject, Explode: true},
			dest: func() any { return new(*point) }, want: want{value: `null`}},
		{name: "query deepObject required", target: "/?filter[x]=3", p: Param{In: InQuery, Name: "filter", Style: StyleDeepObject, Explode: true, Required: true},
			dest: func() any { return new(point) }, want: want{value: `{"x":3}`}},
		{name: "query deepObject required absent", target: "/?x=3", p: Param{In: InQuery, Name: "filter", Style: StyleDeepObject, Explode: true, Required: true},
			dest: func() any { return new(point) }, want: want{err: "required"}},
		{name: "query deepObject not exploded", target: "/?filter[x]=3", p: Param{In: InQuery, Name: "filter", Style: StyleDeepObject},
			dest: func() any { return new(*point) }, want: want{err: "param"}},
		{name: "query JSON", target: "/?q=%7B%22x%22%3A1%7D", p: Param{In: InQuery, Name: "q", JSON: true},
			dest: func() any { return new(*point) }, want: want{value: `{"x":1}`}},
		{name: "query JSON absent", target: "/", p: Param{In: InQuery, Name: "q", JSON: true},
			dest: func() any { return new(*point) }, want: want{value: `null`}},
		{name: "query JSON required absent", target: "/", p: Param{In: InQuery, Name: "q", JSON: true, Required: true},
			dest: func() any { return new(point) }, want: want{err: "required"}},
		{name: "query JSON broken", target: "/?q=%7B", p: Param{In: InQuery, Name: "q", JSON: true},
			dest: func() any { return new(*point) }, want: want{err: "param"}},
		{name: "query JSON exact member names", target: "/?q=%7B%22X%22%3A1%7D", p: Param{In: InQuery, Name: "q", JSON: true},
			dest: func() any { return new(*point) }, want: want{value: `{"x":0}`}},

		// header
		{name: "header int", target: "/", header: map[string][]string{"X-Limit": {"3"}},
			p: Param{In: InHeader, Name: "X-Limit", Required: true}, dest: func() any { return new(int) }, want: want{value: `3`}},
		{name: "header name in any case", target: "/", header: map[string][]string{"X-Limit": {"3"}},
			p: Param{In: InHeader, Name: "x-limit", Required: true}, dest: func() any { return new(int) }, want: want{value: `3`}},
		{name: "header required missing", target: "/",
			p: Param{In: InHeader, Name: "X-Limit", Required: true}, dest: func() any { return new(int) }, want: want{err: "required"}},
		{name: "header optional absent", target: "/",
			p: Param{In: InHeader, Name: "X-Limit"}, dest: func() any { return new(*int) }, want: want{value: `null`}},
		{name: "header optional present", target: "/", header: map[string][]string{"X-Limit": {"3"}},
			p: Param{In: InHeader, Name: "X-Limit"}, dest: func() any { return new(*int) }, want: want{value: `3`}},
		{name: "header array", target: "/", header: map[string][]string{"X-Tags": {"a,b"}},
			p: Param{In: InHeader, Name: "X-Tags"}, dest: func() any { return new([]string) }, want: want{value: `["a","b"]`}},
		{name: "header array on two lines", target: "/", header: map[string][]string{"X-Tags": {"a,b", "c"}},
			p: Param{In: InHeader, Name: "X-Tags"}, dest: func() any { return new([]string) }, want: want{value: `["a","b","c"]`}},
		{name: "header array absent", target: "/",
			p: Param{In: InHeader, Name: "X-Tags"}, dest: func() any { return new([]string) }, want: want{value: `null`}},
		{name: "header object", target: "/", header: map[string][]string{"X-Point": {"x,1,y,2"}},
			p: Param{In: InHeader, Name: "X-Point"}, dest: func() any { return new(*point) }, want: want{value: `{"x":1,"y":2}`}},
		{name: "header object explode", target: "/", header: map[string][]string{"X-Point": {"x=1,y=2"}},
			p: Param{In: InHeader, Name: "X-Point", Explode: true}, dest: func() any { return new(*point) }, want: want{value: `{"x":1,"y":2}`}},
		{name: "header object explode absent", target: "/",
			p: Param{In: InHeader, Name: "X-Point", Explode: true}, dest: func() any { return new(*point) }, want: want{value: `null`}},
		{name: "header empty", target: "/", header: map[string][]string{"X-Limit": {""}},
			p: Param{In: InHeader, Name: "X-Limit"}, dest: func() any { return new(*int) }, want: want{err: "param"}},
		{name: "header bad integer", target: "/", header: map[string][]string{"X-Limit": {"x"}},
			p: Param{In: InHeader, Name: "X-Limit"}, dest: func() any { return new(*int) }, want: want{err: "param"}},
		{name: "header JSON", target: "/", header: map[string][]string{"X-Point": {`{"x":1}`}},
			p: Param{In: InHeader, Name: "X-Point", JSON: true}, dest: func() any { return new(*point) }, want: want{value: `{"x":1}`}},
		{name: "header JSON empty is absent", target: "/", header: map[string][]string{"X-Point": {""}},
			p: Param{In: InHeader, Name: "X-Point", JSON: true}, dest: func() any { return new(*point) }, want: want{value: `null`}},

		// cookie
		{name: "cookie int", target: "/", header: map[string][]string{"Cookie": {"retries=3"}},
			p: Param{In: InCookie, Name: "retries", Required: true}, dest: func() any { return new(int) }, want: want{value: `3`}},
		{name: "cookie required missing", target: "/", header: map[string][]string{"Cookie": {"other=3"}},
			p: Param{In: InCookie, Name: "retries", Required: true}, dest: func() any { return new(int) }, want: want{err: "required"}},
		{name: "cookie optional absent", target: "/",
			p: Param{In: InCookie, Name: "session", Explode: true}, dest: func() any { return new(*string) }, want: want{value: `null`}},
		{name: "cookie optional present", target: "/", header: map[string][]string{"Cookie": {"session=s1; retries=0"}},
			p: Param{In: InCookie, Name: "session", Explode: true}, dest: func() any { return new(*string) }, want: want{value: `"s1"`}},
		{name: "cookie array", target: "/", header: map[string][]string{"Cookie": {"ids=1,2"}},
			p: Param{In: InCookie, Name: "ids"}, dest: func() any { return new([]int) }, want: want{value: `[1,2]`}},
		{name: "cookie array absent", target: "/",
			p: Param{In: InCookie, Name: "ids"}, dest: func() any { return new([]int) }, want: want{value: `null`}},
		{name: "cookie object", target: "/", header: map[string][]string{"Cookie": {"p=x,1,y,2"}},
			p: Param{In: InCookie, Name: "p"}, dest: func() any { return new(*point) }, want: want{value: `{"x":1,"y":2}`}},
		{name: "cookie bad integer", target: "/", header: map[string][]string{"Cookie": {"retries=x"}},
			p: Param{In: InCookie, Name: "retries", Required: true}, dest: func() any { return new(int) }, want: want{err: "param"}},
		{name: "cookie JSON", target: "/", header: map[string][]string{"Cookie": {"n=42"}},
			p: Param{In: InCookie, Name: "n", JSON: true}, dest: func() any { return new(*int) }, want: want{value: `42`}},
		{name: "cookie JSON absent", target: "/",
			p: Param{In: InCookie, Name: "n", JSON: true}, dest: func() any { return new(*int) }, want: want{value: `null`}},

		// misuse
		{name: "destination not a pointer", target: "/?limit=1", p: Param{In: InQuery, Name: "limit"},
			dest: func() any { return 0 }, want: want{err: "other"}},
		{name: "nil destination", target: "/?limit=1", p: Param{In: InQuery, Name: "limit"},
			dest: func() any { return (*int)(nil) }, want: want{err: "other"}},
		{name: "unknown location", target: "/", p: Param{In: "body", Name: "limit"},
			dest: func() any { return new(int) }, want: want{err: "other"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tt.target, nil)
			for k, v := range tt.path {
				r.SetPathValue(k, v)
			}
			for k, vs := range tt.header {
				for _, v := range vs {
					r.Header.Add(k, v)
				}
			}
			var vr validate.Report
			dest := tt.dest()
			err := Bind(r, &vr, tt.p, dest)
			if got := errKind(err); got != tt.err {
				t.Fatalf("error %v (%s), want %s", err, got, orNone(tt.err))
			}
			if err != nil {
				return
			}
			if !vr.OK() {
				t.Fatalf("violations %+v without a check", vr.Violations())
			}
			got, err := json.Marshal(reflect.ValueOf(dest).Elem().Interface())
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.value {
				t.Fatalf("bound %s, want %s", got, tt.value)
			}
		})
	}
}

// errKind names the kind of a Bind error.
func errKind(err error) string {
	var pe *ParamError
	var nf *NotFoundError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &pe) && errors.Is(pe.Err, errMissing):
		return "required"
	case errors.As(err, &pe):
		return "param"
	case errors.As(err, &nf):
		return "notfound"
	}
	return "other"
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func TestBindErrorsNameTheParameter(t *testing.T) {
	r := httptest.NewRequest("GET", "/?limit=many", nil)
	var n int
	err := Bind(r, &validate.Report{}, Param{In: InQuery, Name: "limit", Explode: true, Required: true}, &n)
	var pe *ParamError
	if !errors.As(err, &pe) || pe.In != "query" || pe.Name != "limit" {
		t.Fatalf("error %#v, want a ParamError for query parameter limit", err)
	}
}

func TestBindChecksPresentValues(t *testing.T) {
	tests := []struct {
		name      string
		target    string
		path      map[string]string
		header    map[string]string
		p         Param
		dest      any
		calls     int    // times the check runs
		violation string // its location; "" for none
	}{
		{name: "path below minimum", target: "/", path: map[string]string{"id": "5"},
			p: Param{In: InPath, Name: "id", Required: true}, dest: new(int), calls: 1, violation: "/path/id"},
		{name: "path at minimum", target: "/", path: map[string]string{"id": "10"},
			p: Param{In: InPath, Name: "id", Required: true}, dest: new(int), calls: 1},
		{name: "query below minimum", target: "/?limit=1", p: Param{In: InQuery, Name: "limit", Explode: true},
			dest: new(*int), calls: 1, violation: "/query/limit"},
		{name: "query absent optional pointer", target: "/", p: Param{In: InQuery, Name: "limit", Explode: true},
			dest: new(*int), calls: 0},
		{name: "query absent optional value", target: "/", p: Param{In: InQuery, Name: "limit", Explode: true},
			dest: new(int), calls: 0},
		{name: "query name escaped in the pointer", target: "/?a%2Fb~c=1", p: Param{In: InQuery, Name: "a/b~c", Explode: true},
			dest: new(*int), calls: 1, violation: "/query/a~1b~0c"},
		{name: "query array absent", target: "/", p: Param{In: InQuery, Name: "ids"},
			dest: new([]int), calls: 0},
		{name: "header below minimum", target: "/", header: map[string]string{"X-N": "2"},
			p: Param{In: InHeader, Name: "X-N"}, dest: new(*int64), calls: 1, violation: "/header/X-N"},
		{name: "header absent", target: "/", p: Param{In: InHeader, Name: "X-N"}, dest: new(*int64), calls: 0},
		{name: "cookie below minimum", target: "/", header: map[string]string{"Cookie": "n=3"},
			p: Param{In: InCookie, Name: "n", Required: true}, dest: new(uint16), calls: 1, violation: "/cookie/n"},
		{name: "cookie JSON below minimum", target: "/", header: map[string]string{"Cookie": "n=3"},
			p: Param{In: InCookie, Name: "n", JSON: true}, dest: new(*int), calls: 1, violation: "/cookie/n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tt.target, nil)
			for k, v := range tt.path {
				r.SetPathValue(k, v)
			}
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			var calls int
			tt.p.Check = minimum(10, &calls)
			var vr validate.Report
			if err := Bind(r, &vr, tt.p, tt.dest); err != nil {
				t.Fatal(err)
			}
			if calls != tt.calls {
				t.Errorf("check ran %d times, want %d", calls, tt.calls)
			}
			vs := vr.Violations()
			switch {
			case tt.violation == "" && len(vs) > 0:
				t.Errorf("violations %+v, want none", vs)
			case tt.violation != "" && (len(vs) != 1 || vs[0].Location != tt.violation || vs[0].Rule != "minimum"):
				t.Errorf("violations %+v, want one minimum at %s", vs, tt.violation)
			}
		})
	}
}

// TestBindCheckSeesTheJSONForm checks that a check receives the value as
// ValidateParam gave it: the bound value's JSON form, decoded with
// numbers as json.Number.
func TestBindCheckSeesTheJSONForm(t *testing.T) {
	r := httptest.NewRequest("GET", "/?since=2024-01-02T03:04:05Z&x=1&y=2&sort=asc&tags=a&tags=b", nil)
	tests := []struct {
		p    Param
		dest any
		want any
	}{
		{Param{In: InQuery, Name: "since", Explode: true}, new(*time.Time), "2024-01-02T03:04:05Z"},
		{Param{In: InQuery, Name: "p", Explode: true}, new(*point), map[string]any{"x": json.Number("1"), "y": json.Number("2")}},
		{Param{In: InQuery, Name: "sort", Explode: true}, new(*color), "asc"},
		{Param{In: InQuery, Name: "tags", Explode: true}, new([]string), []any{"a", "b"}},
	}
	for _, tt := range tests {
		var got any
		tt.p.Check = seen(&got)
		if err := Bind(r, &validate.Report{}, tt.p, tt.dest); err != nil {
			t.Fatalf("%s: %v", tt.p.Name, err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: check saw %#v, want %#v", tt.p.Name, got, tt.want)
		}
	}
}

type textInt int

func (t textInt) MarshalText() ([]byte, error) { return []byte(fmt.Sprintf("n%d", int(t))), nil }

type jsonString string

func (s *jsonString) MarshalJSON() ([]byte, error) { return []byte(`"` + string(*s) + `!"`), nil }

// TestGenericMatchesJSON checks that the direct conversion of scalars
// gives what encoding their JSON form and decoding it gives.
func TestGenericMatchesJSON(t *testing.T) {
	type named int8
	values := []any{
		0, 7, -42, int64(math.MaxInt64), int64(math.MinInt64), uint64(math.MaxUint64), uint8(255), named(-3),
		"", "plain", "<&>", "é\u2028", "bad \xff utf-8", color("desc"), true, false,
		1.5, float32(0.1), 1e21, textInt(4), jsonString("s"),
	}
	for _, v := range values {
		field := reflect.New(reflect.TypeOf(v)).Elem()
		field.Set(reflect.ValueOf(v))
		got, ok, err := generic(field)
		if err != nil || !ok {
			t.Fatalf("%#v: %v %v", v, ok, err)
		}
		raw, err := json.Marshal(field.Interface())
		if err != nil {
			t.Fatal(err)
		}
		want, err := decodeGeneric(raw)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%#v: %#v, want %#v", v, got, want)
		}
	}
}

// TestScanQueryMatchesTheRuntime checks that the query scan binds exactly
// what oapi-codegen's runtime binds, and leaves to it what it refuses.
func TestScanQueryMatchesTheRuntime(t *testing.T) {
	queries := []string{
		"", "n=1", "n=1&n=2", "n=", "n", "m=1", "n=%31", "%6E=2", "n=1&x=%zz", "x=%zz&n=1", "n=1;x", "n=1&x=a;b",
		"&&n=3&&", "n=+1", "n=1%", "n=a+b", "n=-9223372036854775808", "n=9223372036854775808", "n+=1", "n%20=1",
	}
	for _, q := range queries {
		for _, required := range []bool{true, false} {
			p := Param{In: InQuery, Name: "n", Explode: true, Required: required}
			var viaScan, viaRuntime *int64
			scanned, done := scanQuery(q, &p, StyleForm, &viaScan, reflect.ValueOf(&viaScan).Elem())
			if !done {
				continue
			}
			err := runtimeBind(q, &p, &viaRuntime)
			if err != nil {
				t.Errorf("%q: the scan bound what the runtime refuses: %v", q, err)
				continue
			}
			if scanned != (viaRuntime != nil) || (scanned && *viaScan != *viaRuntime) {
				t.Errorf("%q: scan %v %v, runtime %v", q, scanned, deref(viaScan), deref(viaRuntime))
			}
		}
	}
}

func runtimeBind(q string, p *Param, dest **int64) error {
	return bindRawQuery(p, StyleForm, false, q, dest)
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestBindDoesNotTouchAnAbsentOptionalPointer(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	for _, p := range []Param{
		{In: InQuery, Name: "a", Explode: true},
		{In: InQuery, Name: "a", Style: StyleDeepObject, Explode: true},
		{In: InHeader, Name: "a"},
		{In: InCookie, Name: "a"},
		{In: InQuery, Name: "a", JSON: true},
	} {
		var dest *point
		if err := Bind(r, &validate.Report{}, p, &dest); err != nil || dest != nil {
			t.Errorf("%+v: %v, %v; want nil, nil", p, dest, err)
		}
	}
}

// BenchmarkBind measures the cost of binding the commonest parameters
// of a valid request; with -benchmem it shows their allocations. The
// report and the request field live outside the loop, as they live once
// per request in a generated handler: what is counted is Bind's own.
func BenchmarkBind(b *testing.B) {
	var calls int
	check := minimum(0, &calls)
	pathInt := func(check validate.Func) func(b *testing.B) {
		return func(b *testing.B) {
			r := httptest.NewRequest("GET", "/items/42", nil)
			r.SetPathValue("id", "42")
			p := Param{In: InPath, Name: "id", Required: true, Check: check}
			var vr validate.Report
			var id int
			b.ReportAllocs()
			for b.Loop() {
				if err := Bind(r, &vr, p, &id); err != nil || id != 42 || !vr.OK() {
					b.Fatal(id, err)
				}
			}
		}
	}
	queryInt := func(target string, check validate.Func) func(b *testing.B) {
		return func(b *testing.B) {
			r := httptest.NewRequest("GET", target, nil)
			p := Param{In: InQuery, Name: "limit", Explode: true, Check: check}
			var vr validate.Report
			var limit *int
			b.ReportAllocs()
			for b.Loop() {
				limit = nil
				if err := Bind(r, &vr, p, &limit); err != nil || !vr.OK() {
					b.Fatal(err)
				}
			}
		}
	}
	b.Run("path int required", pathInt(nil))
	b.Run("path int required checked", pathInt(check))
	b.Run("query int optional", queryInt("/items?offset=20&limit=50", nil))
	b.Run("query int optional checked", queryInt("/items?offset=20&limit=50", check))
	b.Run("query int optional absent", queryInt("/items?offset=20", check))
}
