package validate

import "testing"

func TestBuiltinFormats(t *testing.T) {
	tests := []struct {
		format, value string
		ok            bool
	}{
		{"email", "ada@example.com", true},
		{"email", "a.b+c@sub.example.org", true},
		{"email", "ada@example", false},
		{"email", "ada@@example.com", false},
		{"email", ".ada@example.com", false},
		{"email", "ada lovelace@example.com", false},
		{"hostname", "shop.example.com", true},
		{"hostname", "example.com.", true},
		{"hostname", "a..b", false},
		{"hostname", "a..", false},
		{"hostname", "-a.com", false},
		{"uuid", "7c9e6679-7425-40de-944b-e07fc1f90ae7", true},
		{"uuid", "7c9e6679742540de944be07fc1f90ae7", false},
		{"date-time", "2026-11-26T10:15:00Z", true},
		{"date-time", "2026-11-26", false},
		{"date", "2026-02-29", false},
		{"ipv4", "192.0.2.1", true},
		{"ipv6", "2001:db8::1", true},
		{"ipv6", "192.0.2.1", false},
		{"uri", "https://example.com/x", true},
		{"uri", "/relative", false},
		{"byte", "aGVsbG8=", true},
		{"byte", "%%", false},
	}
	var r Report
	for _, tt := range tests {
		err := r.checkFormat(tt.format, tt.value)
		if (err == nil) != tt.ok {
			t.Errorf("%s %q: error %v, want ok=%v", tt.format, tt.value, err, tt.ok)
		}
	}
}

func TestMultipleOfIsExactOnDecimals(t *testing.T) {
	for _, tt := range []struct {
		v, m string
		ok   bool
	}{{"0.3", "0.1", true}, {"0.15", "0.01", true}, {"0.155", "0.01", false}, {"10", "2.5", true}, {"-7.5", "2.5", true}, {"1e3", "10", true}} {
		var r Report
		m := 0.0
		switch tt.m {
		case "0.1":
			m = 0.1
		case "0.01":
			m = 0.01
		case "2.5":
			m = 2.5
		case "10":
			m = 10
		}
		p := Root("/x")
		r.NumberText(&p, 0, tt.v, &NumberBounds{MultipleOf: &m})
		if r.OK() != tt.ok {
			t.Errorf("%s multipleOf %s: ok %v, want %v", tt.v, tt.m, r.OK(), tt.ok)
		}
	}
}
